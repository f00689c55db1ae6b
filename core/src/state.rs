//! The normalized view of a task: its [`TaskState`], the [`TaskUpdate`] every dialect's
//! status body is turned into, the [`Output`] files it produced and the [`TaskEvent`]s of
//! dialects that keep an event log. These are the shapes the JavaScript API exposes, so
//! they are written as JSON in camelCase (`to_json_text`).

use crate::json::{array_text, ObjectText, RawJson, Value};
use crate::text;

/// Where a task is in its life. `Queued` and `Running` are live; the rest are terminal and
/// a terminal state never goes back to a live one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// The wire name (`"image"`, `"video"`, `"audio"`, `"file"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            OutputKind::Image => "image",
            OutputKind::Video => "video",
            OutputKind::Audio => "audio",
            OutputKind::File => "file",
        }
    }

    /// Parses a wire name; `None` for anything else.
    pub fn parse(s: &str) -> Option<OutputKind> {
        Some(match s {
            "image" => OutputKind::Image,
            "video" => OutputKind::Video,
            "audio" => OutputKind::Audio,
            "file" => OutputKind::File,
            _ => return None,
        })
    }

    /// Guesses a kind from a URL's file extension (query and fragment ignored); `None`
    /// when the extension says nothing.
    pub fn from_extension(url: &str) -> Option<OutputKind> {
        if let Some(rest) = url.strip_prefix("data:") {
            let mime = text::before_any(rest, b";,");
            return OutputKind::from_mime(mime);
        }
        let last = text::after_last(text::before_any(url, b"?#"), b'/');
        let ext = text::cut_last(last, b'.')?.1;
        // Lists searched word by word rather than a `match` of 22 string arms (issue 7:
        // each arm was a comparison call of its own).
        const EXTENSIONS: [&str; 3] = [
            "png jpg jpeg gif webp avif bmp svg heic",
            "mp4 webm mov mkv avi m4v",
            "mp3 wav ogg flac m4a aac opus",
        ];
        let i = EXTENSIONS
            .iter()
            .position(|list| text::split(list, b' ').any(|e| e.eq_ignore_ascii_case(ext)))?;
        Some([OutputKind::Image, OutputKind::Video, OutputKind::Audio][i])
    }

    /// Guesses a kind from a field name such as `image_url` or `video`; `None` when the
    /// name says nothing.
    pub fn from_field_name(name: &str) -> Option<OutputKind> {
        let n = name.to_ascii_lowercase();
        if text::contains(&n, "image") || text::contains(&n, "thumbnail") {
            Some(OutputKind::Image)
        } else if text::contains(&n, "video") {
            Some(OutputKind::Video)
        } else if text::contains(&n, "audio") {
            Some(OutputKind::Audio)
        } else {
            None
        }
    }

    fn from_mime(mime: &str) -> Option<OutputKind> {
        let top = text::before_any(mime, b"/");
        match top {
            "image" => Some(OutputKind::Image),
            "video" => Some(OutputKind::Video),
            "audio" => Some(OutputKind::Audio),
            _ => None,
        }
    }
}

/// One file a task produced: a URL (possibly a `data:` URL) and its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// Where the file is.
    pub url: String,
    /// What it is.
    pub kind: OutputKind,
}

/// The provider's own reason for a failed, canceled or timed-out task.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateError {
    /// The provider's error code (`error_type`, `error_code`...) or the normalized state.
    pub code: String,
    /// The provider's message.
    pub message: String,
}

/// A task as one status answer (or webhook) showed it, in the same shape for every dialect.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskUpdate {
    /// The provider's task id.
    pub id: String,
    /// The normalized state.
    pub state: TaskState,
    /// The provider's own status value, always as a string (mindproxy's `4` is `"4"`).
    pub raw_status: String,
    /// Position in the provider's queue, when it says.
    pub queue_position: Option<u64>,
    /// Milliseconds until the task is expected to finish (from the learned estimate).
    pub eta_ms: Option<u64>,
    /// Why the task did not succeed.
    pub error: Option<UpdateError>,
    /// The files it produced (on success).
    pub outputs: Option<Vec<Output>>,
    /// How long the provider says it ran, in milliseconds.
    pub cost_ms: Option<u64>,
    /// The provider's body as it came: the status (or webhook) body, or for dialects that
    /// fetch results separately (queue) the result body of a succeeded task.
    pub raw: RawJson,
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
            raw: RawJson::null(),
        }
    }
}

impl TaskUpdate {
    /// The update as the JSON object the JavaScript API gives: camelCase keys, absent
    /// fields left out, `raw` always there.
    pub fn to_json_text(&self) -> String {
        let mut o = ObjectText::new();
        o.str("id", &self.id)
            .str("state", self.state.as_str())
            .str("rawStatus", &self.raw_status)
            .opt_num("queuePosition", self.queue_position)
            .opt_num("etaMs", self.eta_ms);
        if let Some(e) = &self.error {
            let mut eo = ObjectText::new();
            eo.str("code", &e.code).str("message", &e.message);
            o.text("error", &eo.finish());
        }
        if let Some(list) = &self.outputs {
            o.text(
                "outputs",
                &array_text(list, |x| {
                    let mut xo = ObjectText::new();
                    xo.str("url", &x.url).str("kind", x.kind.as_str());
                    xo.finish()
                }),
            );
        }
        o.opt_num("costMs", self.cost_ms).raw("raw", &self.raw);
        o.finish()
    }
}

