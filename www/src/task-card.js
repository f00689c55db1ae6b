// One task on the page: it submits through its dialect's shared TaskClient (a "lane", whose
// counting fetch tells each card which requests were made for it), follows the task with
// `wait` (and, in webhook mode, with the deliveries the demo server relays), and draws the
// card: state, timeline, queue position, progress against the ETA, request counts, cancel,
// result or error.
import { classify, fixedLoopRequests, NO_CANCEL } from "./dialects.js";
import { countingFetch } from "./counting-fetch.js";
import { h, fmtSec, fmtInt } from "./dom.js";

/**
 * One TaskClient per dialect and mode, shared by its cards — as an app would hold one — so
 * the client learns each model's durations (and can then give `etaMs` and poll near the end).
 * Its fetch gives each request to the card whose task id the URL names; a submit (no id
 * yet) goes to the card whose submit is pending.
 */
export class Lane {
  constructor(dialect, makeClient) {
    this.dialect = dialect;
    this.pending = [];
    this.byId = new Map();
    const fetch = countingFetch(
      (r) => {
        const kind = classify(dialect, r.method, r.url);
        // Two submits in flight on one lane: the first request is the older card's.
        r.card = kind === "submit" ? this.pending.find((c) => c.counts.submit === 0) ?? this.pending[0] : this.cardFor(r.url);
        r.card?.count(kind);
      },
      (r) => { if (r.status === 0 || r.status >= 400) r.card?.fault(r); },
    );
    this.client = makeClient(fetch);
  }

  cardFor(url) {
    for (const [id, card] of this.byId) if (url.includes(encodeURIComponent(id)) || url.includes(id)) return card;
    return undefined;
  }
}

let seq = 0;
const TERMINAL = new Set(["succeeded", "failed", "canceled", "timed_out"]);
const STATE_LABEL = {
  submitting: "submitting", fault: "fault", queued: "queued", running: "running", succeeded: "succeeded",
  failed: "failed", canceled: "canceled", timed_out: "timed out", error: "error",
};

export class TaskCard {
  /**
   * @param {object} o
   * @param {string} o.dialect  mirako | apixo | mindproxy | queue
   * @param {object} o.dialectInfo  DIALECTS[dialect]
   * @param {object} o.profile  PROFILES[...]
   * @param {string} o.prompt
   * @param {object} o.sim  the `_sim` control object for this task
   * @param {"poll"|"webhook"} o.mode
   * @param {Lane} o.lane  the shared client of this dialect and mode
   * @param {string} o.simUrl  the simulator, asked for the task's real duration at its end
   * @param {(model: string) => ({ms: number, n: number} | null)} [o.learned]  the page's own
   *   mean duration of earlier tasks of a model, used when tasklane gives no `etaMs`
   * @param {{url: string, authToken: string} | null} o.webhook
   * @param {(card: TaskCard) => void} o.onEnd
   */
  constructor(o) {
    Object.assign(this, o);
    this.t0 = performance.now();
    this.state = "submitting";
    this.id = null;
    this.timeline = [];
    this.counts = { submit: 0, status: 0, result: 0, cancel: 0, events: 0, faults: 0 };
    this.queuePosition = undefined;
    this.eta = null; // { at: ms since t0 when the ETA was given, ms }
    this.endAt = null;
    this.simDurationMs = null;
    this.final = null;
    this.abort = new AbortController();
    this.byWebhook = new Set();
    this.client = this.lane.client;
    this.el = this.build();
  }

  count(kind) {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    this.renderCounts();
  }

  /** A request answered with an error (or none): tasklane retries it; the timeline shows it. */
  fault(r) {
    this.count("faults");
    if (this.terminal) return;
    this.timeline.push({ t: r.t - this.t0, state: "fault", raw: r.status ? `HTTP ${r.status}` : "network error", via: "retry" });
    this.render();
  }

  get terminal() { return TERMINAL.has(this.state) || this.state === "error"; }
  get elapsed() { return (this.endAt ?? performance.now()) - this.t0; }

