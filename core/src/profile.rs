//! A [`ProviderProfile`] describes one asynchronous-task API as data: where to send each
//! request, how to build the submit body, where the id, state, errors and results sit in
//! the answers, and what the dialect can do (cancel, events, idempotent submits). The four
//! built-in dialects are profile values (see [`crate::dialects`]); a user describes a fifth
//! provider by writing the same object in JavaScript (camelCase keys).
//!
//! Paths into JSON are dotted (`data.resultJson.resultUrls`); a segment `[]` walks every
//! element of an array (`images[].url`). Path templates take placeholders `{id}`, `{model}`,
//! `{operation}`, `{endpoint}`, `{taskType}`, `{limit}`, `{offset}`; a query pair whose
//! placeholder has no value is left out.

use crate::json::Value;
use crate::state::{OutputKind, TaskState};
use crate::vecmap::VecMap;

/// One asynchronous-task API, described as data.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderProfile {
    /// A short name (`"apixo"`), stored with task records.
    pub name: String,
    /// Values used when the request leaves a placeholder out (e.g. mirako's `operation`).
    pub defaults: VecMap<String, String>,
    /// Creating a task.
    pub submit: SubmitSpec,
    /// Reading a task's status.
    pub status: StatusSpec,
    /// A separate request for the result once the status says it succeeded (queue).
    pub result: Option<ResultSpec>,
    /// Canceling a task, when the API can.
    pub cancel: Option<CancelSpec>,
    /// Listing a task's events, when the API can.
    pub events: Option<EventsSpec>,
    /// A result code inside 2xx bodies (`{code, msg, data}`) that can say the request failed.
    pub envelope: Option<EnvelopeSpec>,
}

/// Some APIs answer HTTP 200 with the real outcome in the body (`{"code": 429, ...}`).
/// A numeric code at `codePath` outside `ok` is treated as that HTTP status (a code outside
/// 100..=599 as 502): retried when transient, an `http` error otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvelopeSpec {
    /// Dotted path of the code.
    pub code_path: String,
    /// Codes that mean success.
    pub ok: Vec<i64>,
}

/// Where a request goes: a remembered absolute URL when the task has one, else a path
/// template below `baseUrl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// `GET`, `POST`, `PUT`...
    pub method: String,
    /// A path template below `baseUrl` (may carry a query), e.g. `/v1/tasks/{id}`. Empty
    /// when only a remembered URL will do.
    pub path: String,
    /// Prefer this URL remembered from the submit answer, when known.
    pub url_from: Option<UrlKind>,
}

/// The URLs a submit answer may hand out for later requests (queue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UrlKind {
    /// Where to read the status.
    Status,
    /// Where to read the result.
    Response,
    /// Where to cancel.
    Cancel,
}

/// Where a piece of a request body comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// The whole `input` object. With `to: ""` its fields are merged into the body's top level.
    Input,
    /// One field of `input`, named by [`BodyField::field`].
    InputField,
    /// The fields of `input` except those in [`BodyField::except`]; left out when none remain.
    InputExcept,
    /// `req.model`.
    Model,
    /// `req.operation`.
    Operation,
    /// `req.endpoint`.
    Endpoint,
    /// `req.taskType`.
    TaskType,
    /// `req.metadata`.
    Metadata,
    /// The idempotency key (the user's, or one generated from the seed).
    IdempotencyKey,
    /// `req.webhook.url`.
    WebhookUrl,
    /// `req.webhook.authToken`.
    WebhookAuthToken,
    /// The cancel reason.
    Reason,
    /// A constant: [`BodyField::value`], or [`BodyField::value_with_webhook`] when a webhook is given.
    Const,
}

