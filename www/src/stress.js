// The stress panel: 200 tasks through one TaskClient, the status requests per second it
// really sent, and what a fixed 500 ms loop would have sent for the same tasks
// (Σ 1 + ⌈duration / 0.5 s⌉, with each task's duration taken from the simulator once it ends).
import { classify, fixedLoopRequests } from "./dialects.js";
import { countingFetch } from "./counting-fetch.js";
import { h, fmtInt } from "./dom.js";

export const STRESS_TASKS = 200;
const SAMPLE_MS = 500;

export class StressPanel {
  /**
   * @param {object} o
   * @param {Record<string, HTMLElement>} o.els  the panel's elements (see main.js)
   * @param {(dialect: string, fetch: typeof fetch) => any} o.makeClient
   * @param {string} o.simUrl
   * @param {object} o.dialects  DIALECTS
   * @param {object} o.profiles  PROFILES
   */
  constructor(o) {
    Object.assign(this, o);
    this.running = false;
    this.reset();
    this.dots = h("div", { class: "dots", "aria-label": "the 200 tasks" });
    this.els.chart.parentElement.before(this.dots);
    new ResizeObserver(() => this.draw()).observe(this.els.chart);
  }

  reset() {
    this.tasks = [];
    this.statusTimes = [];
    this.counts = { submit: 0, status: 0, result: 0, other: 0 };
    this.samples = [];
    this.peak = 0;
    this.simCounted = null;
  }

  async start(dialect, profileKey) {
    if (this.running) return;
    this.running = true;
    this.reset();
    const profile = this.profiles[profileKey];
    const info = this.dialects[dialect];
    const t0 = performance.now();
    this.t0 = t0;
    const fetch = countingFetch((r) => {
      const kind = classify(dialect, r.method, r.url);
      if (kind === "status") { this.counts.status++; this.statusTimes.push(r.t); }
      else if (kind === "submit") this.counts.submit++;
      else if (kind === "result") this.counts.result++;
      else this.counts.other++;
    });
    const client = this.makeClient(dialect, fetch);
    this.dots.replaceChildren(...Array.from({ length: STRESS_TASKS }, () => h("i", { class: "s-submitting" })));
    this.els.note.textContent = `${STRESS_TASKS} × ${dialect} / ${profile.model} (${profile.about}) through one TaskClient…`;
    const timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.sample();

    const one = async (i) => {
      const task = { i, id: null, start: null, end: null, state: "submitting", simMs: null };
      this.tasks.push(task);
      const dot = this.dots.children[i];
      const set = (s) => { task.state = s; dot.className = `s-${s}`; };
      try {
        const req = info.request({ model: profile.model, input: { prompt: `stress task ${i + 1}`, _sim: { ref: `demo-stress-${i}` } } });
        const sub = await client.submit(req);
        task.id = sub.id;
        task.start = performance.now();
        set(sub.state);
        await client.wait(sub.id, { onUpdate: (u) => set(u.state) });
        set("succeeded");
      } catch (e) {
        set(e?.update?.state ?? "failed");
      } finally {
        task.end = performance.now();
      }
    };
    await Promise.all(Array.from({ length: STRESS_TASKS }, (_, i) => one(i)));
    clearInterval(timer);
    this.sample();
    await this.fromSimulator().catch((e) => {
      this.els.note.textContent = `Could not read the simulator's stats (${e.message}); durations are as the page saw them.`;
    });
    this.running = false;
    this.render();
    return this.summary();
  }

  /** Reads each task's real duration (and the status requests it counted) from the simulator. */
  async fromSimulator() {
    const res = await globalThis.fetch(`${this.simUrl}/__sim/stats`);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const stats = await res.json();
    let counted = 0, known = 0;
    for (const task of this.tasks) {
      const s = task.id && stats.tasks?.[task.id];
      if (!s) continue;
      const end = s.terminal_at_ms ?? s.completed_at_ms;
      if (end != null && s.created_at_ms != null) { task.simMs = end - s.created_at_ms; known++; }
      if (Array.isArray(s.requests)) counted += s.requests.filter((r) => /status/i.test(String(r.route))).length;
    }
    this.simCounted = counted;
    // Redraw the fixed loop's line from the real durations: a 500 ms loop would have stopped
    // within half a second of each task's end, not when our backoff noticed it.
    for (const p of this.samples) {
      const at = this.t0 + p.t;
      p.fixed = 2 * this.tasks.filter((t) => t.start != null && t.start <= at && at < t.start + (t.simMs ?? (t.end ?? at) - t.start)).length;
    }
    this.els.note.textContent =
      `Durations of ${known} / ${this.tasks.length} tasks from the simulator (GET /__sim/stats); ` +
      `it counted ${fmtInt(counted)} status requests for them, the page counted ${fmtInt(this.counts.status)}.`;
  }