  build() {
    const d = this.dialectInfo;
    this.$state = h("span", { class: "pill", "data-role": "state" }, STATE_LABEL.submitting);
    this.$id = h("code", { class: "task-id", title: "task id" }, "…");
    this.$bar = h("div", { class: "bar-fill" });
    this.$barLabel = h("span", { class: "bar-label" }, "");
    this.$queue = h("span", { class: "queue", hidden: true });
    this.$timeline = h("ol", { class: "timeline" });
    this.$status = h("strong", { "data-role": "status-requests" }, "0");
    this.$fixed = h("strong", {}, "1");
    this.$other = h("span", { class: "muted" }, "");
    this.$cancel = h("button", { type: "button", class: "cancel", disabled: !d.canCancel, "data-role": "cancel" }, "Cancel");
    this.$cancel.addEventListener("click", () => this.cancel());
    const cancelWrap = h("span", { class: "cancel-wrap", title: d.canCancel ? "Ask the provider to cancel this task" : NO_CANCEL(this.dialect) }, this.$cancel);
    // Where the result will be: a placeholder of the same size while the task runs.
    this.$result = h("div", { class: "result" }, h("div", { class: "placeholder", "aria-hidden": "true" }, h("span", {}, "result on its way")));
    this.$note = h("div", { class: "note", hidden: true });
    const el = h("article", { class: "card", id: `task-${++seq}`, "data-dialect": this.dialect, "data-state": "submitting" },
      h("header", {},
        h("div", { class: "chips" },
          h("span", { class: `chip d-${this.dialect}` }, this.dialect),
          h("span", { class: "chip plain", title: this.profile.about }, this.profile.model),
          this.mode === "webhook" ? h("span", { class: "chip plain", title: "completed by webhook, polling as a safety net" }, "webhook") : null,
        ),
        this.$state,
      ),
      h("p", { class: "prompt", title: this.prompt }, this.prompt),
      h("div", { class: "meta" }, this.$id, this.$queue),
      this.$progress = h("div", { class: "bar", role: "progressbar", "aria-label": "elapsed against the expected duration", "aria-valuemin": "0", "aria-valuemax": "100" }, this.$bar),
      h("div", { class: "bar-row" }, this.$barLabel),
      this.$timeline,
      h("div", { class: "counts" },
        h("div", {}, h("span", { class: "k" }, "status requests"), this.$status),
        h("div", { class: "vs", title: "1 + ⌈duration / 0.5 s⌉" }, h("span", { class: "k" }, "fixed 500 ms loop"), this.$fixed),
        this.$other,
      ),
      this.$note,
      this.$result,
      this.$footer = h("footer", {}, cancelWrap),
    );
    return el;
  }

  request() {
    const input = { prompt: this.prompt, _sim: this.sim };
    const req = this.dialectInfo.request({ model: this.profile.model, input });
    if (this.mode === "webhook" && this.webhook) req.webhook = { url: this.webhook.url, authToken: this.webhook.authToken };
    return req;
  }

  /** Submits and follows the task to its end. Never rejects: failures are drawn on the card. */
  async run() {
    let sub;
    this.lane.pending.push(this);
    try {
      sub = await this.client.submit(this.request());
    } catch (e) {
      return this.fail(e);
    } finally {
      this.lane.pending.splice(this.lane.pending.indexOf(this), 1);
    }
    this.id = sub.id;
    this.lane.byId.set(sub.id, this);
    this.el.dataset.taskId = sub.id;
    this.$id.textContent = sub.id;
    this.$id.title = `task id ${sub.id}`;
    this.update(sub, "submit");
    if (this.terminal) return;
    try {
      // In webhook mode `expectWebhook` makes polling the slow safety net; the deliveries
      // reach this wait through `client.deliver` (see delivered()).
      const fin = await this.client.wait(sub.id, {
        signal: this.abort.signal,
        onUpdate: (u) => this.update(u, this.viaOf(u)),
        ...(this.mode === "webhook" ? { expectWebhook: true } : {}),
      });
      this.update(fin, this.viaOf(fin));
    } catch (e) {
      if (this.terminal) return; // a webhook (or cancel) ended it first; the wait was aborted
      this.fail(e);
    }
  }

