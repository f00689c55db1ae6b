//! The shell's glue under wasm-bindgen-test in headless Chromium (`scripts/test-wasm.sh`);
//! the page is served from another port than the simulator, so this also checks CORS.
#![cfg(all(target_arch = "wasm32", feature = "client"))]

mod common;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

shell_tests!(
    sync: bad_options_are_named, error_class_is_shared, profiles_are_plain_objects;
    async: bad_submit_rejects, unreachable_server_is_network, runs_against_the_simulator, abort_ends_a_wait
);
