//! The `tasklane-sim` binary as users and `tests/js/support/sim.mjs` start it: the first
//! stdout line names the URL, `--help` prints usage, a bad flag exits 2 naming it.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::*;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_tasklane-sim");

/// Kills the child when the test ends, pass or fail.
struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_announces_its_url_and_serves() {
    let mut child = Child(
        Command::new(BIN)
            .args([
                "--addr",
                "127.0.0.1:0",
                "--api-key",
                "cli-key",
                "--model",
                "quick=fixed:0,queue=0",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts"),
    );
    let stdout = child.0.stdout.take().expect("piped stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut l = String::new();
        BufReader::new(stdout).read_line(&mut l).map(|_| l)
    })
    .await
    .unwrap()
    .unwrap();
    let url = line
        .trim()
        .strip_prefix("tasklane-sim listening on ")
        .expect("the first line names the URL")
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let r = send(
        "POST",
        &format!("{url}/apixo/api/v1/generateTask/quick"),
        &[("authorization", "Bearer cli-key")],
        Some(json!({"input": {}}).to_string().as_bytes()),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    let id = r.json()["data"]["taskId"].as_str().unwrap().to_string();
    let s = send(
        "GET",
        &format!("{url}/apixo/api/v1/statusTask/quick?taskId={id}"),
        &[("authorization", "Bearer cli-key")],
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        s.json()["data"]["state"],
        "success",
        "the --model spec applies"
    );
}

#[test]
fn help_and_bad_flags() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--fault-rate"));
    let out = Command::new(BIN)
        .args(["--model", "x=warp:9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--model") && err.contains("bad_model"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_header_dedupes_on_any_dialect() {
    let sim = sim(&[]).await;
    let u = sim.url();
    let h = [
        ("authorization", "Bearer sim-key"),
        ("idempotency-key", "hdr-1"),
    ];
    let body = json!({"input": {"prompt": "x"}}).to_string();
    let a = send(
        "POST",
        &format!("{u}/apixo/api/v1/generateTask/m"),
        &h,
        Some(body.as_bytes()),
    )
    .await
    .unwrap()
    .json();
    let b = send(
        "POST",
        &format!("{u}/apixo/api/v1/generateTask/m"),
        &h,
        Some(body.as_bytes()),
    )
    .await
    .unwrap()
    .json();
    assert_eq!(a["data"]["taskId"], b["data"]["taskId"]);
    let c = post(
        &format!("{u}/apixo/api/v1/generateTask/m"),
        &json!({"input": {}}),
    )
    .await
    .json();
    assert_ne!(
        a["data"]["taskId"], c["data"]["taskId"],
        "no key, a new task"
    );
    let s = stats(&sim).await;
    assert_eq!(
        (s["tasks_created"].clone(), s["duplicate_submits"].clone()),
        (json!(2), json!(1))
    );
}
