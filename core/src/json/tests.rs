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

/// Texts that are not JSON, each refused for its own reason.
const BAD: [&str; 27] = [
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
];

#[test]
fn refuses_invalid_text() {
    for bad in BAD {
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
    // Only long integer parts or exponents can leave f64's range; the check is exact at the
    // edge (308 digits stay below 1e308; 309 may or may not).
    let digits = |k: usize, lead: &str| format!("{lead}{}", "9".repeat(k - 1));
    assert!(parse(&digits(308, "9")).is_ok());
    assert!(parse(&format!("-{}.5", digits(308, "9"))).is_ok());
    assert!(
        parse(&format!("1{}", "0".repeat(308))).is_ok(),
        "1e308 written out"
    );
    assert_eq!(
        parse(&digits(309, "9")).unwrap_err().what,
        "number out of range"
    );
    assert_eq!(
        parse(&format!("[2{}]", "0".repeat(308))).unwrap_err(),
        ParseError {
            what: "number out of range",
            at: 1
        }
    );
    assert_eq!(parse("1e309").unwrap_err().what, "number out of range");
    assert!(parse(&format!("0.{}", "9".repeat(400))).is_ok());
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

/// Sets of paths into [`nested_doc`]'s documents, as profiles write them (an empty set
/// among them: nothing wanted).
fn wanted_sets() -> Vec<(Vec<&'static str>, Wanted)> {
    let sets: [&[&str]; 6] = [
        &[],
        &["k0"],
        &["k0.k1", "k2[].k0"],
        &["k1.0", "k3[].k1[]", "k1.k0.k2"],
        &["k0..k1", "k0[]", "k1"],
        &[""],
    ];
    sets.iter()
        .map(|paths| {
            let mut w = Wanted::new();
            for p in paths.iter() {
                w.add(p);
            }
            (paths.to_vec(), w)
        })
        .collect()
}

#[test]
fn a_wanted_parse_reads_the_wanted_paths_as_a_whole_parse_does() {
    let mut rng = crate::rng::SplitMix64::new(11);
    let sets = wanted_sets();
    for _ in 0..3000 {
        let text = nested_doc(&mut rng, 0).to_string();
        let whole = parse(&text).expect("serde_json's output parses");
        for (paths, w) in &sets {
            let some = parse_wanted(&text, w).expect("a wanted parse accepts it too");
            for p in paths {
                assert_eq!(
                    crate::json_path::collect(&some, p),
                    crate::json_path::collect(&whole, p),
                    "{text} at {p:?}"
                );
                assert_eq!(
                    crate::json_path::get(&some, p),
                    crate::json_path::get(&whole, p),
                    "{text} at {p:?}"
                );
            }
        }
        assert_eq!(parse_wanted(&text, &Wanted::everything()).unwrap(), whole);
    }
}

#[test]
fn a_wanted_parse_refuses_what_a_whole_parse_refuses_where_it_does() {
    let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
    let deep_member = format!("{{\"x\":{deep}}}");
    let mut texts: Vec<String> = BAD.iter().map(|t| t.to_string()).collect();
    texts.push(deep);
    texts.push(deep_member);
    // Random documents with one byte changed or cut short: most are not JSON any more.
    let mut rng = crate::rng::SplitMix64::new(13);
    let swaps = [
        b'"', b'\\', b',', b':', b'}', b']', b'e', b'-', 1, b'x', b'u',
    ];
    for _ in 0..3000 {
        let text = format!(
            "{{\"k0\":{},\"k1\":{}}}",
            random_doc(&mut rng, 1),
            random_doc(&mut rng, 1)
        );
        let mut b = text.into_bytes();
        let at = below(&mut rng, b.len() as u64) as usize;
        if below(&mut rng, 4) == 0 {
            b.truncate(at);
        } else {
            b[at] = swaps[below(&mut rng, swaps.len() as u64) as usize];
        }
        if let Ok(t) = String::from_utf8(b) {
            texts.push(t);
        }
    }
    let mut refused = 0;
    for text in &texts {
        let whole = parse(text);
        refused += usize::from(whole.is_err());
        for (_, w) in wanted_sets() {
            assert_eq!(
                parse_wanted(text, &w).err(),
                whole.clone().err(),
                "{text:?}"
            );
        }
    }
    assert!(refused > texts.len() / 2, "{refused} of {}", texts.len());
}

/// A document of objects (keys `k0`–`k3`) and arrays nested a few levels, so [`PATHS`]
/// reach into it through both.
fn nested_doc(rng: &mut crate::rng::SplitMix64, depth: u32) -> serde_json::Value {
    match below(rng, if depth >= 4 { 1 } else { 3 }) {
        0 => random_doc(rng, 4),
        1 => serde_json::json!((0..below(rng, 4))
            .map(|_| nested_doc(rng, depth + 1))
            .collect::<Vec<_>>()),
        _ => {
            let mut m = serde_json::Map::new();
            for i in 0..4 {
                if below(rng, 4) > 0 {
                    m.insert(format!("k{i}"), nested_doc(rng, depth + 1));
                }
            }
            serde_json::Value::Object(m)
        }
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