/// One field of a request body.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyField {
    /// Dotted path in the body where the value goes; `""` merges an object into the top level.
    pub to: String,
    /// Where the value comes from. A missing (null) value leaves the field out.
    pub from: Source,
    /// For [`Source::InputField`]: the input field's name.
    pub field: Option<String>,
    /// For [`Source::InputExcept`]: the input fields to leave out.
    pub except: Vec<String>,
    /// For [`Source::Const`]: the value.
    pub value: Option<Value>,
    /// For [`Source::Const`]: the value used instead when the request has a webhook.
    pub value_with_webhook: Option<Value>,
}

/// Creating a task.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitSpec {
    /// Where to send it.
    pub route: Route,
    /// How to build the body (always a JSON object).
    pub body: Vec<BodyField>,
    /// Request fields that must be given (`model`, `operation`, `endpoint`, `taskType`)
    /// besides those the path template needs.
    pub required: Vec<String>,
    /// Dotted path of the task id in the answer.
    pub id_path: String,
    /// Dotted paths of URLs in the answer to remember for the task.
    pub urls: VecMap<UrlKind, String>,
    /// True when the body carries an idempotency key, so a submit whose fate is unknown may
    /// be sent again under the same key.
    pub idempotent: bool,
}

/// One rule for finding output files in a body.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputRule {
    /// Dotted path (with `[]` for arrays) to a URL string, or to base64 data when `base64`.
    pub path: String,
    /// The kind; when absent it is guessed from the file extension, then the field name,
    /// then `file`.
    pub kind: Option<OutputKind>,
    /// The value is base64 file content: it becomes a `data:` URL with the MIME type its
    /// bytes show.
    pub base64: bool,
}

/// Reading a task's status and turning the answer into a [`crate::state::TaskUpdate`].
/// A webhook body of the dialect has this same shape.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusSpec {
    /// Where to send it.
    pub route: Route,
    /// Dotted paths of fields holding JSON text, parsed before the paths below are read
    /// (`data.resultJson`).
    pub json_string_fields: Vec<String>,
    /// Dotted path of the task id (falls back to the id asked about).
    pub id_path: String,
    /// Dotted path of the provider's status value (string or number).
    pub state_path: String,
    /// Provider status value (numbers written as strings) → normalized state.
    pub states: VecMap<String, TaskState>,
    /// Provider status values that carry an error code of their own (mindproxy `8` → `REFUNDED`).
    pub state_error_codes: VecMap<String, String>,
    /// Dotted path of the queue position.
    pub queue_position_path: Option<String>,
    /// Dotted path of the error message.
    pub error_message_path: Option<String>,
    /// Dotted path of the error code / type.
    pub error_code_path: Option<String>,
    /// When a `succeeded` answer carries an error message or code, the task failed (queue's
    /// `COMPLETED` + `error`).
    pub error_means_failure: bool,
    /// Error codes that mean another end than `failed` (queue `CANCELED` → `canceled`).
    pub error_code_states: VecMap<String, TaskState>,
    /// Where output files are found.
    pub outputs: Vec<OutputRule>,
    /// Dotted path of the run time the provider reports.
    pub cost_path: Option<String>,
    /// Milliseconds per unit of `costPath` (1 for ms, 1000 for seconds).
    pub cost_scale: f64,
}

/// Fetching the result after a `succeeded` status (queue's `response_url`).
#[derive(Debug, Clone, PartialEq)]
pub struct ResultSpec {
    /// Where to send it.
    pub route: Route,
    /// Dotted paths of fields holding JSON text.
    pub json_string_fields: Vec<String>,
    /// Where output files are found in the result body.
    pub outputs: Vec<OutputRule>,
}

/// Canceling a task.
#[derive(Debug, Clone, PartialEq)]
pub struct CancelSpec {
    /// Where to send it.
    pub route: Route,
    /// The body, if any (empty: no body).
    pub body: Vec<BodyField>,
}

