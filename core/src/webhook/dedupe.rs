//! Duplicate detection for webhook deliveries. Senders retry, and simulators (and real
//! vendors) sometimes send the same delivery twice: a delivery whose key was already
//! handled is acknowledged without being passed on again.
//!
//! The key is the `webhook-id` when the delivery has one, else the task id plus its
//! terminal state (a live update without an id is never treated as a duplicate: it
//! carries no claim to be unique). A key is recorded only after the user's handler
//! succeeded ([`DedupeWindow::commit`]), so a delivery that failed is processed again when
//! the sender retries it.

mod table;

use std::collections::VecDeque;

use table::KeyTable;

use crate::text::{concat, hex16};

/// The dedupe key of a delivery, or `None` when it cannot be deduplicated.
///
/// A terminal update is keyed by task id and state: a task ends once, so that end is passed
/// on once whichever message carries it (a sender that re-sends a completion under a new
/// `webhook-id` would otherwise have it handled twice). A live update is keyed by its
/// `webhook-id` (a retry of the same message), and not deduplicated without one. `scope`
/// (e.g. the dialect name) keeps keys of different handlers sharing one store apart.
pub fn dedupe_key(
    scope: &str,
    webhook_id: Option<&str>,
    task_id: &str,
    state: &str,
    terminal: bool,
) -> Option<String> {
    let key = if terminal && !task_id.is_empty() {
        concat(&["tasklane:wh:", scope, ":task:", task_id, ":", state])
    } else {
        let id = webhook_id.filter(|id| !id.is_empty())?;
        concat(&["tasklane:wh:", scope, ":id:", id])
    };
    Some(bounded(key))
}

/// The longest key [`dedupe_key`] returns, in bytes: Workers KV refuses keys over 512, so
/// a sender's long `webhook-id` (or a vendor's long task id) would fail every delivery.
pub const MAX_KEY_BYTES: usize = 480;

/// `key` itself when it fits [`MAX_KEY_BYTES`]; else its first 440 bytes (to a char
/// boundary) and `~` with the 64-bit FNV-1a hash of the whole key in hex, so keys that
/// differ only past the cut stay apart (the sender is authenticated before a key is made,
/// so only accidental collisions matter, ~1 in 10^10 at a million long keys).
fn bounded(key: String) -> String {
    if key.len() <= MAX_KEY_BYTES {
        return key;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut cut = 440;
    while !key.is_char_boundary(cut) {
        cut -= 1;
    }
    concat(&[&key[..cut], "~", &hex16(h)])
}

/// What [`DedupeWindow::begin`] found for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Not seen: process it, then `commit` (or `abandon` on failure).
    New,
    /// Handled before, within the window: acknowledge without processing.
    Duplicate,
    /// Being processed right now by another request: the caller should wait for that one.
    InFlight,
}

/// An in-memory window of recently handled keys, with expiry on `now` (milliseconds)
/// and a bound on how many keys it holds (oldest dropped first).
#[derive(Debug, Clone)]
pub struct DedupeWindow {
    ttl_ms: u64,
    max_keys: usize,
    /// Handled keys and when each expires.
    done: KeyTable,
    /// The same keys (a re-committed one more than once), oldest first.
    order: VecDeque<(String, u64)>,
    /// Keys whose handler is running, and since when.
    in_flight: KeyTable,
}

impl DedupeWindow {
    /// A window remembering keys for `ttl_ms`, at most `max_keys` of them.
    pub fn new(ttl_ms: u64, max_keys: usize) -> Self {
        Self {
            ttl_ms,
            max_keys: max_keys.max(1),
            done: KeyTable::default(),
            order: VecDeque::new(),
            in_flight: KeyTable::default(),
        }
    }

    fn expire(&mut self, now: u64) {
        while let Some((key, expires)) = self.order.front() {
            if *expires > now && self.order.len() <= self.max_keys {
                break;
            }
            // Only drop the map entry if it still belongs to this queue slot.
            if self.done.get(key) == Some(*expires) {
                self.done.remove(key);
            }
            self.order.pop_front();
        }
    }

    /// Looks a key up and, when new, marks it in flight.
    pub fn begin(&mut self, now: u64, key: &str) -> Seen {
        self.expire(now);
        if self.done.contains(key) {
            return Seen::Duplicate;
        }
        if self.in_flight.contains(key) {
            return Seen::InFlight;
        }
        self.in_flight.insert(key, now);
        Seen::New
    }

    /// Records a key as handled (its handler succeeded).
    pub fn commit(&mut self, now: u64, key: &str) {
        self.in_flight.remove(key);
        let expires = now.saturating_add(self.ttl_ms);
        self.done.insert(key, expires);
        self.order.push_back((key.to_owned(), expires));
        self.expire(now);
    }

