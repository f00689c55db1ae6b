//! Shared helpers for the simulator's integration tests: start a simulator in-process on
//! 127.0.0.1:0, talk to it over real loopback HTTP (hyper-util client), run a webhook
//! receiver, and speak raw TCP where a test must see exactly what reached the socket.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::HeaderMap;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use tasklane_sim::{Config, Sim};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const KEY: &str = "sim-key";

/// Starts a simulator with `args` (CLI syntax) on a free port.
pub async fn sim(args: &[&str]) -> Sim {
    let mut all = vec![
        "--addr".to_string(),
        "127.0.0.1:0".to_string(),
        "--seed".to_string(),
        "7".to_string(),
    ];
    all.extend(args.iter().map(|s| s.to_string()));
    let cfg = Config::from_args(all).expect("test args parse");
    tasklane_sim::start(cfg)
        .await
        .expect("the simulator binds 127.0.0.1:0")
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
    pub fn header(&self, k: &str) -> Option<String> {
        self.headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    }
}

/// One request; `Err` when the connection failed (reset, dropped) before a whole answer.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Resp, String> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build_http();
    let mut b = hyper::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = b
        .body(Full::new(Bytes::copy_from_slice(body.unwrap_or_default())))
        .map_err(|e| e.to_string())?;
    let fut = async {
        let resp = client
            .request(req)
            .await
            .map_err(|e| format!("request: {e:?}"))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e:?}"))?
            .to_bytes();
        Ok(Resp {
            status,
            headers,
            body,
        })
    };
    tokio::time::timeout(Duration::from_secs(10), fut)
        .await
        .map_err(|_| "timed out".to_string())?
}

/// GET with the API key.
pub async fn get(url: &str) -> Resp {
    send("GET", url, &[("authorization", "Bearer sim-key")], None)
        .await
        .expect("GET answered")
}

/// POST JSON with the API key.
pub async fn post(url: &str, body: &Value) -> Resp {
    send(
        "POST",
        url,
        &[
            ("authorization", "Bearer sim-key"),
            ("content-type", "application/json"),
        ],
        Some(body.to_string().as_bytes()),
    )
    .await
    .expect("POST answered")
}

/// PUT with the API key.
pub async fn put(url: &str) -> Resp {
    send("PUT", url, &[("authorization", "Bearer sim-key")], None)
        .await
        .expect("PUT answered")
}

/// Polls `f` every 25 ms until it returns `Some`, for at most 10 s.
pub async fn eventually<T, F, Fut>(mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..400 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("condition not reached within 10 s");
}

/// Stats JSON.
pub async fn stats(sim: &Sim) -> Value {
    get(&format!("{}/__sim/stats", sim.url())).await.json()
}

/// Sends raw bytes on a fresh TCP connection and reads until the server closes it
/// (or 5 s pass). Returns what arrived and whether the read ended in an error (reset).
pub async fn raw(sim: &Sim, bytes: &[u8]) -> (Vec<u8>, bool) {
    raw_with(sim, bytes, false).await
}

/// Like [`raw`]; with `half_close` the write side is shut after sending, so a server
/// waiting for the rest of a garbled request sees the end at once.
pub async fn raw_with(sim: &Sim, bytes: &[u8], half_close: bool) -> (Vec<u8>, bool) {
    let mut s = tokio::net::TcpStream::connect(sim.addr())
        .await
        .expect("connect");
    s.write_all(bytes).await.expect("write");
    if half_close {
        let _ = s.shutdown().await;
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await {
            Err(_) => return (out, false),
            Ok(Ok(0)) => return (out, false),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Ok(Err(_)) => return (out, true),
        }
    }
}

/// One request a webhook receiver got.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Delivery {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("webhook body is JSON")
    }
    pub fn header(&self, k: &str) -> Option<String> {
        self.headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    }
}

/// A webhook receiver on 127.0.0.1:0 that answers 500 to the first `fail_first` posts.
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<Delivery>>>,
}

impl Receiver {
    pub async fn start(fail_first: usize) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let url = format!("http://{}/hook", listener.local_addr().expect("local addr"));
        let got: Arc<Mutex<Vec<Delivery>>> = Arc::default();
        let g = got.clone();
        let seen = Arc::new(Mutex::new(0usize));
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let g = g.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(
                        move |req: hyper::Request<hyper::body::Incoming>| {
                            let g = g.clone();
                            let seen = seen.clone();
                            async move {
                                let headers = req.headers().clone();
                                let body = req
                                    .into_body()
                                    .collect()
                                    .await
                                    .map(|c| c.to_bytes())
                                    .unwrap_or_default();
                                let n = {
                                    let mut s = seen.lock().unwrap();
                                    *s += 1;
                                    *s
                                };
                                let status = if n <= fail_first { 500 } else { 200 };
                                if status == 200 {
                                    g.lock().unwrap().push(Delivery { headers, body });
                                }
                                Ok::<_, std::convert::Infallible>(
                                    hyper::Response::builder()
                                        .status(status)
                                        .body(Full::new(Bytes::from_static(b"ok")))
                                        .unwrap(),
                                )
                            }
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Receiver { url, got }
    }

    /// Waits until at least `n` deliveries arrived, and returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Delivery> {
        let got = self.got.clone();
        eventually(|| {
            let got = got.clone();
            async move {
                let g = got.lock().unwrap();
                (g.len() >= n).then(|| g.clone())
            }
        })
        .await
    }
}
