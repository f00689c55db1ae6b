//! The errors of the core. [`CoreError`] is what a call refuses synchronously (bad
//! arguments, an operation the dialect cannot do); [`TaskFailure`] is how an operation
//! ends when it does not succeed. Both carry an [`ErrorCode`], the stable `code` string
//! the JavaScript `TaskError` exposes.

use crate::state::TaskUpdate;
use crate::text::{concat, decimal};

/// The stable error codes of API.md (`TaskError.code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The task itself failed.
    Failed,
    /// The task was canceled.
    Canceled,
    /// The provider timed the task out (or it expired).
    TimedOut,
    /// Our own `timeoutMs` ran out.
    WaitTimeout,
    /// The caller aborted the operation.
    Aborted,
    /// A non-retryable HTTP answer.
    Http,
    /// A body that matches no dialect, or a status that stays unknown.
    BadResponse,
    /// Transient failures outlasted the deadline or the retry budget, or a submit's fate is unknown.
    Network,
    /// The dialect cannot do this (cancel, events...).
    Unsupported,
    /// The caller passed something wrong.
    InvalidArgument,
}

impl ErrorCode {
    /// The wire string (`"wait_timeout"`...).
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Failed => "failed",
            ErrorCode::Canceled => "canceled",
            ErrorCode::TimedOut => "timed_out",
            ErrorCode::WaitTimeout => "wait_timeout",
            ErrorCode::Aborted => "aborted",
            ErrorCode::Http => "http",
            ErrorCode::BadResponse => "bad_response",
            ErrorCode::Network => "network",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::InvalidArgument => "invalid_argument",
        }
    }
}

/// Why a call was refused before anything was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CoreError {
    /// An argument is missing or malformed; `field` names it (e.g. `baseUrl`, `model`, `poll.jitter`).
    InvalidArgument {
        /// The argument's name as the JavaScript API spells it.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The dialect has no such capability.
    Unsupported(String),
    /// No operation with this id is running.
    UnknownOp(u64),
}

// Display by hand over `message`, not thiserror's derive: the engine and the shell build
// messages with `message`, so the wasm needs no `core::fmt` (issue 7).
impl std::fmt::Display for CoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for CoreError {}

impl CoreError {
    /// Shorthand for [`CoreError::InvalidArgument`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        CoreError::InvalidArgument {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The message (what `Display` writes): ``invalid argument `field`: message``,
    /// `unsupported: ...` or `no operation N is running`.
    pub fn message(&self) -> String {
        match self {
            CoreError::InvalidArgument { field, message } => {
                concat(&["invalid argument `", field, "`: ", message])
            }
            CoreError::Unsupported(what) => concat(&["unsupported: ", what]),
            CoreError::UnknownOp(id) => concat(&["no operation ", &decimal(*id), " is running"]),
        }
    }

    /// The stable code.
    pub const fn code(&self) -> ErrorCode {
        match self {
            CoreError::InvalidArgument { .. } | CoreError::UnknownOp(_) => {
                ErrorCode::InvalidArgument
            }
            CoreError::Unsupported(_) => ErrorCode::Unsupported,
        }
    }
}

/// How an operation ended without success: the fields of API.md's `TaskError`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct TaskFailure {
    /// The stable code.
    pub code: ErrorCode,
    /// A message for people.
    pub message: String,
    /// The task this is about, when known.
    pub task_id: Option<String>,
    /// The HTTP status of the answer that ended it, for `http` (and others when known).
    pub http_status: Option<u16>,
    /// The last update seen (for `failed`, `canceled`, `timed_out`, `wait_timeout`...).
    pub update: Option<Box<TaskUpdate>>,
}

impl TaskFailure {
    /// A failure with a code and message only.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        TaskFailure {
            code,
            message: message.into(),
            task_id: None,
            http_status: None,
            update: None,
        }
    }

    /// The stable code.
    pub const fn code(&self) -> ErrorCode {
        self.code
    }

    /// Sets the task id.
    pub fn with_task(mut self, id: Option<&str>) -> Self {
        self.task_id = id.map(str::to_owned);
        self
    }

    /// Sets the HTTP status.
    pub fn with_http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    /// Sets the last update.
    pub fn with_update(mut self, update: Option<TaskUpdate>) -> Self {
        self.update = update.map(Box::new);
        self
    }
}

impl From<CoreError> for TaskFailure {
    fn from(e: CoreError) -> Self {
        TaskFailure::new(e.code(), e.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_strings() {
        let e = CoreError::invalid("baseUrl", "must be absolute http(s)");
        assert_eq!(e.code().as_str(), "invalid_argument");
        assert!(e.to_string().contains("baseUrl"));
        let f = TaskFailure::new(ErrorCode::WaitTimeout, "timeoutMs ran out").with_http_status(0);
        assert_eq!(f.code.as_str(), "wait_timeout");
        assert_eq!(f.http_status, Some(0));
        assert_eq!(ErrorCode::BadResponse.as_str(), "bad_response");
    }

    /// The messages, as the derive that wrote them before `message` did.
    #[test]
    fn messages() {
        let cases = [
            (
                CoreError::invalid("poll.jitter", "must be 0..=1"),
                "invalid argument `poll.jitter`: must be 0..=1",
            ),
            (
                CoreError::Unsupported("apixo cannot cancel tasks".into()),
                "unsupported: apixo cannot cancel tasks",
            ),
            (CoreError::UnknownOp(42), "no operation 42 is running"),
        ];
        for (e, m) in cases {
            assert_eq!(e.message(), m);
            assert_eq!(e.to_string(), m);
            assert_eq!(TaskFailure::from(e).message, m);
        }
    }
}
