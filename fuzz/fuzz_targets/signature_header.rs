//! The `webhook-signature` header parser, and the whole Standard Webhooks check around
//! it: whatever the headers and body, verification answers Ok or a 401 error, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tasklane_core::webhook::signature::{parse_signature_header, parse_timestamp, MAC_LEN};
use tasklane_core::webhook::{sign, Verifier, WebhookHeaders, WebhookSecret};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(macs) = parse_signature_header(&text) {
        assert!(!macs.is_empty());
        assert!(macs.iter().all(|m| m.len() == MAC_LEN));
    }
    let _ = parse_timestamp(&text);

    // Split the input into id / timestamp / signature / body at the first three newlines.
    let mut parts = text.splitn(4, '\n');
    let id = parts.next();
    let ts = parts.next();
    let sig = parts.next();
    let body = parts.next().unwrap_or("").as_bytes();
    let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("valid secret");
    let v = Verifier::new(secret.clone());
    let now = 1_700_000_000;
    let headers = WebhookHeaders { id, timestamp: ts, signature: sig };
    match v.verify_with_timestamp(body, &headers, now) {
        Ok(()) => {}
        Err(e) => assert_eq!(e.status(), 401, "{e}"),
    }
    // A correctly signed message with these id and body always verifies.
    if let Some(id) = id.filter(|i| !i.is_empty()) {
        let good = sign(&secret, id, now, body);
        let ts = now.to_string();
        let headers = WebhookHeaders { id: Some(id), timestamp: Some(&ts), signature: Some(&good) };
        assert!(v.verify_with_timestamp(body, &headers, now).is_ok());
    }
});
