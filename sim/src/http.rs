//! The simulator's answer type and the glue to hyper: a [`Reply`] is plain data (status,
//! headers, payload) that faults can rewrite before it becomes a real response; reading
//! request bodies under the size cap lives here too.

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use serde_json::Value;

/// The body type of every response.
pub type Body = BoxBody<Bytes, std::io::Error>;

/// What the answer carries.
#[derive(Debug, Clone)]
pub enum Payload {
    /// A JSON document.
    Json(Value),
    /// Raw bytes with a content type.
    Bytes {
        /// The `Content-Type`.
        content_type: &'static str,
        /// The bytes.
        bytes: Bytes,
    },
    /// No body.
    Empty,
    /// Send the headers and these bytes, then reset the connection.
    Reset(Bytes),
    /// Send nothing at all and close the connection.
    Drop,
}

/// An answer before it is turned into an HTTP response.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub payload: Payload,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, v: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            payload: Payload::Json(v),
        }
    }

    /// A byte answer.
    pub fn bytes(status: u16, content_type: &'static str, bytes: impl Into<Bytes>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            payload: Payload::Bytes {
                content_type,
                bytes: bytes.into(),
            },
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    /// The body as bytes (JSON serialized), for faults that cut it.
    pub fn body_bytes(&self) -> Bytes {
        match &self.payload {
            Payload::Json(v) => Bytes::from(v.to_string()),
            Payload::Bytes { bytes, .. } | Payload::Reset(bytes) => bytes.clone(),
            Payload::Empty | Payload::Drop => Bytes::new(),
        }
    }

    /// Turns the reply into a hyper response (without CORS; the server adds that).
    /// `Drop` is handled by the server before this and becomes an empty 500 here.
    pub fn into_response(self) -> hyper::Response<Body> {
        let mut b = hyper::Response::builder().status(self.status);
        for (k, v) in &self.headers {
            b = b.header(*k, v.as_str());
        }
        let body: Body = match self.payload {
            Payload::Json(v) => {
                b = b.header("content-type", "application/json");
                full(Bytes::from(v.to_string()))
            }
            Payload::Bytes {
                content_type,
                bytes,
            } => {
                b = b.header("content-type", content_type);
                full(bytes)
            }
            Payload::Empty | Payload::Drop => full(Bytes::new()),
            Payload::Reset(partial) => {
                b = b.header("content-type", "application/json");
                // A streamed body that yields part of the document, waits so the part is
                // flushed to the socket, then errors: hyper aborts the connection
                // mid-body (no terminating chunk), which the client sees as a reset.
                let stream = futures_util::stream::unfold(0u8, move |step| {
                    let partial = partial.clone();
                    async move {
                        match step {
                            0 => Some((Ok(Frame::data(partial)), 1)),
                            1 => {
                                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                                Some((
                                    Err(std::io::Error::new(
                                        std::io::ErrorKind::ConnectionReset,
                                        "simulated reset",
                                    )),
                                    2,
                                ))
                            }
                            _ => None,
                        }
                    }
                });
                BoxBody::new(StreamBody::new(stream))
            }
        };
        b.body(body).unwrap_or_else(|_| {
            // Only a header value with bytes hyper refuses gets here; every header value
            // the simulator writes is ASCII built by itself.
            let mut r =
                hyper::Response::new(full(Bytes::from_static(b"{\"error\":\"bad header\"}")));
            *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            r
        })
    }
}

/// A complete body from bytes.
pub fn full(b: Bytes) -> Body {
    Full::new(b).map_err(|never| match never {}).boxed()
}

/// Why a request body could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// Larger than the cap.
    #[error("request body larger than {0} bytes")]
    TooLarge(usize),
    /// The connection failed while reading.
    #[error("could not read the request body: {0}")]
    Read(String),
}

impl BodyError {
    /// A stable machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            BodyError::TooLarge(_) => "payload_too_large",
            BodyError::Read(_) => "bad_body",
        }
    }

    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        match self {
            BodyError::TooLarge(_) => 413,
            BodyError::Read(_) => 400,
        }
    }
}

/// Reads a whole request body, refusing more than `limit` bytes.
pub async fn read_body(
    body: Incoming,
    declared_len: Option<u64>,
    limit: usize,
) -> Result<Bytes, BodyError> {
    if declared_len.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge(limit));
    }
    match Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge(limit)),
        Err(e) => Err(BodyError::Read(e.to_string())),
    }
}

/// Parses `a=b&c=d` (percent-decoding values) into pairs.
pub fn query_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Decodes `%XX` escapes and `+` (as a space); invalid escapes are kept as written.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_queries() {
        assert_eq!(
            query_pairs("taskId=a%2Fb&x=1+2&flag"),
            vec![
                ("taskId".into(), "a/b".into()),
                ("x".into(), "1 2".into()),
                ("flag".into(), "".into())
            ]
        );
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%41"), "A");
    }
}
