//! Which HMAC checks a signature, and computing it: RustCrypto in wasm, `node:crypto`
//! or Web Crypto, chosen per body size and runtime (the `hmac` option forces one). The
//! Web Crypto and `node:crypto` keys are imported once per config.

use std::cell::RefCell;
use std::rc::Rc;
use tasklane_core::vecmap::VecMap;

use js_sys::{Array, Object, Promise, Uint8Array};
use tasklane_core::webhook::signature::MAC_LEN;
use tasklane_core::webhook::HmacHalves;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::options::Config;
use super::{get, node_hash, set, NodeCrypto, Subtle, MEMORY};
use crate::js;
use crate::request::{then, with_name, Flow};

/// Outside Node and workerd, bodies at least this large are checked with Web Crypto,
/// smaller ones in wasm (see [`choose_hmac`] for why).
const WEBCRYPTO_MIN_BYTES: usize = 4 * 1024;
/// In workerd, bodies at least this large are checked with Web Crypto, smaller ones in wasm.
const WORKERD_WEBCRYPTO_MIN_BYTES: usize = 1280;

/// Which HMAC implementation to use (the `hmac` option exists for the benchmark).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HmacMode {
    Auto,
    Wasm,
    WebCrypto,
    Node,
}

thread_local! {
    /// Web Crypto keys by secret text, for `verifyWebhook` (a handler keeps its own).
    static KEYS: RefCell<VecMap<String, JsValue>> = const { RefCell::new(VecMap::new()) };
}

/// The HMAC implementation one verification uses.
pub(super) enum Hmac {
    /// `node:crypto` (the module stays in [`NODE_CRYPTO`]: lent, not cloned, per message).
    Node,
    WebCrypto(Subtle),
    Wasm,
}

thread_local! {
    /// `node:crypto` through `process.getBuiltinModule` (Node ≥ 20.16), looked up once;
    /// only with its one-shot `hash` (Node ≥ 20.12, so every Node that has the former).
    static NODE_CRYPTO: Option<NodeCrypto> = {
        let process = js::get(&js::global(), "process");
        js::call_method(&process, "getBuiltinModule", &[&"node:crypto".into()])
            .ok()
            .filter(|m| get(m, "hash").is_function())
            .map(JsCast::unchecked_into)
    };
    /// Whether this is workerd (Cloudflare Workers), whose Web Crypto answers in the same
    /// turn of the event loop.
    static WORKERD: bool = {
        let nav = js::get(&js::global(), "navigator");
        get(&nav, "userAgent").as_string().as_deref() == Some("Cloudflare-Workers")
    };
}

/// Picks the HMAC for a body of `len` bytes.
///
/// Measured with `scripts/bench-webhook.sh` (bench/results/webhook.md) and sweeps of body
/// sizes, with the `tasklane/webhook` build. RustCrypto's SHA-256 compiled to wasm (sha2 is
/// built at opt-level 3 in every build, Cargo.toml) is slower than the runtime's native
/// code, but costs nothing to call, and a delivery
/// checked in wasm (or with `node:crypto`) settles without waiting on a promise. Node's Web
/// Crypto hops to the libuv thread pool for every `sign` (tens of microseconds), so in Node
/// `node:crypto` is used at every size (its `hash`, with the outer half in wasm: 1 KiB
/// 6.3 µs a delivery against 7.5 µs in wasm, 4 KiB 8.1 against 13.7; 2026-11-26, the
/// webhook build). workerd's Web Crypto is native and resolves at once, but that promise and
/// the wait around it cost about as much as hashing 1.2 KiB in wasm (2026-11-26, the
/// webhook build, a delivery, `node bench/webhook/sweep.mjs`: 512 B
/// 4.7 µs in wasm against 5.6 with Web Crypto; 1 KiB 5.8-6.0 / 5.9-6.5; 1.25 KiB 6.5 / 6.1;
/// 2 KiB 7.8-8.0 / 6.6-6.7; 3 KiB 9.9 / 6.9), so Web Crypto from 1.25 KiB on. Under
/// workerd's `nodejs_compat` flag `node:crypto` is there too, no faster than wasm for small
/// bodies and a little faster than Web Crypto above (`NODEJS_COMPAT=1 node
/// bench/webhook/sweep.mjs`, node:crypto / wasm / Web Crypto: 512 B 5.5 / 4.9 / 6.4 µs;
/// 1 KiB 5.7 / 5.8 / 6.3; 2 KiB 6.3 / 8.1 / 6.9; 8 KiB 9.8 / 20.7 / 10.3; 64 KiB 41 / 139
/// / 40), so there it takes Web Crypto's place. Elsewhere (browsers, Deno) Web Crypto's
/// fixed cost loses to wasm for small bodies and wins from a few KiB.
pub(super) fn choose_hmac(mode: HmacMode, len: usize) -> Hmac {
    let node = || NODE_CRYPTO.with(Option::is_some).then_some(Hmac::Node);
    let web = || subtle().map(Hmac::WebCrypto);
    let picked = match mode {
        HmacMode::Wasm => None,
        HmacMode::Node => node(),
        HmacMode::WebCrypto => web(),
        // workerd: wasm for small bodies, then node:crypto (under `nodejs_compat`) or Web
        // Crypto. Elsewhere node:crypto at every size where there is one (Node).
        HmacMode::Auto if WORKERD.with(|w| *w) => (len >= WORKERD_WEBCRYPTO_MIN_BYTES)
            .then(|| node().or_else(web))
            .flatten(),
        HmacMode::Auto => node().or_else(|| (len >= WEBCRYPTO_MIN_BYTES).then(web).flatten()),
    };
    // Whatever is missing in this runtime falls back to wasm, which is always there.
    picked.unwrap_or(Hmac::Wasm)
}