/// One entry of a task's event log (dialects with events, e.g. mindproxy).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskEvent {
    /// The event's id, when the provider gives one.
    pub id: Option<String>,
    /// The event type (`created`, ...), when given.
    pub event_type: Option<String>,
    /// The provider's status value at that event, as a string.
    pub raw_status: Option<String>,
    /// The normalized state at that event, when the status maps to one.
    pub state: Option<TaskState>,
    /// A human-readable message.
    pub message: Option<String>,
    /// When it happened, as the provider wrote it.
    pub created_at: Option<String>,
    /// The provider's entry as parsed JSON.
    pub raw: Value,
}

impl TaskEvent {
    /// The event as the JSON object the JavaScript API gives (camelCase, `type` for
    /// [`TaskEvent::event_type`], absent fields left out, `raw` always there).
    pub fn to_json_text(&self) -> String {
        let mut o = ObjectText::new();
        o.opt_str("id", &self.id)
            .opt_str("type", &self.event_type)
            .opt_str("rawStatus", &self.raw_status)
            .opt_str("state", &self.state.map(|s| s.as_str().to_owned()))
            .opt_str("message", &self.message)
            .opt_str("createdAt", &self.created_at)
            .value("raw", &self.raw);
        o.finish()
    }

    /// A list of events as a JSON array.
    pub fn list_json_text(events: &[TaskEvent]) -> String {
        array_text(events, TaskEvent::to_json_text)
    }
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
    fn update_written_camel_case() {
        let mut u = TaskUpdate::new("t1", TaskState::TimedOut, "7");
        u.queue_position = Some(3);
        let v = crate::json::parse(&u.to_json_text()).expect("valid JSON");
        assert_eq!(v["state"], "timed_out");
        assert_eq!(v["rawStatus"], "7");
        assert_eq!(v["queuePosition"], 3);
        assert!(v.get("outputs").is_none());
        assert!(v["raw"].is_null() && v.get("raw").is_some());
        u.error = Some(UpdateError {
            code: "E\"1".into(),
            message: "line\nbreak".into(),
        });
        u.outputs = Some(vec![Output {
            url: "https://x/a.png".into(),
            kind: OutputKind::Image,
        }]);
        u.cost_ms = Some(1500);
        u.raw = RawJson::of(&crate::json!({"a": [1, "b"]}));
        assert_eq!(
            u.to_json_text(),
            r#"{"id":"t1","state":"timed_out","rawStatus":"7","queuePosition":3,"error":{"code":"E\"1","message":"line\nbreak"},"outputs":[{"url":"https://x/a.png","kind":"image"}],"costMs":1500,"raw":{"a":[1,"b"]}}"#
        );
    }

    #[test]
    fn events_written_camel_case() {
        let e = TaskEvent {
            id: Some("e1".into()),
            event_type: Some("created".into()),
            raw_status: Some("1".into()),
            state: Some(TaskState::Queued),
            message: None,
            created_at: Some("2026-01-01T00:00:00Z".into()),
            raw: crate::json!({"k": true}),
        };
        assert_eq!(
            TaskEvent::list_json_text(&[e]),
            r#"[{"id":"e1","type":"created","rawStatus":"1","state":"queued","createdAt":"2026-01-01T00:00:00Z","raw":{"k":true}}]"#
        );
        assert_eq!(TaskEvent::list_json_text(&[]), "[]");
    }

    #[test]
    fn every_extension() {
        let kinds = [
            (OutputKind::Image, "png jpg jpeg gif webp avif bmp svg heic"),
            (OutputKind::Video, "mp4 webm mov mkv avi m4v"),
            (OutputKind::Audio, "mp3 wav ogg flac m4a aac opus"),
        ];
        for (kind, list) in kinds {
            for ext in list.split(' ') {
                let url = format!("https://x/a.{}", ext.to_uppercase());
                assert_eq!(OutputKind::from_extension(&url), Some(kind), "{url}");
            }
        }
        for url in [
            "https://x/a.",
            "https://x/a.pn",
            "https://x/a.png jpg",
            "https://x/a.mp4x",
        ] {
            assert_eq!(OutputKind::from_extension(url), None, "{url}");
        }
    }

    #[test]
    fn output_kind_names() {
        for k in [
            OutputKind::Image,
            OutputKind::Video,
            OutputKind::Audio,
            OutputKind::File,
        ] {
            assert_eq!(OutputKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(OutputKind::parse("Image"), None);
    }
}
