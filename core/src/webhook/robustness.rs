//! A bounded, deterministic mutation loop over the webhook parsers, run by `cargo test` on
//! stable Rust (the cargo-fuzz targets in `fuzz/` explore further on nightly). Every
//! mutated input must give a value or a typed error with the right HTTP status; a panic
//! fails the test.

use super::signature::parse_signature_header;
use super::{
    parse_update, sign, update_from_text, Verifier, WebhookError, WebhookHeaders, WebhookSecret,
};
use crate::json::RawJson;
use crate::normalize::status_paths;
use crate::profile::ProviderProfile;

const SEEDS: [(&str, &str); 9] = [
    (
        "mirako",
        r#"{"data":{"task_id":"m1","status":"COMPLETED","image":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="}}"#,
    ),
    (
        "mirako",
        r#"{"data":{"task_id":"m2","status":"FAILED","error":"bad prompt"}}"#,
    ),
    (
        "apixo",
        r#"{"code":200,"msg":"success","data":{"taskId":"a1","state":"success","resultJson":"{\"resultUrls\":[\"https://cdn.example/a.png\"]}","costTime":1200}}"#,
    ),
    (
        "apixo",
        r#"{"code":200,"msg":"success","data":{"taskId":"a2","state":"failed","failMsg":"nsfw"}}"#,
    ),
    (
        "mindproxy",
        r#"{"task_id":"d1","status":4,"result_assets_json":"{\"image_url\":\"https://cdn.example/d.png\",\"seed\":1}"}"#,
    ),
    (
        "mindproxy",
        r#"{"task_id":"d2","status":8,"error_code":"X","error_message":"refunded"}"#,
    ),
    (
        "queue",
        r#"{"status":"COMPLETED","request_id":"q1","payload":{"images":[{"url":"https://cdn.example/q.png"}]}}"#,
    ),
    (
        "queue",
        r#"{"status":"COMPLETED","request_id":"q2","error":"x","error_type":"INFERENCE_TIMEOUT"}"#,
    ),
    (
        "queue",
        r#"{"status":"COMPLETED","request_id":"q3","response_url":"https://queue.example/r/q3","payload":{"images":[{"url":"https://cdn.example/0.png","width":1024,"content_type":"image/png"},"https://cdn.example/1.png"],"seed":42,"has_nsfw_concepts":[false],"prompt":"a fox \u00e9 \"quoted\""},"metrics":{"inference_time":1.5}}"#,
    ),
];

/// xorshift64*: a fixed sequence, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One random edit: flip, insert, delete, duplicate a slice, or splice in JSON-ish tokens.
fn mutate(rng: &mut Rng, input: &mut Vec<u8>) {
    const TOKENS: [&[u8]; 12] = [
        b"{", b"}", b"[", b"]", b"\"", b",", b":", b"null", b"\\u0000", b"1e999", b"-", b"\xff",
    ];
    let at = rng.below(input.len() + 1);
    match rng.below(5) {
        0 if !input.is_empty() => {
            let i = rng.below(input.len());
            input[i] ^= 1 << rng.below(8);
        }
        1 => input.insert(at, rng.next() as u8),
        2 if at < input.len() => {
            let end = (at + rng.below(8)).min(input.len());
            input.drain(at..end);
        }
        3 if at < input.len() => {
            let end = (at + rng.below(32)).min(input.len());
            let copy = input[at..end].to_vec();
            input.splice(at..at, copy);
        }
        _ => {
            let t = TOKENS[rng.below(TOKENS.len())];
            input.splice(at..at, t.iter().copied());
        }
    }
}

#[test]
fn mutated_bodies_give_an_update_or_a_400() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let (mut checked, mut updates) = (0, 0);
    for (dialect, seed) in SEEDS {
        let profile = ProviderProfile::builtin(dialect).expect("built-in");
        let wanted = status_paths(&profile.status);
        let mut input = seed.as_bytes().to_vec();
        for i in 0..2_000 {
            if i % 50 == 0 {
                input = seed.as_bytes().to_vec();
            }
            mutate(&mut rng, &mut input);
            let whole = parse_update(&profile, &input);
            match &whole {
                Ok(u) => assert!(!u.id.is_empty()),
                Err(e) => assert_eq!(e.status(), 400, "{dialect}: {e}"),
            }
            // Built only as far as the dialect reads it, the body gives the same update
            // (but `raw`) or the same refusal.
            if let Ok(text) = std::str::from_utf8(&input) {
                let some = update_from_text(&profile, &wanted, text);
                let whole = whole.map(|mut u| {
                    u.raw = RawJson::null();
                    u
                });
                let err = |e: &WebhookError| (e.code(), e.message());
                assert_eq!(
                    some.as_ref().map_err(err),
                    whole.as_ref().map_err(err),
                    "{dialect}: {text}"
                );
                checked += 1;
                updates += usize::from(some.is_ok());
            }
        }
    }
    // Most mutations leave a body that is not UTF-8 for the rest of its run; enough are.
    assert!(checked > 1_500 && updates > 150, "{checked} {updates}");
}

#[test]
fn mutated_signature_headers_give_macs_or_a_401() {
    let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("valid");
    let v = Verifier::new(secret.clone());
    let body = br#"{"test": 2432232314}"#;
    let good = sign(&secret, "msg_1", 1_700_000_000, body);
    let mut rng = Rng(0x5eed_1234_abcd_0002);
    let mut header = good.clone().into_bytes();
    for i in 0..5_000 {
        if i % 40 == 0 {
            header = format!("{good} v1a,abc {good}").into_bytes();
        }
        mutate(&mut rng, &mut header);
        let text = String::from_utf8_lossy(&header);
        if let Ok(macs) = parse_signature_header(&text) {
            assert!(!macs.is_empty());
        }
        let headers = WebhookHeaders {
            id: Some("msg_1"),
            timestamp: Some("1700000000"),
            signature: Some(&text),
        };
        if let Err(e) = v.verify_with_timestamp(body, &headers, 1_700_000_000) {
            assert_eq!(e.status(), 401, "{e}");
        }
    }
}
