//! The normalized view of a task: its [`TaskState`], the [`TaskUpdate`] every dialect's
//! status body is turned into, the [`Output`] files it produced and the [`TaskEvent`]s of
//! dialects that keep an event log. These are the shapes the JavaScript API exposes, so
//! they serialize in camelCase.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a task is in its life. `Queued` and `Running` are live; the rest are terminal and
/// a terminal state never goes back to a live one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// Accepted, waiting to run.
    Queued,
    /// Running.
    Running,
    /// Finished with a result.
    Succeeded,
    /// Finished without a result.
    Failed,
    /// Canceled before it finished.
    Canceled,
    /// The provider gave up on it (its own time limit or expiry).
    TimedOut,
}

impl TaskState {
    /// True for the four end states.
    pub const fn is_terminal(self) -> bool {
        !matches!(self, TaskState::Queued | TaskState::Running)
    }

    /// The wire name (`"queued"`, `"timed_out"`...).
    pub const fn as_str(self) -> &'static str {
        match self {
            TaskState::Queued => "queued",
            TaskState::Running => "running",
            TaskState::Succeeded => "succeeded",
            TaskState::Failed => "failed",
            TaskState::Canceled => "canceled",
            TaskState::TimedOut => "timed_out",
        }
    }

    /// Parses a wire name; `None` for anything else.
    pub fn parse(s: &str) -> Option<TaskState> {
        Some(match s {
            "queued" => TaskState::Queued,
            "running" => TaskState::Running,
            "succeeded" => TaskState::Succeeded,
            "failed" => TaskState::Failed,
            "canceled" => TaskState::Canceled,
            "timed_out" => TaskState::TimedOut,
            _ => return None,
        })
    }
}

/// What kind of file an [`Output`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// A still image.
    Image,
    /// A video.
    Video,
    /// Sound.
    Audio,
    /// Anything else.
    File,
}

impl OutputKind {
    /// Guesses a kind from a URL's file extension (query and fragment ignored); `None`
    /// when the extension says nothing.
    pub fn from_extension(url: &str) -> Option<OutputKind> {
        if let Some(rest) = url.strip_prefix("data:") {
            let mime = rest.split([';', ',']).next().unwrap_or("");
            return OutputKind::from_mime(mime);
        }
        let path = url.split(['?', '#']).next().unwrap_or(url);
        let last = path.rsplit('/').next().unwrap_or(path);
        let ext = last.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "png" | "jpg" | "jpeg" | "gif" | "webp" | "avif" | "bmp" | "svg" | "heic" => {
                OutputKind::Image
            }
            "mp4" | "webm" | "mov" | "mkv" | "avi" | "m4v" => OutputKind::Video,
            "mp3" | "wav" | "ogg" | "flac" | "m4a" | "aac" | "opus" => OutputKind::Audio,
            _ => return None,
        })
    }

    /// Guesses a kind from a field name such as `image_url` or `video`; `None` when the
    /// name says nothing.
    pub fn from_field_name(name: &str) -> Option<OutputKind> {
        let n = name.to_ascii_lowercase();
        if n.contains("image") || n.contains("thumbnail") {
            Some(OutputKind::Image)
        } else if n.contains("video") {
            Some(OutputKind::Video)
        } else if n.contains("audio") {
            Some(OutputKind::Audio)
        } else {
            None
        }
    }

    fn from_mime(mime: &str) -> Option<OutputKind> {
        let top = mime.split('/').next().unwrap_or("");
        match top {
            "image" => Some(OutputKind::Image),
            "video" => Some(OutputKind::Video),
            "audio" => Some(OutputKind::Audio),
            _ => None,
        }
    }
}

/// One file a task produced: a URL (possibly a `data:` URL) and its kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// Where the file is.
    pub url: String,
    /// What it is.
    pub kind: OutputKind,
}

/// The provider's own reason for a failed, canceled or timed-out task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateError {
    /// The provider's error code (`error_type`, `error_code`...) or the normalized state.
    pub code: String,
    /// The provider's message.
    pub message: String,
}

/// A task as one status answer (or webhook) showed it, in the same shape for every dialect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskUpdate {
    /// The provider's task id.
    pub id: String,
    /// The normalized state.
    pub state: TaskState,
    /// The provider's own status value, always as a string (mindproxy's `4` is `"4"`).
    pub raw_status: String,
    /// Position in the provider's queue, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_position: Option<u64>,
    /// Milliseconds until the task is expected to finish (from the learned estimate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_ms: Option<u64>,
    /// Why the task did not succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<UpdateError>,
    /// The files it produced (on success).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Vec<Output>>,
    /// How long the provider says it ran, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_ms: Option<u64>,
    /// The provider's body as parsed JSON: the status (or webhook) body, or for dialects
    /// that fetch results separately (queue) the result body of a succeeded task.
    #[serde(default)]
    pub raw: Value,
}

impl TaskUpdate {
    /// A bare update with just an id and a state (used for a submit answer without status).
    pub fn new(id: impl Into<String>, state: TaskState, raw_status: impl Into<String>) -> Self {
        TaskUpdate {
            id: id.into(),
            state,
            raw_status: raw_status.into(),
            queue_position: None,
            eta_ms: None,
            error: None,
            outputs: None,
            cost_ms: None,
            raw: Value::Null,
        }
    }
}

/// One entry of a task's event log (dialects with events, e.g. mindproxy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskEvent {
    /// The event's id, when the provider gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The event type (`created`, ...), when given.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// The provider's status value at that event, as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_status: Option<String>,
    /// The normalized state at that event, when the status maps to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<TaskState>,
    /// A human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When it happened, as the provider wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The provider's entry as parsed JSON.
    #[serde(default)]
    pub raw: Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states() {
        assert!(!TaskState::Queued.is_terminal());
        assert!(!TaskState::Running.is_terminal());
        for s in [
            TaskState::Succeeded,
            TaskState::Failed,
            TaskState::Canceled,
            TaskState::TimedOut,
        ] {
            assert!(s.is_terminal());
            assert_eq!(TaskState::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn kind_guesses() {
        assert_eq!(
            OutputKind::from_extension("https://x/a/b.PNG?sig=1"),
            Some(OutputKind::Image)
        );
        assert_eq!(
            OutputKind::from_extension("https://x/v.mp4"),
            Some(OutputKind::Video)
        );
        assert_eq!(
            OutputKind::from_extension("https://x/v.wav#t"),
            Some(OutputKind::Audio)
        );
        assert_eq!(OutputKind::from_extension("https://x.com/file"), None);
        assert_eq!(
            OutputKind::from_extension("data:image/png;base64,AAAA"),
            Some(OutputKind::Image)
        );
        assert_eq!(
            OutputKind::from_field_name("video_url"),
            Some(OutputKind::Video)
        );
        assert_eq!(OutputKind::from_field_name("seed"), None);
    }

    #[test]
    fn update_serializes_camel_case() {
        let mut u = TaskUpdate::new("t1", TaskState::TimedOut, "7");
        u.queue_position = Some(3);
        let v = serde_json::to_value(&u).expect("a struct of plain fields serializes");
        assert_eq!(v["state"], "timed_out");
        assert_eq!(v["rawStatus"], "7");
        assert_eq!(v["queuePosition"], 3);
        assert!(v.get("outputs").is_none());
    }
}