/// The size of SHA-256's block, and of HMAC's key blocks.
pub(super) const BLOCK: usize = 64;

/// HMAC-SHA256 with `node:crypto`'s one-shot `hash` for the inner hash: `buf` holds the
/// inner key block followed by the signed message (see `verify::check_mac`), and
/// [`HmacHalves::finish`] does the outer hash in wasm (one SHA-256 compression, cheaper
/// than another call into `node:crypto`). One `hash` call costs less than a `createHmac`
/// object with its updates and digest (1 KiB: ≈ 0.85 µs against ≈ 2.3 µs in Node 20), and
/// reads the bytes in place.
pub(super) fn node_mac(halves: &HmacHalves, buf: &[u8]) -> Result<[u8; MAC_LEN], JsValue> {
    let mut inner = [0u8; MAC_LEN];
    let addr = |p: *const u8| p as usize as u32;
    NODE_CRYPTO.with(|nc| {
        let Some(nc) = nc else {
            return Err(JsValue::from_str("node:crypto is not available"));
        };
        MEMORY.with(|m| {
            node_hash(
                nc,
                m,
                addr(buf.as_ptr()),
                buf.len() as u32,
                addr(inner.as_mut_ptr()),
            )
        })
    })?;
    Ok(halves.finish(&inner))
}

fn subtle() -> Option<Subtle> {
    let crypto = js::get(&js::global(), "crypto");
    let subtle = get(&crypto, "subtle");
    subtle.is_object().then(|| subtle.unchecked_into())
}

/// HMAC-SHA256 with Web Crypto of `buf[from..]` (the signed message), the key imported
/// once; `k` gets the tag and `buf` back.
pub(super) fn webcrypto_mac(
    cfg: &Rc<Config>,
    subtle: Subtle,
    buf: Vec<u8>,
    from: usize,
    k: impl FnOnce(Result<[u8; MAC_LEN], JsValue>, Vec<u8>) -> Flow + 'static,
) -> Flow {
    // `cfg.verifier` is Some whenever a MAC is computed at all.
    let Some(verifier) = cfg.verifier.as_ref() else {
        return k(Err(JsValue::from_str("no secret")), buf);
    };
    let cached = cfg.crypto_key.borrow().clone();
    if let Some(key) = cached {
        return tag_then(sign(&subtle, &key, &buf[from..]), move |tag| k(tag, buf));
    }
    let cache_key = verifier.secret().to_whsec();
    if let Some(key) = KEYS.with(|m| m.borrow().get(&cache_key).cloned()) {
        *cfg.crypto_key.borrow_mut() = Some(key.clone());
        return tag_then(sign(&subtle, &key, &buf[from..]), move |tag| k(tag, buf));
    }
    let alg = Object::new();
    set(&alg, "name", &"HMAC".into());
    set(&alg, "hash", &"SHA-256".into());
    let usages = Array::new();
    usages.push(&"sign".into());
    let key_bytes = Uint8Array::from(verifier.secret().key());
    let imported = match subtle.import_key("raw", &key_bytes, &alg, false, &usages) {
        Ok(p) => p,
        Err(e) => return k(Err(e), buf),
    };
    let cfg = cfg.clone();
    then(&imported, move |key| {
        let key = match key {
            Ok(key) => key,
            Err(e) => return k(Err(e), buf),
        };
        KEYS.with(|m| {
            let mut m = m.borrow_mut();
            if m.len() >= 64 {
                m.clear();
            }
            m.insert(cache_key, key.clone());
        });
        *cfg.crypto_key.borrow_mut() = Some(key.clone());
        tag_then(sign(&subtle, &key, &buf[from..]), move |tag| k(tag, buf))
    })
}

/// Web Crypto's `sign` of `msg` with `key`, handed a view of wasm memory (no copy).
fn sign(subtle: &Subtle, key: &JsValue, msg: &[u8]) -> Result<Promise, JsValue> {
    with_name("HMAC", |alg| {
        // SAFETY: a view of wasm memory is valid until the wasm allocates, and `sign` copies
        // the bytes before it returns (Web Crypto's sign(), step 2: "getting a copy of the
        // bytes held by the data parameter"), with no wasm running in between: the name is
        // looked up (and perhaps stored) before the view is made. A copy of our own first
        // was ≈ 5 % of a 64 KiB delivery in workerd.
        let data = unsafe { Uint8Array::view(msg) };
        subtle.sign(alg, key, &data)
    })
}

/// `k` of the tag once `signed` (Web Crypto's `sign`) settles.
fn tag_then(
    signed: Result<Promise, JsValue>,
    k: impl FnOnce(Result<[u8; MAC_LEN], JsValue>) -> Flow + 'static,
) -> Flow {
    match signed {
        Ok(signed) => then(&signed, move |sig| k(sig.and_then(|sig| tag(&sig)))),
        Err(e) => k(Err(e)),
    }
}

/// The tag in Web Crypto's answer (an `ArrayBuffer` of 32 bytes).
fn tag(sig: &JsValue) -> Result<[u8; MAC_LEN], JsValue> {
    let sig = Uint8Array::new(sig);
    let mut tag = [0u8; MAC_LEN];
    if sig.length() as usize != MAC_LEN {
        return Err(JsValue::from_str(
            "Web Crypto gave a tag that is not 32 bytes",
        ));
    }
    sig.copy_to(&mut tag);
    Ok(tag)
}