    /// Forgets an in-flight key whose handler failed, so a retry is processed.
    pub fn abandon(&mut self, key: &str) {
        self.in_flight.remove(key);
    }

    /// How many handled keys the window holds.
    pub fn len(&self) -> usize {
        self.done.len()
    }

    /// Whether the window holds no handled key.
    pub fn is_empty(&self) -> bool {
        self.done.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        // A terminal update: by task and state, with or without a message id.
        for id in [Some("msg_1"), Some("msg_2"), None] {
            assert_eq!(
                dedupe_key("apixo", id, "t", "succeeded", true).as_deref(),
                Some("tasklane:wh:apixo:task:t:succeeded")
            );
        }
        // A live one: by message id only.
        assert_eq!(
            dedupe_key("apixo", Some("msg_1"), "t", "running", false).as_deref(),
            Some("tasklane:wh:apixo:id:msg_1")
        );
        assert_eq!(dedupe_key("apixo", Some(""), "t", "running", false), None);
        assert_eq!(dedupe_key("apixo", None, "t", "running", false), None);
        // No task id (never from a normalized update): the message id, else nothing.
        assert_eq!(
            dedupe_key("apixo", Some("msg_1"), "", "failed", true).as_deref(),
            Some("tasklane:wh:apixo:id:msg_1")
        );
        assert_eq!(dedupe_key("apixo", None, "", "failed", true), None);
        // Long ids (a store such as Workers KV takes keys up to 512 bytes): bounded, and
        // two that differ only past the cut stay apart.
        let long = |tail: &str| format!("{}{tail}", "é".repeat(400));
        let a = dedupe_key("apixo", Some(&long("a")), "t", "running", false).expect("key");
        let b = dedupe_key("apixo", Some(&long("b")), "t", "running", false).expect("key");
        assert!(
            a.len() <= MAX_KEY_BYTES && b.len() <= MAX_KEY_BYTES,
            "{}",
            a.len()
        );
        assert_ne!(a, b);
        assert_eq!(
            Some(a),
            dedupe_key("apixo", Some(&long("a")), "t", "running", false)
        );
        let t = dedupe_key("apixo", None, &"t".repeat(600), "failed", true).expect("key");
        assert!(t.len() <= MAX_KEY_BYTES);
    }

    #[test]
    fn duplicate_only_after_commit() {
        let mut w = DedupeWindow::new(1000, 10);
        assert_eq!(w.begin(0, "a"), Seen::New);
        assert_eq!(w.begin(1, "a"), Seen::InFlight);
        w.abandon("a");
        assert_eq!(w.begin(2, "a"), Seen::New);
        w.commit(3, "a");
        assert_eq!(w.begin(4, "a"), Seen::Duplicate);
        assert_eq!(w.begin(1002, "a"), Seen::Duplicate);
        assert_eq!(w.begin(1003, "a"), Seen::New, "expired after ttl");
    }

    #[test]
    fn bounded() {
        let mut w = DedupeWindow::new(u64::MAX, 3);
        for (i, k) in ["a", "b", "c", "d"].iter().enumerate() {
            assert_eq!(w.begin(i as u64, k), Seen::New);
            w.commit(i as u64, k);
        }
        assert_eq!(w.len(), 3);
        assert_eq!(w.begin(10, "a"), Seen::New, "oldest dropped");
        assert_eq!(w.begin(10, "d"), Seen::Duplicate);
    }

    /// The handler's window size: 10,000 keys, far more deliveries through it.
    #[test]
    fn ten_thousand_keys() {
        let mut w = DedupeWindow::new(u64::MAX, 10_000);
        for i in 0..50_000u64 {
            let key = format!("tasklane:wh:queue:id:msg_{i}");
            assert_eq!(w.begin(i, &key), Seen::New);
            w.commit(i, &key);
        }
        assert_eq!(w.len(), 10_000);
        assert_eq!(
            w.begin(50_000, "tasklane:wh:queue:id:msg_39999"),
            Seen::New,
            "dropped"
        );
        assert_eq!(
            w.begin(50_000, "tasklane:wh:queue:id:msg_40000"),
            Seen::Duplicate
        );
        assert_eq!(
            w.begin(50_000, "tasklane:wh:queue:id:msg_49999"),
            Seen::Duplicate
        );
    }

    #[test]
    fn recommit_keeps_the_newer_expiry() {
        let mut w = DedupeWindow::new(10, 10);
        w.begin(0, "a");
        w.commit(0, "a");
        w.begin(5, "b");
        w.commit(5, "b");
        // A re-commit of "a" (e.g. after expiry) must survive the old queue slot expiring.
        assert_eq!(w.begin(11, "a"), Seen::New);
        w.commit(11, "a");
        assert_eq!(w.begin(12, "a"), Seen::Duplicate);
    }
}
