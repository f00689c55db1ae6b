//! The HTTP server: listens on loopback (another address only with `--public`), serves each
//! connection with hyper (HTTP/1.1), and dispatches by path prefix to the dialects (`/mirako`, `/apixo`, `/mindproxy`,
//! `/queue`), the files (`/files`) and the control routes (`/__sim`). Every answer gets
//! CORS headers. A connection can be closed without an answer (the `drop` fault).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify};

use crate::config::Config;
use crate::dialects::{self, Dialect};
use crate::http::{read_body, Body, Payload, Reply};
use crate::state::AppState;

/// A running simulator.
#[derive(Debug)]
pub struct Sim {
    addr: SocketAddr,
    state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
}

impl Sim {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its shared state (for in-process inspection).
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Stops accepting connections (open connections finish on their own).
    pub fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Binds `cfg.addr` and serves in the background on the current tokio runtime.
pub async fn start(cfg: Config) -> std::io::Result<Sim> {
    let listener = TcpListener::bind(cfg.addr).await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(cfg);
    let (tx, mut rx) = oneshot::channel::<()>();
    let st = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = &mut rx => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let _ = stream.set_nodelay(true);
                        tokio::spawn(serve_connection(st.clone(), stream, addr));
                    }
                    // Out of file descriptors or similar: wait a little and keep serving.
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
                },
            }
        }
    });
    Ok(Sim {
        addr,
        state,
        stop: Some(tx),
    })
}

async fn serve_connection(state: Arc<AppState>, stream: tokio::net::TcpStream, local: SocketAddr) {
    let kill = Arc::new(Notify::new());
    let k = kill.clone();
    let svc = service_fn(move |req| {
        let state = state.clone();
        let kill = k.clone();
        async move { Ok::<_, Infallible>(handle(state, req, local, kill).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), svc);
    tokio::select! {
        _ = conn => {}
        // Dropping the connection future closes the socket without an answer.
        _ = kill.notified() => {}
    }
}

/// The Host to build absolute URLs from: the request's `Host` if it is plain, else ours.
fn host_of(req: &Request<Incoming>, local: SocketAddr) -> String {
    req.headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
        })
        .map(String::from)
        .unwrap_or_else(|| local.to_string())
}

async fn handle(
    state: Arc<AppState>,
    req: Request<Incoming>,
    local: SocketAddr,
    kill: Arc<Notify>,
) -> Response<Body> {
    state.lock().requests_total += 1;
    let origin = req.headers().get("origin").cloned();
    if req.method() == Method::OPTIONS {
        return crate::cors::preflight(req.headers());
    }
    let reply = route(&state, req, local).await;
    if matches!(reply.payload, Payload::Drop) {
        kill.notify_one();
        // The connection task drops this future together with the socket.
        std::future::pending::<()>().await;
    }
    let mut resp = reply.into_response();
    crate::cors::apply(resp.headers_mut(), origin.as_ref());
    resp
}

async fn route(state: &Arc<AppState>, req: Request<Incoming>, local: SocketAddr) -> Reply {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let host = host_of(&req, local);
    let (first, rest) = match path.strip_prefix('/').unwrap_or(&path).split_once('/') {
        Some((f, r)) => (f.to_string(), format!("/{r}")),
        None => (path.trim_start_matches('/').to_string(), String::new()),
    };
    if let Some(d) = Dialect::parse(&first) {
        return dialects::handle(state, d, req, &rest, host).await;
    }
    match first.as_str() {
        "files" => {
            let name = rest.trim_start_matches('/').to_string();
            let fault = state.lock().global_fault(None, crate::faults::Route::Files);
            if let Some(f) = fault {
                state.lock().faults_injected += 1;
                if let Some(r) = dialects::pre_fault(None, f, crate::time::now_ms()) {
                    return r;
                }
                if f.kind == crate::faults::FaultKind::Slow {
                    tokio::time::sleep(std::time::Duration::from_millis(f.delay_ms)).await;
                }
            }
            dialects::post_fault(None, fault, crate::files::serve(req.method(), &name))
        }
        "__sim" => {
            let method = req.method().clone();
            let max = state.lock().base.max_body_bytes;
            let body = match read_body(req.into_body(), None, max).await {
                Ok(b) => b,
                Err(e) => {
                    return Reply::json(
                        e.status(),
                        json!({"error": {"code": e.code(), "message": e.to_string()}}),
                    )
                }
            };
            crate::control::handle(state, &method, rest.trim_start_matches('/'), &query, body)
        }
        "" if req.method() == Method::GET => Reply::json(
            200,
            json!({
                "name": "tasklane-sim",
                "dialects": Dialect::ALL.iter().map(|d| format!("http://{host}/{}", d.name())).collect::<Vec<_>>(),
                "control": format!("http://{host}/__sim/stats"),
            }),
        ),
        _ => Reply::json(
            404,
            json!({"error": {"code": "not_found", "message": format!("no route {path}")}}),
        ),
    }
}
