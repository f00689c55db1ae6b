use super::parse::plain_run_end;
use super::*;

#[test]
fn round_trips() {
    for text in [
        r#"{"a":[1,-2.5e3,true,false,null],"b":{"c":"x\"y\\z\n\u0001"},"d":""}"#,
        "[]",
        "{}",
        "0",
        "-0.0",
        r#""é ✓ 😀""#,
    ] {
        let v = parse(text).expect(text);
        assert_eq!(v.to_text(), text);
        assert_eq!(parse(&v.to_text()).expect("again"), v);
    }
}

#[test]
fn escapes_decode() {
    let v = parse(r#""\u00e9\ud83d\ude00\/\b\f\t""#).expect("escapes");
    assert_eq!(v.as_str(), Some("é😀/\u{8}\u{c}\t"));
    assert_eq!(v.to_text(), "\"é😀/\\u0008\\u000c\\t\"");
}

#[test]
fn refuses_invalid_text() {
    for bad in [
        "",
        " ",
        "nul",
        "tru",
        "[1,]",
        "{\"a\":1,}",
        "{a:1}",
        "01",
        "1.",
        ".5",
        "1e",
        "-",
        "+1",
        "\"\\x\"",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "\"abc",
        "[1 2]",
        "{\"a\" 1}",
        "\"\u{1}\"",
        "1 2",
        "NaN",
        "Infinity",
        "1e400",
        "1e99999999999999999999",
        "[",
        "{\"a\":",
    ] {
        assert!(parse(bad).is_err(), "{bad:?} parsed");
    }
    let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
    assert_eq!(parse(&deep).unwrap_err().what, "nested too deeply");
    let e = parse("[1 2]").unwrap_err();
    assert_eq!(e.message(), [e.what, " at byte 3"].concat());
    assert_eq!(e.to_string(), e.message());
    let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
    assert!(parse(&ok).is_ok());
}

#[test]
fn numbers() {
    let n = |t: &str| parse(t).expect(t);
    assert_eq!(n("42").as_u64(), Some(42));
    assert_eq!(n("42").as_i64(), Some(42));
    assert_eq!(n("-42").as_i64(), Some(-42));
    assert_eq!(n("-42").as_u64(), None);
    assert_eq!(n("4.0").as_u64(), None);
    assert_eq!(n("18446744073709551615").as_u64(), Some(u64::MAX));
    assert_eq!(n("18446744073709551616").as_u64(), None);
    assert_eq!(n("-9223372036854775808").as_i64(), Some(i64::MIN));
    assert_eq!(n("9223372036854775808").as_i64(), None);
    for (t, x) in [
        ("0", 0.0),
        ("-0", -0.0),
        ("1.5", 1.5),
        ("0.001", 0.001),
        ("12.34", 12.34),
        ("2.5e3", 2500.0),
        ("1E-3", 0.001),
        ("123456789012345678901234", 1.2345678901234568e23),
        ("0.1", 0.1),
        ("1e308", 1e308),
        ("5e-324", 5e-324),
        ("1e-400", 0.0),
        ("1.75e-77777777777777777777777777", 0.0),
        ("-2e-2147483648", -0.0),
        (
            "0.000000000000000000000000000000000000000000000001e-2147483647",
            0.0,
        ),
    ] {
        let got = n(t).as_f64().expect(t);
        let rel = if x == 0.0 {
            got.abs()
        } else {
            ((got - x) / x).abs()
        };
        assert!(rel < 1e-15, "{t}: {got} vs {x}");
    }
    // Exactly rounded on the fast path.
    assert_eq!(n("0.3").as_f64(), Some(0.3));
    assert_eq!(n("1234.5678").as_f64(), Some(1234.5678));
    assert_eq!(n("3.5").to_text(), "3.5");
}

#[test]
fn many_repeated_keys_merge_like_json_parse() {
    let v = parse(r#"{"a":1,"b":2,"a":3,"c":4,"b":5,"a":6}"#).expect("object");
    assert_eq!(v.to_text(), r#"{"a":6,"b":5,"c":4}"#);
    // Many keys, all distinct then all repeated: linear-ish, and the last value wins.
    let n = 50_000;
    let mut text = String::from("{");
    for round in 0..2 {
        for i in 0..n {
            if round + i > 0 {
                text.push(',');
            }
            text.push_str(&format!("\"k{i}\":{round}"));
        }
    }
    text.push('}');
    let v = parse(&text).expect("object");
    let m = v.as_object().expect("object");
    assert_eq!(m.len(), n);
    assert_eq!(m.keys().next().map(String::as_str), Some("k0"));
    assert!(m.values().all(|x| *x == 1));
}

#[test]
fn objects_keep_order_and_last_duplicate() {
    let v = parse(r#"{"b":1,"a":2,"b":3}"#).expect("object");
    assert_eq!(v.to_text(), r#"{"b":3,"a":2}"#);
    assert_eq!(v["b"], 3);
    assert!(v["zz"].is_null());
    assert_eq!(parse(r#"{"a":1,"b":2}"#), parse(r#"{"b":2,"a":1}"#));
    assert_ne!(parse(r#"{"a":1}"#), parse(r#"{"a":1,"b":2}"#));
}

#[test]
fn agrees_with_serde_json_on_random_documents() {
    let mut rng = crate::rng::SplitMix64::new(7);
    for _ in 0..500 {
        let doc = random_doc(&mut rng, 0);
        let text = doc.to_string();
        let ours = parse(&text).expect("serde_json's output parses");
        let back: serde_json::Value =
            serde_json::from_str(&ours.to_text()).expect("our output parses");
        assert_eq!(back, doc);
    }
}

fn below(rng: &mut crate::rng::SplitMix64, n: u64) -> u64 {
    rng.next_u64() % n
}

fn random_doc(rng: &mut crate::rng::SplitMix64, depth: u32) -> serde_json::Value {
    let pick = below(rng, if depth > 3 { 5 } else { 7 });
    match pick {
        0 => serde_json::json!(null),
        1 => serde_json::json!(below(rng, 2) == 1),
        2 => serde_json::json!(below(rng, 1 << 40) as i64 - (1 << 39)),
        3 => serde_json::json!((below(rng, 1_000_000) as f64) / 1000.0),
        4 => {
            let chars = ['a', 'é', '"', '\\', '\n', '\u{1}', '😀', '/', ' '];
            let n = below(rng, 8) as usize;
            serde_json::json!((0..n)
                .map(|_| chars[below(rng, chars.len() as u64) as usize])
                .collect::<String>())
        }
        5 => serde_json::json!((0..below(rng, 4))
            .map(|_| random_doc(rng, depth + 1))
            .collect::<Vec<_>>()),
        _ => {
            let mut m = serde_json::Map::new();
            for i in 0..below(rng, 4) {
                m.insert(format!("k{i}"), random_doc(rng, depth + 1));
            }
            serde_json::Value::Object(m)
        }
    }
}

#[test]
fn plain_run_end_matches_a_byte_scan() {
    let naive = |s: &[u8], from: usize| {
        (from..s.len())
            .find(|&i| s[i] == b'"' || s[i] == b'\\' || s[i] < 0x20)
            .unwrap_or(s.len())
    };
    // Every stopping byte (and near-misses: 0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7F, 0x80, 0xFF)
    // at every offset of a 19-byte run, from every start.
    let bytes = [
        0x00, 0x1F, 0x20, 0x21, b'"', 0x23, b'\\', 0x5B, 0x5D, 0x7F, 0x80, 0xFF, b'\n',
    ];
    for &b in &bytes {
        for at in 0..19 {
            let mut s = vec![b'a'; 19];
            s[at] = b;
            // A multi-byte run ahead of it (UTF-8 bytes are all >= 0x80).
            s[0] = 0xC3;
            for from in 0..19 {
                assert_eq!(
                    plain_run_end(&s, from),
                    naive(&s, from),
                    "{b:#x} at {at} from {from}"
                );
            }
        }
    }
    // Two stops in one word: the first wins.
    assert_eq!(plain_run_end(b"abc\\de\"gh", 0), 3);
    assert_eq!(plain_run_end(b"", 0), 0);
}

#[test]
fn long_strings_parse() {
    let long = "a watercolor fox ✓ ".repeat(4000);
    let text = format!("{{\"p\":\"{long}\",\"q\":\"x\\\"y\"}}");
    let v = parse(&text).expect("long");
    assert_eq!(v.get("p").and_then(Value::as_str), Some(long.as_str()));
    assert_eq!(v.get("q").and_then(Value::as_str), Some("x\"y"));
    assert!(parse(&format!("\"{long}\u{1}\"")).is_err());
}
