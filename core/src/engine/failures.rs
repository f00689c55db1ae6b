//! Handling failed requests: HTTP errors (transient or final, with `Retry-After`),
//! transport errors (timeouts, network), and the retry that sleeps by the backoff
//! within the operation's deadline.

use super::{Engine, Kind, OpId, Purpose};
use crate::error::{ErrorCode, TaskFailure};
use crate::http::{HttpResponse, TransportError, TransportErrorKind};
use crate::retry_after::retry_after_ms;
use crate::text::{concat, decimal};

fn is_transient_status(s: u16) -> bool {
    matches!(s, 408 | 425 | 429 | 500..=599)
}

fn snippet(body: &str) -> String {
    let mut end = body.len().min(200);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body.get(..end).unwrap_or_default().to_owned()
}

impl Engine {
    pub(super) fn on_http_error(
        &mut self,
        now: u64,
        id: OpId,
        purpose: Purpose,
        host: &Option<String>,
        resp: HttpResponse,
    ) {
        let Some(op) = self.ops.get(&id) else { return };
        let ra = resp
            .header("retry-after")
            .and_then(|v| retry_after_ms(v, now));
        let transient = is_transient_status(resp.status);
        let idempotent = self.rq.profile.submit.idempotent;
        let retry = transient
            && (purpose != Purpose::Submit
                || idempotent
                || resp.status == 429
                || resp.status == 503);
        let status = decimal(u64::from(resp.status));
        let what = concat(&["HTTP ", &status, " ", &snippet(&resp.body)]);
        if purpose == Purpose::Cancel && matches!(resp.status, 400 | 409) {
            // A refusal: the task may have ended already (queue 400 `ALREADY_COMPLETED`,
            // mindproxy 409 `task_terminal`), or, after a try whose answer was lost, that
            // try canceled it. Its state says which: an end is the cancel's answer (as a
            // retried cancel finds it); a live task means a first refusal stands.
            let refused = (op.failures == 0).then(|| {
                Box::new(
                    op.failure(ErrorCode::Http, what)
                        .with_http_status(resp.status),
                )
            });
            if let Some(o) = self.ops.get_mut(&id) {
                o.next = Purpose::Status;
                o.refused = refused;
            }
            self.act(now, id);
            return;
        }
        if retry {
            if resp.status == 429 {
                if let (Some(h), Some(ms)) = (host.as_ref().and_then(|h| self.hosts.get_mut(h)), ra)
                {
                    h.pause(now.saturating_add(ms));
                }
            }
            self.retry(now, id, ra, what, Some(resp.status));
            return;
        }
        let mut m = what;
        if purpose == Purpose::Submit && transient {
            m.push_str(" (not retried: this dialect has no idempotency key; the task may exist)");
        }
        let f = op.failure(ErrorCode::Http, m).with_http_status(resp.status);
        self.finish(now, id, Err(f));
    }

    pub(super) fn on_transport_error(
        &mut self,
        now: u64,
        id: OpId,
        purpose: Purpose,
        e: TransportError,
    ) {
        if e.kind == TransportErrorKind::Aborted {
            // not asked for by us (we forget requests we abort): the shell's own abort
            let f = TaskFailure::new(ErrorCode::Aborted, "the request was aborted");
            self.finish(now, id, Err(f));
            return;
        }
        let what = match e.kind {
            TransportErrorKind::Timeout => "request timed out",
            _ => "network error",
        };
        if purpose == Purpose::Submit && e.sent && !self.rq.profile.submit.idempotent {
            let f = TaskFailure::new(
                ErrorCode::Network,
                concat(&["submit: ", what, " after the request was sent; not retried because this dialect has no idempotency key, so the task may exist"]),
            );
            self.finish(now, id, Err(f));
            return;
        }
        self.retry(now, id, None, what.to_owned(), None);
    }

    /// A transient failure: try again after the backoff (or Retry-After), within the
    /// deadline and the retry budget; else `network`.
    pub(super) fn retry(
        &mut self,
        now: u64,
        id: OpId,
        retry_after: Option<u64>,
        what: String,
        status: Option<u16>,
    ) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        op.failures += 1;
        op.last_error = Some(what.clone());
        let delay = op
            .backoff
            .next()
            .unwrap_or(op.poll.initial_delay_ms)
            .max(retry_after.unwrap_or(0));
        let over_budget = op.failures > op.poll.max_retries;
        let past_deadline = now.saturating_add(delay) >= op.deadline;
        if over_budget || past_deadline {
            // Out of time before out of retries: for a wait that is our `timeoutMs`.
            let (code, why) = if over_budget {
                (ErrorCode::Network, "retries used up")
            } else if op.kind == Kind::Wait {
                (
                    ErrorCode::WaitTimeout,
                    "timeoutMs would run out before the next retry",
                )
            } else {
                (
                    ErrorCode::Network,
                    "the deadline would pass before the next retry",
                )
            };
            let mut f = op.failure(code, concat(&[why, "; last error: ", &what]));
            if let Some(s) = status {
                f = f.with_http_status(s);
            }
            self.finish(now, id, Err(f));
            return;
        }
        self.sleep(now, id, delay);
    }
}
