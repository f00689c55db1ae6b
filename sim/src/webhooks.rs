//! Webhook delivery: when a task with a webhook target ends, POST its terminal status
//! body there, with mirako's `Authorization: Bearer <auth_token>` and, when a secret is
//! configured, a Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`). Failed
//! deliveries (non-2xx, connection errors) are retried with doubling backoff up to a bound;
//! `_sim` can add duplicate deliveries and a stale update after the terminal one. Only
//! loopback hosts are delivered to unless `--allow-remote-webhooks`.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use sha2::Sha256;

use crate::config::ConfigError;
use crate::state::AppState;
use crate::task::Phase;
use crate::time::now_ms;

/// Where a task's webhooks go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    /// The URL to POST to.
    pub url: String,
    /// mirako's `auth_token`, sent as `Authorization: Bearer <token>`.
    pub auth_token: Option<String>,
}

/// A Standard Webhooks secret (`whsec_<base64>`).
#[derive(Clone)]
pub struct WebhookSecret {
    text: String,
    key: Vec<u8>,
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

impl WebhookSecret {
    /// Parses `whsec_<base64>`; the key is the base64-decoded part.
    pub fn parse(s: &str) -> Result<WebhookSecret, ConfigError> {
        let b64 = s
            .strip_prefix("whsec_")
            .ok_or_else(|| ConfigError::BadSecret("expected whsec_<base64>".into()))?;
        let key = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| {
                ConfigError::BadSecret(format!("the part after whsec_ is not base64: {e}"))
            })?;
        if key.is_empty() {
            return Err(ConfigError::BadSecret("the key is empty".into()));
        }
        Ok(WebhookSecret {
            text: s.to_string(),
            key,
        })
    }

    /// The secret as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
    pub fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        // HMAC accepts keys of any length, so new_from_slice cannot fail.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        )
    }
}

/// One delivery attempt, for `/__sim/stats`.
#[derive(Debug, Clone)]
pub struct WebhookLog {
    /// The task.
    pub task_id: String,
    /// The target URL.
    pub url: String,
    /// The message's `webhook-id`.
    pub webhook_id: String,
    /// `terminal`, `duplicate` or `stale`.
    pub kind: &'static str,
    /// 1 for the first try.
    pub attempt: u32,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// Why no answer came (connection error, timeout, refused host).
    pub error: Option<String>,
    /// When the attempt finished (epoch ms).
    pub t_ms: u64,
}

/// Whether `url` is `http://` to a loopback host; returns the error to log otherwise.
pub fn check_target(url: &str, allow_remote: bool) -> Result<hyper::Uri, String> {
    let uri: hyper::Uri = url.parse().map_err(|_| format!("not a URL: {url:?}"))?;
    if uri.scheme_str() != Some("http") {
        return Err("only http:// webhook URLs are supported by the simulator".into());
    }
    let host = uri.host().ok_or("the URL has no host")?;
    let loopback = host == "localhost"
        || host == "[::1]"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !loopback && !allow_remote {
        return Err(format!(
            "refused non-loopback host {host} (start with --allow-remote-webhooks)"
        ));
    }
    Ok(uri)
}

struct Message {
    id: String,
    kind: &'static str,
    body: Bytes,
}

/// Starts the background sender for task `id`: it waits until the task ends (or is
/// canceled), then delivers to each of its targets.
pub fn schedule(state: Arc<AppState>, id: String) {
    tokio::spawn(async move { deliver_when_done(state, id).await });
}