  /**
   * A delivery relayed by the demo server: handed to the client with `deliver`, so the
   * running `wait` takes it as if it had polled it (tasklane's hybrid completion).
   */
  delivered(u) {
    this.byWebhook.add(`${u.state}:${u.rawStatus}`);
    let taken = 0;
    try { taken = this.client.deliver(u); } catch (e) { this.note(`deliver: ${e?.message ?? e}`); }
    if (!taken) this.update(u, "webhook"); // no wait running (yet): draw it ourselves
  }

  viaOf(u) { return this.byWebhook.has(`${u.state}:${u.rawStatus}`) ? "webhook" : "poll"; }

  /** Takes a TaskUpdate from submit, a poll, a cancel answer or a webhook. */
  update(u, via) {
    if (!u || this.terminal) return;
    const t = performance.now() - this.t0;
    const changed = u.state !== this.state || (u.state === "queued" && u.queuePosition !== this.queuePosition);
    if (u.etaMs != null) this.eta = { at: t, ms: u.etaMs };
    if (changed) {
      this.timeline.push({ t, state: u.state, raw: u.rawStatus, queuePosition: u.queuePosition, via });
      this.state = u.state;
      this.queuePosition = u.queuePosition;
    }
    if (TERMINAL.has(u.state)) this.end(u);
    this.render();
  }

  end(u) {
    this.final = u;
    this.endAt = performance.now();
    this.abort.abort();
    this.$cancel.disabled = true;
    this.$footer.hidden = true;
    if (u.state === "succeeded") this.showOutputs(u.outputs ?? []);
    else this.showError(u.error?.code ?? u.state, u.error?.message ?? `the task ended ${STATE_LABEL[u.state]}`);
    this.onEnd?.(this);
    this.fromSimulator();
  }

  /** The task's real duration, for the fixed-loop comparison, from the simulator's log. */
  async fromSimulator() {
    if (!this.simUrl || !this.id) return;
    try {
      const stats = await (await globalThis.fetch(`${this.simUrl}/__sim/stats?summary=1`)).json();
      const t = stats.tasks?.[this.id];
      const end = t?.terminal_at_ms ?? t?.completed_at_ms;
      if (end != null && t.created_at_ms != null) {
        this.simDurationMs = end - t.created_at_ms;
        this.el.dataset.simDurationMs = String(this.simDurationMs);
        this.tick();
      }
    } catch { /* keep the duration the page saw */ }
  }

  fail(e) {
    if (this.terminal) return;
    const u = e?.update;
    if (u && TERMINAL.has(u.state)) {
      // TaskError with the task's own end (failed / canceled / timed_out).
      this.update({ ...u, error: u.error ?? { code: e.code, message: e.message } }, "poll");
      return;
    }
    const t = performance.now() - this.t0;
    this.timeline.push({ t, state: "error", raw: e?.code ?? "error", via: "client" });
    this.state = "error";
    this.final = null;
    this.endAt = performance.now();
    this.$cancel.disabled = true;
    this.$footer.hidden = true;
    this.showError(e?.code ?? "error", e?.message ?? String(e));
    this.render();
    this.onEnd?.(this);
  }

  async cancel() {
    if (!this.id || this.terminal) return;
    this.$cancel.disabled = true;
    this.$cancel.textContent = "Canceling…";
    try {
      const u = await this.client.cancel(this.id, "canceled from the demo page");
      this.update(u, "cancel");
    } catch (e) {
      if (this.terminal) return;
      this.$cancel.textContent = "Cancel";
      this.$cancel.disabled = false;
      this.note(`cancel: ${e?.code ?? "error"} — ${e?.message ?? e}`);
    }
  }

  note(text) {
    this.$note.hidden = false;
    this.$note.textContent = text;
  }

