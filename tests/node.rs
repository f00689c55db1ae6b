//! The shell's glue under wasm-bindgen-test in Node (`scripts/test-wasm.sh`).
#![cfg(all(target_arch = "wasm32", feature = "client"))]

mod common;

shell_tests!(
    sync: bad_options_are_named, error_class_is_shared, profiles_are_plain_objects;
    async: bad_submit_rejects, unreachable_server_is_network, runs_against_the_simulator, abort_ends_a_wait
);