async fn deliver_when_done(state: Arc<AppState>, id: String) {
    let generation = state.lock().generation;
    loop {
        let (terminal_at, ended) = {
            let s = state.lock();
            let Some(t) = s.tasks.get(&id) else { return };
            if s.generation != generation {
                return;
            }
            (t.terminal_at(), t.ended.clone())
        };
        let now = now_ms();
        if now >= terminal_at {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(terminal_at - now)) => {}
            _ = ended.notified() => {}
        }
    }
    let (messages, targets, secret, attempts, backoff_ms, allow_remote) = {
        let s = state.lock();
        let Some(t) = s.tasks.get(&id) else { return };
        let phase = t.phase(t.terminal_at());
        let terminal = Bytes::from(t.dialect.webhook_body(t, phase).to_string());
        let mut msgs = vec![Message {
            id: format!("msg_{}_terminal", t.id),
            kind: "terminal",
            body: terminal.clone(),
        }];
        for _ in 0..t.webhook_duplicates {
            msgs.push(Message {
                id: format!("msg_{}_terminal", t.id),
                kind: "duplicate",
                body: terminal.clone(),
            });
        }
        if t.webhook_out_of_order {
            let stale: Value = t.dialect.webhook_body(t, Phase::Running);
            msgs.push(Message {
                id: format!("msg_{}_stale", t.id),
                kind: "stale",
                body: Bytes::from(stale.to_string()),
            });
        }
        (
            msgs,
            t.webhooks.clone(),
            s.webhook_secret.clone(),
            s.base.webhook_attempts,
            s.base.webhook_backoff_ms,
            s.base.allow_remote_webhooks,
        )
    };
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build_http();
    for target in &targets {
        for m in &messages {
            let uri = check_target(&target.url, allow_remote);
            let mut attempt = 0;
            loop {
                attempt += 1;
                let (status, error) = match &uri {
                    Err(e) => (None, Some(e.clone())),
                    Ok(uri) => post(&client, uri.clone(), target, secret.as_ref(), m).await,
                };
                let ok = status.is_some_and(|s| (200..300).contains(&s));
                {
                    let mut s = state.lock();
                    if s.generation != generation {
                        return;
                    }
                    s.webhooks.push(WebhookLog {
                        task_id: id.clone(),
                        url: target.url.clone(),
                        webhook_id: m.id.clone(),
                        kind: m.kind,
                        attempt,
                        status,
                        error,
                        t_ms: now_ms(),
                    });
                }
                // A refused target is never retried: retrying cannot change the answer.
                if ok || uri.is_err() || attempt >= attempts {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(backoff_ms << (attempt - 1).min(10)))
                    .await;
            }
        }
    }
}

async fn post(
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    uri: hyper::Uri,
    target: &WebhookTarget,
    secret: Option<&WebhookSecret>,
    m: &Message,
) -> (Option<u16>, Option<String>) {
    let mut b = hyper::Request::post(uri)
        .header("content-type", "application/json")
        .header("user-agent", "tasklane-sim");
    if let Some(tok) = &target.auth_token {
        b = b.header("authorization", format!("Bearer {tok}"));
    }
    if let Some(sec) = secret {
        let ts = now_ms() / 1000;
        b = b
            .header("webhook-id", m.id.as_str())
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", sec.sign(&m.id, ts, &m.body));
    }
    let req = match b.body(Full::new(m.body.clone())) {
        Ok(r) => r,
        Err(e) => return (None, Some(format!("could not build the request: {e}"))),
    };
    match tokio::time::timeout(Duration::from_secs(5), client.request(req)).await {
        Err(_) => (None, Some("timed out after 5 s".into())),
        Ok(Err(e)) => (None, Some(format!("connection error: {e}"))),
        Ok(Ok(resp)) => {
            let status = resp.status().as_u16();
            // Drain the answer so the receiver sees a clean exchange; its content is unused.
            let _ = tokio::time::timeout(Duration::from_secs(5), resp.into_body().collect()).await;
            (Some(status), None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_standard_webhooks_test_vector() {
        // The example from the Standard Webhooks specification.
        let s = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = s.sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_and_targets_are_checked() {
        assert_eq!(
            WebhookSecret::parse("nope").unwrap_err().code(),
            "bad_secret"
        );
        assert_eq!(
            WebhookSecret::parse("whsec_!!").unwrap_err().code(),
            "bad_secret"
        );
        assert!(check_target("http://127.0.0.1:9/x", false).is_ok());
        assert!(check_target("http://localhost:9/x", false).is_ok());
        assert!(check_target("http://[::1]:9/x", false).is_ok());
        assert!(check_target("http://example.com/x", false).is_err());
        assert!(check_target("http://example.com/x", true).is_ok());
        assert!(check_target("https://127.0.0.1/x", false).is_err());
        assert!(check_target("::::", false).is_err());
    }
}
