//! The data the engine hands the shell: ids of operations and requests, the [`Output`]s
//! to drain, what an operation ends with ([`OpResult`]) and store instructions ([`StoreOp`]).

use crate::config::TaskRecord;
use crate::error::TaskFailure;
use crate::http::HttpRequest;
use crate::state::{TaskEvent, TaskUpdate};

/// An operation the shell started (`submit`, `status`, `wait`, `cancel`, `events`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpId(pub u64);

/// One HTTP request the engine asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReqId(pub u64);

/// What an operation succeeded with.
#[derive(Debug, Clone, PartialEq)]
pub enum OpResult {
    /// `submit`, `status`, `wait`, `cancel`: the task as last seen.
    Update(TaskUpdate),
    /// `events`: the task's events.
    Events(Vec<TaskEvent>),
}

/// A change for the shell's task store.
#[derive(Debug, Clone, PartialEq)]
// A store op is made once per task submit or end; boxing the record would only add an
// indirection for the shell to undo.
#[allow(clippy::large_enum_variant)]
pub enum StoreOp {
    /// Remember (or update) a live task.
    Put(TaskRecord),
    /// Forget a task (it reached a terminal state).
    Delete(String),
}

/// Something for the shell to do or report, drained with `Engine::poll_output`.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Perform this request (abort it after `request.timeout_ms`) and feed the outcome to
    /// `Engine::handle_response` with this `req`.
    Send {
        /// The request's id.
        req: ReqId,
        /// What to send.
        request: HttpRequest,
    },
    /// Abort this in-flight request; its outcome is no longer wanted.
    Abort {
        /// The request's id.
        req: ReqId,
    },
    /// A `wait` saw the task change (state or queue position): for `onUpdate` / `watch`.
    Update {
        /// The operation.
        op: OpId,
        /// The task now.
        update: TaskUpdate,
    },
    /// An operation ended. Each operation ends exactly once.
    Done {
        /// The operation.
        op: OpId,
        /// How it ended.
        result: Result<OpResult, TaskFailure>,
    },
    /// Persist or forget a task record.
    Store(StoreOp),
}
