//! The shell's glue under wasm-bindgen-test in headless Chromium (`scripts/test-wasm.sh`);
//! the page is served from another port than the simulator, so this also checks CORS.
#![cfg(target_arch = "wasm32")]

mod common;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn bad_options_are_named() {
    common::bad_options_are_named();
}

#[wasm_bindgen_test]
fn error_class_is_shared() {
    common::error_class_is_shared();
}

#[wasm_bindgen_test]
fn profiles_are_plain_objects() {
    common::profiles_are_plain_objects();
}

#[wasm_bindgen_test]
async fn bad_submit_rejects() {
    common::bad_submit_rejects().await;
}

#[wasm_bindgen_test]
async fn unreachable_server_is_network() {
    common::unreachable_server_is_network().await;
}

#[wasm_bindgen_test]
async fn runs_against_the_simulator() {
    common::runs_against_the_simulator().await;
}

#[wasm_bindgen_test]
async fn abort_ends_a_wait() {
    common::abort_ends_a_wait().await;
}