/// Listing a task's events.
#[derive(Debug, Clone, PartialEq)]
pub struct EventsSpec {
    /// Where to send it (`{limit}` and `{offset}` placeholders allowed in the query).
    pub route: Route,
    /// Dotted path of the array of events.
    pub list_path: String,
    /// Dotted path, inside an event, of its id.
    pub id_path: String,
    /// ... of its type.
    pub type_path: String,
    /// ... of its status value (mapped through the status spec's `states`).
    pub status_path: String,
    /// ... of its message.
    pub message_path: String,
    /// ... of its time.
    pub created_at_path: String,
}

impl ProviderProfile {
    /// The built-in dialect with this name (`mirako`, `apixo`, `mindproxy`, `queue`).
    pub fn builtin(name: &str) -> Option<ProviderProfile> {
        crate::dialects::builtin(name)
    }

    /// The names of the built-in dialects.
    pub const BUILTIN: [&'static str; 4] = ["mirako", "apixo", "mindproxy", "queue"];
}

/// A dialect chosen by name or given as a profile object.
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderSpec {
    /// A built-in dialect's name.
    Name(String),
    /// A profile object.
    Profile(Box<ProviderProfile>),
}

impl ProviderSpec {
    /// Resolves to a profile; an unknown name is an `invalid_argument` naming `provider`.
    pub fn resolve(&self) -> Result<ProviderProfile, crate::error::CoreError> {
        match self {
            ProviderSpec::Name(n) => builtin_or_err(n),
            ProviderSpec::Profile(p) => Ok((**p).clone()),
        }
    }

    /// [`ProviderSpec::resolve`], moving a profile object out rather than copying it.
    pub fn into_profile(self) -> Result<ProviderProfile, crate::error::CoreError> {
        match self {
            ProviderSpec::Name(n) => builtin_or_err(&n),
            ProviderSpec::Profile(p) => Ok(*p),
        }
    }
}

/// The built-in dialect `n`, or an `invalid_argument` naming `provider`.
fn builtin_or_err(n: &str) -> Result<ProviderProfile, crate::error::CoreError> {
    ProviderProfile::builtin(n).ok_or_else(|| {
        crate::error::CoreError::invalid(
            "provider",
            crate::text::concat(&[
                "unknown provider \"",
                n,
                "\"; expected one of mirako, apixo, mindproxy, queue or a profile object",
            ]),
        )
    })
}

impl Route {
    /// A route to a path template below `baseUrl`.
    pub fn new(method: &str, path: &str) -> Route {
        Route {
            method: method.to_owned(),
            path: path.to_owned(),
            url_from: None,
        }
    }

    /// Prefer a URL remembered from the submit answer.
    pub fn or_remembered(mut self, kind: UrlKind) -> Route {
        self.url_from = Some(kind);
        self
    }
}

impl BodyField {
    /// A field at `to` taken from `from`.
    pub fn new(to: &str, from: Source) -> BodyField {
        BodyField {
            to: to.to_owned(),
            from,
            field: None,
            except: Vec::new(),
            value: None,
            value_with_webhook: None,
        }
    }

    /// One input field copied to `to`.
    pub fn input_field(to: &str, field: &str) -> BodyField {
        BodyField {
            field: Some(field.to_owned()),
            ..BodyField::new(to, Source::InputField)
        }
    }

    /// The input's other fields, at `to`.
    pub fn input_except(to: &str, except: &[&str]) -> BodyField {
        BodyField {
            except: except.iter().map(|s| (*s).to_owned()).collect(),
            ..BodyField::new(to, Source::InputExcept)
        }
    }

    /// A constant, or another constant when the request has a webhook.
    pub fn constant(to: &str, value: Value, with_webhook: Option<Value>) -> BodyField {
        BodyField {
            value: Some(value),
            value_with_webhook: with_webhook,
            ..BodyField::new(to, Source::Const)
        }
    }
}

impl OutputRule {
    /// A rule with a fixed kind, or `None` to guess.
    pub fn new(path: &str, kind: Option<OutputKind>) -> OutputRule {
        OutputRule {
            path: path.to_owned(),
            kind,
            base64: false,
        }
    }
}
