//! The core's JSON parser: any text parses or is refused without a panic, and what parses
//! is written back as text that parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tasklane_core::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(v) = json::parse(text) {
        let again = json::parse(&v.to_text()).expect("written JSON parses");
        assert_eq!(again, v);
    }
});