  /** What a fixed 500 ms loop would have needed for the tasks so far. */
  fixedTotal() {
    const now = performance.now();
    let n = 0;
    for (const t of this.tasks) {
      if (t.start == null) continue;
      n += fixedLoopRequests(t.simMs ?? ((t.end ?? now) - t.start));
    }
    return n;
  }

  summary() {
    const fixed = this.fixedTotal();
    return {
      tasks: this.tasks.length,
      succeeded: this.tasks.filter((t) => t.state === "succeeded").length,
      statusRequests: this.counts.status,
      simCounted: this.simCounted,
      submits: this.counts.submit,
      fixedLoop: fixed,
      peakRps: this.peak,
    };
  }

  sample() {
    const now = performance.now();
    while (this.statusTimes.length && this.statusTimes[0] < now - 1000) this.statusTimes.shift();
    const rps = this.statusTimes.length;
    const live = this.tasks.filter((t) => t.start != null && t.end == null).length;
    this.peak = Math.max(this.peak, rps);
    this.samples.push({ t: now - this.t0, rps, fixed: live * (1000 / 500) });
    this.render();
  }

  render() {
    const e = this.els;
    const done = this.tasks.filter((t) => t.end != null).length;
    e.done.textContent = `${fmtInt(done)} / ${fmtInt(this.tasks.length)}`;
    e.rps.textContent = this.running ? fmtInt(this.samples.at(-1)?.rps ?? 0) : "0";
    e.peak.textContent = `peak ${fmtInt(this.peak)}`;
    e.status.textContent = fmtInt(this.counts.status);
    const extra = [`${fmtInt(this.counts.submit)} submits`];
    if (this.counts.result) extra.push(`${fmtInt(this.counts.result)} result fetches`);
    if (this.counts.other) extra.push(`${fmtInt(this.counts.other)} other`);
    e.submits.textContent = `+ ${extra.join(", ")}`;
    const fixed = this.fixedTotal();
    e.fixed.textContent = fmtInt(fixed);
    if (this.counts.status > 0 && fixed > 0) {
      e.ratio.textContent = `${(fixed / this.counts.status).toFixed(1)}×`;
      e.ratioSub.textContent = `${fmtInt(fixed - this.counts.status)} fewer status requests`;
    }
    e.panel.dataset.done = String(done);
    e.panel.dataset.statusRequests = String(this.counts.status);
    e.panel.dataset.fixedLoop = String(fixed);
    this.draw();
  }

  draw() {
    const c = this.els.chart;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth, hgt = c.clientHeight;
    if (!w || !hgt) return;
    if (c.width !== Math.round(w * dpr)) { c.width = Math.round(w * dpr); c.height = Math.round(hgt * dpr); }
    const g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, hgt);
    const pad = { l: 40, r: 10, t: 10, b: 22 };
    const s = this.samples;
    const tMax = Math.max(10_000, s.at(-1)?.t ?? 0);
    const yMax = niceMax(Math.max(10, ...s.map((p) => Math.max(p.rps, p.fixed))));
    const X = (t) => pad.l + (t / tMax) * (w - pad.l - pad.r);
    const Y = (v) => hgt - pad.b - (v / yMax) * (hgt - pad.t - pad.b);
    g.font = "11px system-ui, sans-serif";
    g.fillStyle = "#64748b";
    g.strokeStyle = "#e2e8f0";
    g.lineWidth = 1;
    for (let i = 0; i <= 5; i++) {
      const v = (yMax / 5) * i;
      g.beginPath(); g.moveTo(pad.l, Y(v)); g.lineTo(w - pad.r, Y(v)); g.stroke();
      g.textAlign = "right"; g.fillText(String(Math.round(v)), pad.l - 6, Y(v) + 4);
    }
    g.textAlign = "center";
    const step = tMax > 60_000 ? 10_000 : 5_000;
    for (let t = 0; t <= tMax; t += step) {
      g.textAlign = t === 0 ? "left" : t + step > tMax ? "right" : "center";
      g.fillText(`${t / 1000} s`, X(t), hgt - 6);
    }
    const line = (key, color, fill) => {
      if (s.length < 2) return;
      g.beginPath();
      s.forEach((p, i) => (i ? g.lineTo(X(p.t), Y(p[key])) : g.moveTo(X(p.t), Y(p[key]))));
      g.strokeStyle = color; g.lineWidth = 2; g.stroke();
      if (fill) {
        g.lineTo(X(s.at(-1).t), Y(0)); g.lineTo(X(s[0].t), Y(0)); g.closePath();
        g.fillStyle = fill; g.fill();
      }
    };
    line("fixed", "#f59e0b", "rgba(245,158,11,0.10)");
    line("rps", "#4f46e5", "rgba(79,70,229,0.18)");
  }
}

function niceMax(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return Math.max(5, m * p);
  return 10 * p;
}
