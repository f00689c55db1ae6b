//! Parsing `verifyWebhook` / `createWebhookHandler` options into a [`Config`]: the
//! provider's profile (built-in ones cached by name), `authToken`, `secret`,
//! `toleranceSec`, `maxBodyBytes` and `hmac`, with `invalid_argument` errors naming the
//! option. `verifyWebhook` reuses the last config while its options are unchanged.

use std::cell::RefCell;
use std::rc::Rc;
use tasklane_core::vecmap::VecMap;

use tasklane_core::json::Wanted;
use tasklane_core::normalize::status_paths;
use tasklane_core::profile::{ProviderProfile, ProviderSpec};
use tasklane_core::text::concat;
use tasklane_core::webhook::HmacHalves;
use tasklane_core::webhook::{
    Verifier, WebhookError, WebhookSecret, DEFAULT_MAX_BODY_BYTES, DEFAULT_TOLERANCE_SECS,
};
use wasm_bindgen::prelude::*;

use super::hmac::HmacMode;
use super::{get, number_field, option_fields, same_options};
use crate::errors::invalid_argument;

/// What `verifyWebhook` and `createWebhookHandler` were configured with, parsed once.
pub(super) struct Config {
    pub(super) profile: Rc<ProviderProfile>,
    /// The body paths the profile's status fields read (`status_paths`).
    pub(super) wanted: Wanted,
    pub(super) auth_token: Option<String>,
    pub(super) verifier: Option<Verifier>,
    pub(super) max_body: u64,
    pub(super) hmac: HmacMode,
    /// The imported Web Crypto key, once the first large body needed it.
    pub(super) crypto_key: RefCell<Option<JsValue>>,
    /// The secret's HMAC in two halves, when one is configured (`node:crypto`'s one-shot
    /// hash computes the inner one).
    pub(super) halves: Option<HmacHalves>,
}

thread_local! {
    /// Built-in profiles by name, so `verifyWebhook(req, {provider: "apixo"})` does not
    /// rebuild the profile on every call.
    static PROFILES: RefCell<VecMap<String, Rc<ProviderProfile>>> = const { RefCell::new(VecMap::new()) };
}

fn profile_of(provider: JsValue) -> Result<Rc<ProviderProfile>, JsValue> {
    if provider.is_undefined() || provider.is_null() {
        return Err(invalid_argument(
            "invalid argument `options.provider`: required (mirako, apixo, mindproxy, queue or a profile object)",
        ));
    }
    if let Some(name) = provider.as_string() {
        if let Some(p) = PROFILES.with(|m| m.borrow().get(&name).cloned()) {
            return Ok(p);
        }
        let p = Rc::new(
            ProviderSpec::Name(name.clone())
                .resolve()
                .map_err(|e| core_invalid(&e))?,
        );
        PROFILES.with(|m| m.borrow_mut().insert(name, p.clone()));
        return Ok(p);
    }
    let spec = crate::convert::provider_spec(provider, "options.provider")?;
    spec.resolve().map(Rc::new).map_err(|e| core_invalid(&e))
}

/// A core `invalid_argument` about `provider`, named as the option it came from.
fn core_invalid(e: &tasklane_core::CoreError) -> JsValue {
    match e {
        tasklane_core::CoreError::InvalidArgument { field, message } => {
            invalid_argument(&concat(&[
                "invalid argument `options.",
                field,
                "`: ",
                message,
            ]))
        }
        other => invalid_argument(&other.message()),
    }
}

