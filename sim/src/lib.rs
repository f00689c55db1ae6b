//! tasklane-sim: a local simulator of the four asynchronous AI-generation dialects
//! tasklane speaks (mirako, apixo, mindproxy, queue), on one port, faithful to the
//! vendors' documented paths, bodies and status codes, with per-task control of timing
//! and outcome (`_sim`), fault injection, signed webhooks, result files and stats.
//!
//! Run it with `tasklane-sim --addr 127.0.0.1:0`; embed it in a test with
//! [`server::start`]. The CLI and the control protocol are documented in `sim/README.md`
//! and in ARCHITECTURE.md.
#![deny(missing_docs)]

pub mod config;
pub mod control;
pub mod cors;
pub mod dialects;
pub mod faults;
pub mod files;
pub mod http;
pub mod models;
pub mod rng;
pub mod server;
pub mod sim_control;
pub mod state;
pub mod stats;
pub mod task;
pub mod time;
pub mod webhooks;

pub use config::{Config, ConfigError};
pub use server::{start, Sim};