  showOutputs(outputs) {
    this.$result.replaceChildren(...outputs.slice(0, 4).map((o) => {
      if (o.kind === "video") return h("video", { src: o.url, controls: true, muted: true, loop: true, playsinline: true, preload: "metadata" });
      if (o.kind === "audio") return h("audio", { src: o.url, controls: true, preload: "metadata" });
      if (o.kind === "image") return h("img", { src: o.url, alt: this.prompt, loading: "lazy", decoding: "async" });
      return h("a", { href: o.url, target: "_blank", rel: "noopener" }, "download result");
    }));
    if (outputs.length === 0) this.$result.replaceChildren(h("p", { class: "muted" }, "succeeded without outputs"));
  }

  showError(code, message) {
    this.$result.replaceChildren(h("div", { class: `error s-${this.state}`, role: "status" }, h("strong", {}, code), " ", message));
  }

  /** Duration a fixed loop would have polled: the simulator's, once known, else what we saw. */
  durationMs() {
    if (this.simDurationMs != null) return this.simDurationMs;
    const firstT = this.timeline[0]?.t ?? 0;
    return this.elapsed - firstT;
  }

  renderCounts() {
    const c = this.counts;
    this.$status.textContent = fmtInt(c.status);
    this.el.dataset.statusRequests = String(c.status);
    const extra = [`${c.submit} submit`];
    if (c.result) extra.push(`${c.result} result`);
    if (c.cancel) extra.push(`${c.cancel} cancel`);
    if (c.faults) extra.push(`${c.faults} answered with a fault, retried`);
    this.$other.textContent = "+ " + extra.join(" · ");
  }

  render() {
    this.el.dataset.state = this.state;
    this.$state.textContent = STATE_LABEL[this.state] ?? this.state;
    this.$state.className = `pill s-${this.state}`;
    if (this.state === "queued" && this.queuePosition != null) {
      this.$queue.hidden = false;
      this.$queue.textContent = `queue position ${this.queuePosition}`;
    } else this.$queue.hidden = true;
    this.$timeline.replaceChildren(...this.timeline.map((e) =>
      h("li", { class: `s-${e.state}` },
        h("span", { class: "t" }, `+${fmtSec(e.t)}`),
        h("span", { class: "st" }, STATE_LABEL[e.state] ?? e.state),
        h("code", { class: "raw", title: "the provider's own status" }, String(e.raw ?? "")),
        e.queuePosition != null && e.state === "queued" ? h("span", { class: "qp" }, `#${e.queuePosition}`) : null,
        e.via === "webhook" ? h("span", { class: "via" }, "webhook") : null,
        e.via === "cancel" ? h("span", { class: "via" }, "cancel") : null,
        e.via === "retry" ? h("span", { class: "via retry" }, "retried") : null,
      )));
    this.renderCounts();
    this.tick();
  }

  /** Redraws what moves with time: the progress bar and the fixed-loop comparison. */
  tick() {
    const elapsed = this.elapsed;
    this.$fixed.textContent = fmtInt(fixedLoopRequests(this.durationMs()));
    if (this.terminal) {
      this.$progress.setAttribute("aria-valuenow", "100");
      this.$bar.style.width = "100%";
      this.$bar.className = `bar-fill s-${this.state}`;
      this.$barLabel.textContent = `${STATE_LABEL[this.state]} after ${fmtSec(elapsed)}`;
      return;
    }
    let expected, source;
    const learned = this.learned?.(this.profile.model);
    if (this.eta) { expected = this.eta.at + this.eta.ms; source = "etaMs from tasklane"; }
    else if (learned) { expected = learned.ms; source = `mean of ${learned.n} earlier ${this.profile.model} task${learned.n > 1 ? "s" : ""}`; }
    else { expected = this.profile.estimateMs; source = `typical for ${this.profile.model}`; }
    const frac = Math.min(elapsed / Math.max(expected, 1), 0.98);
    this.$bar.style.width = `${(frac * 100).toFixed(1)}%`;
    this.$progress.setAttribute("aria-valuenow", String(Math.round(frac * 100)));
    const over = elapsed > expected;
    this.$bar.className = `bar-fill live${over ? " over" : ""}`;
    this.$barLabel.textContent = over
      ? `${fmtSec(elapsed)} — longer than the ${source} (${fmtSec(expected)})`
      : `${fmtSec(elapsed)} of ~${fmtSec(expected)} (${source})`;
  }
}
