//! The sans-IO core of tasklane. Nothing in this crate touches the network, a clock or a
//! random source: callers pass `now` (milliseconds) and HTTP responses in, and take
//! request descriptions, wake-up times and normalized task updates out.
//!
//! - [`state`]: the normalized [`TaskUpdate`] and [`TaskState`].
//! - [`profile`] and [`dialects`]: each provider API as a [`ProviderProfile`] value.
//! - [`normalize`]: status / webhook / result bodies → [`TaskUpdate`] (profile-driven).
//! - [`request`]: building each request a profile describes.
//! - [`backoff`], [`retry_after`], [`estimate`]: when to poll.
//! - [`engine`]: the [`Engine`] that runs many operations on one timer.
//! - [`webhook`]: verifying webhook deliveries (Standard Webhooks, bearer tokens, limits, dedupe).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod backoff;
pub mod base64;
pub mod config;
pub mod dialects;
pub mod engine;
pub mod error;
pub mod estimate;
pub mod http;
pub mod json;
pub mod json_path;
pub mod normalize;
pub mod profile;
pub mod profile_reader;
pub mod proxy;
pub mod request;
pub mod retry_after;
pub mod rng;
pub mod state;
pub mod text;
pub mod url;
pub mod vecmap;
pub mod webhook;

pub use config::{
    ClientConfig, Limits, PollConfig, PollOptions, SubmitRequest, TaskRecord, TaskRef, WaitOptions,
    WebhookTarget,
};
pub use engine::{Engine, OpId, OpResult, ReqId, StoreOp};
pub use error::{CoreError, ErrorCode, TaskFailure};
pub use http::{HttpRequest, HttpResponse, TransportError, TransportErrorKind};
pub use profile::{ProviderProfile, ProviderSpec};
pub use state::{Output, OutputKind, TaskEvent, TaskState, TaskUpdate, UpdateError};