impl Config {
    pub(super) fn parse(opts: &JsValue) -> Result<Config, JsValue> {
        if !opts.is_object() {
            return Err(invalid_argument(
                "invalid argument `options`: must be an object with `provider` and `authToken` or `secret`",
            ));
        }
        // verifyWebhook and createWebhookHandler take the same options object (the
        // handler's own three are fine for verifyWebhook too).
        crate::request::known_keys(
            opts,
            "options",
            "provider,authToken,secret,toleranceSec,maxBodyBytes,hmac,onUpdate,store,dedupeTtlSec",
        )?;
        let profile = profile_of(get(opts, "provider"))?;
        let auth_token = crate::convert::string_field(opts, "authToken", "options.authToken")?;
        let secret = crate::convert::string_field(opts, "secret", "options.secret")?;
        if auth_token.as_deref() == Some("") {
            return Err(invalid_argument(
                "invalid argument `options.authToken`: empty",
            ));
        }
        if auth_token.is_none() && secret.is_none() {
            return Err(invalid_argument(
                "invalid argument `options`: give `authToken` or `secret` (or both); unauthenticated webhooks are never accepted",
            ));
        }
        let tolerance =
            number_field(opts, "toleranceSec")?.map_or(DEFAULT_TOLERANCE_SECS, |n| n as u64);
        let verifier = match secret {
            Some(s) => Some(
                Verifier::new(WebhookSecret::parse(&s).map_err(|e| secret_invalid(&e))?)
                    .with_tolerance(tolerance),
            ),
            None => None,
        };
        let max_body =
            number_field(opts, "maxBodyBytes")?.map_or(DEFAULT_MAX_BODY_BYTES, |n| n as u64);
        let hmac = match crate::convert::string_field(opts, "hmac", "options.hmac")?.as_deref() {
            None | Some("auto") => HmacMode::Auto,
            Some("wasm") => HmacMode::Wasm,
            Some("webcrypto") => HmacMode::WebCrypto,
            Some("node") => HmacMode::Node,
            Some(other) => {
                return Err(invalid_argument(&concat(&[
                    "invalid argument `options.hmac`: \"",
                    other,
                    "\"; expected auto, wasm, webcrypto or node",
                ])))
            }
        };
        Ok(Config {
            wanted: status_paths(&profile.status),
            halves: verifier.as_ref().map(|v| v.secret().hmac_halves()),
            profile,
            auth_token,
            verifier,
            max_body,
            hmac,
            crypto_key: RefCell::new(None),
        })
    }
}

/// A core `InvalidArgument("secret: why")` → `TaskError{code: "invalid_argument"}` naming
/// `options.secret`.
pub(super) fn secret_invalid(e: &WebhookError) -> JsValue {
    let message = match e {
        WebhookError::InvalidArgument(m) => m.clone(),
        other => other.message(),
    };
    let why = message.strip_prefix("secret: ").unwrap_or(&message);
    invalid_argument(&concat(&["invalid argument `options.secret`: ", why]))
}

thread_local! {
    /// The last `verifyWebhook` options (their field values) and the config built from them.
    static LAST_CONFIG: RefCell<Option<(JsValue, Rc<Config>)>> = const { RefCell::new(None) };
}

/// `verifyWebhook` is usually called with the same options every time (often a fresh
/// object literal): when every field is the same value as last time (`Object.is`, so
/// strings by value and a profile object by identity), the parsed config (secret, profile,
/// imported keys) is reused instead of being parsed again. The comparison is one call into
/// JavaScript, so a hit costs well under a microsecond; a changed field (a rotated secret,
/// another provider) always parses anew.
pub(super) fn cached_config(options: &JsValue) -> Result<Rc<Config>, JsValue> {
    // Options that are no object never match (`sameOptions`), and fail to parse below.
    let hit = LAST_CONFIG.with(|last| {
        let last = last.borrow();
        let (seen, cfg) = last.as_ref()?;
        same_options(options, seen).then(|| cfg.clone())
    });
    if let Some(cfg) = hit {
        return Ok(cfg);
    }
    let fields = option_fields(options);
    let cfg = Rc::new(Config::parse(options)?);
    LAST_CONFIG.with(|last| *last.borrow_mut() = Some((fields, cfg.clone())));
    Ok(cfg)
}
