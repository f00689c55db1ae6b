//! The mirako webhook body parser: any bytes give a normalized update or a 400 error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tasklane_core::webhook::parse_update;
use tasklane_core::ProviderProfile;

fuzz_target!(|data: &[u8]| {
    let profile = ProviderProfile::builtin("mirako").expect("built-in dialect");
    match parse_update(&profile, data) {
        Ok(u) => assert!(!u.id.is_empty()),
        Err(e) => assert_eq!(e.status(), 400, "{e}"),
    }
});
