// The chaos run (issue 8): thousands of tasks through the simulator with ~20 % faults on
// every route of all four dialects, while waits are aborted, hit their deadline, tasks are
// canceled, clients are dropped and resumed from their TaskStore, and webhooks arrive
// duplicated and out of order. Afterwards every task is checked against what the
// simulator decided and recorded (`/__sim/stats`), and the zeros the issue asks for are
// counted and printed as a table.
//
//   node bench/chaos/chaos.mjs [TASKS=1000] [--seed N] [--md FILE] [--json]
//
// Exit status 0 when every check holds. The process must end by itself once the work is
// done: nothing here calls process.exit on success, so a leaked timer shows as a hang.
import { createServer } from "node:http";
import { setMaxListeners } from "node:events";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { TaskClient, createWebhookHandler } from "tasklane";
import { startSim } from "../../tests/js/support/sim.mjs";

const DIALECTS = ["mirako", "apixo", "mindproxy", "queue"];
const CAN_CANCEL = new Set(["mindproxy", "queue"]);
const SECRET = "whsec_" + Buffer.from("tasklane-chaos-secret-0123456789").toString("base64");
/** Wait codes that are the task's own end. */
const TASK_END = new Set(["failed", "canceled", "timed_out"]);
/** Fault kinds after which a 200 body cannot be read. */
const BAD_BODY = new Set(["truncated", "non_json", "unknown_status"]);

/** The global fault rules: ~20 % of all requests on every route and dialect. */
export const FAULT_RULES = [
  { on: "*", kinds: ["429", "429-date"], rate: 0.03, retry_after_s: 1 },
  {
    on: "*",
    kinds: ["500", "502", "503", "504", "reset", "truncated", "non_json", "drop", "slow"],
    rate: 0.175,
    delay_ms: 2000,
  },
];

/** mulberry32: a small seeded PRNG, so a run is reproducible from its seed (timing aside). */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The normalized state API.md gives the simulator's terminal state in `dialect`. */
export function expectedState(dialect, simState) {
  if (simState === "succeeded") return "succeeded";
  switch (dialect) {
    case "apixo":
      return "failed";
    case "mirako":
    case "mindproxy":
      if (simState === "canceled") return "canceled";
      if (simState === "timed_out" || simState === "expired") return "timed_out";
      return "failed";
    case "queue":
      if (simState === "canceled") return "canceled";
      if (simState === "timed_out" || simState === "expired") return "timed_out";
      return "failed";
  }
  return "?";
}

/** The submit request of `dialect` for `input`. */
function requestFor(dialect, input, webhook) {
  switch (dialect) {
    case "mirako": return { input, ...(webhook ? { webhook: { url: webhook, authToken: "chaos-token" } } : {}) };
    case "apixo": return { model: "chaos-model", input, ...(webhook ? { webhook: { url: webhook } } : {}) };
    case "mindproxy": return { taskType: "async_image", model: "chaos-model", input };
    case "queue": return { endpoint: "fal-ai/chaos", input };
  }
}

/** The task id a request URL is about, if any. */
function taskIdOf(url) {
  const u = new URL(url);
  const q = u.searchParams.get("taskId");
  if (q) return q;
  let m = u.pathname.match(/\/requests\/([^/]+)/) || u.pathname.match(/\/v1\/tasks\/([^/]+)/);
  if (m) return decodeURIComponent(m[1]);
  m = u.pathname.match(/\/([^/]+)\/status$/);
  return m ? decodeURIComponent(m[1]) : undefined;
}

/** A user TaskStore backed by a Map, recording every put and delete with its time. */
function recordingStore(log) {
  const map = new Map();
  return {
    map,
    put(id, record) { map.set(id, record); log.push({ t: Date.now(), op: "put", id }); },
    // Asynchronous on purpose: stores may be (IndexedDB, KV).
    delete(id) { log.push({ t: Date.now(), op: "delete", id }); return Promise.resolve().then(() => { map.delete(id); }); },
    list() { return Promise.resolve([...map.values()]); },
  };
}

/** Runs the chaos scenario with `tasks` tasks; resolves with the report. */
export async function runChaos({ tasks: total = 1000, seed = 8, concurrency, faults = FAULT_RULES, log = () => {} } = {}) {
  const r = rng(seed);
  const started = Date.now();
  const counters = { unhandled: 0, panics: 0, consoleErrors: 0, examples: [] };
  const onUnhandled = (e) => { counters.unhandled += 1; counters.examples.push(`unhandledRejection: ${e?.stack ?? e}`); };
  process.on("unhandledRejection", onUnhandled);
  const origError = console.error, origWarn = console.warn;
  const watchConsole = (orig) => (...args) => {
    const text = args.map((a) => (a && a.stack) || String(a)).join(" ");
    counters.consoleErrors += 1;
    if (/panicked at|RuntimeError|unreachable/.test(text)) counters.panics += 1;
    if (counters.examples.length < 20) counters.examples.push(`console: ${text.slice(0, 300)}`);
    orig(...args);
  };
  // A panic in the wasm is a trap (the build aborts on panic): whatever call hit it rejects
  // or throws a WebAssembly.RuntimeError, which no client error explains.
  const trapped = (e) => {
    if (!(e instanceof WebAssembly.RuntimeError)) return;
    counters.panics += 1;
    if (counters.examples.length < 20) counters.examples.push(`wasm trap: ${e.stack ?? e}`);
  };
  console.error = watchConsole(origError);
  console.warn = watchConsole(origWarn);
  // More delivery tries than the default 4: on a loaded machine the receiver (this process,
  // busy with a thousand polling tasks) may answer later than the simulator's 5 s timeout.
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  const sim = await startSim(["--seed", String(seed), "--webhook-secret", SECRET, "--webhook-attempts", "8"]);
  await sim.faults(faults);

  // Webhook receiver: one handler per dialect behind a node:http server on 127.0.0.1.
  const hooks = new Map(); // task id -> [{t, state}]
  // Hybrid completion: a webhook update is handed to the client following the task, when
  // the package has `client.deliver(update)` (the engine has it; the JS API may not yet).
  const owner = new Map(); // task id -> client
  const webhookTask = new Map(); // task id -> task plan
  let delivered = 0;
  const handlers = Object.fromEntries(DIALECTS.map((d) => [d, createWebhookHandler({
    provider: d,
    secret: SECRET,
    onUpdate: (u) => {
      if (!hooks.has(u.id)) hooks.set(u.id, []);
      hooks.get(u.id).push({ t: Date.now(), state: u.state });
      const client = owner.get(u.id);
      if (client && typeof client.deliver === "function") {
        const took = client.deliver(u);
        delivered += 1;
        const tt = webhookTask.get(u.id);
        if (tt) (tt.delivers ??= []).push(`${u.state}@${Date.now()}→${took}`);
        // A terminal update handed to the client ends the task for it (and its store), even
        // with no wait running (e.g. its wait was aborted): the user has the end in hand here.
        const t = webhookTask.get(u.id);
        if (t && !["queued", "running"].includes(u.state)) observe(t, u.state, "deliver");
      }
    },
  })]));
  const serverLog = new Map(); // webhook-id -> [{t0, t1, status}]
  const server = createServer(async (req, res) => {
    const entry = { t0: Date.now() };
    const wid = req.headers["webhook-id"];
    if (wid) serverLog.set(wid, [...(serverLog.get(wid) ?? []), entry]);
    res.on("finish", () => { entry.t1 = Date.now(); entry.status = res.statusCode; });
    try {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const dialect = req.url.split("/")[2];
      const handler = handlers[dialect];
      if (!handler) { res.writeHead(404).end(); return; }
      const request = new Request(`http://127.0.0.1${req.url}`, {
        method: req.method,
        headers: Object.entries(req.headers).filter(([, v]) => typeof v === "string"),
        body: Buffer.concat(chunks),
      });
      const answer = await handler(request);
      res.writeHead(answer.status, Object.fromEntries(answer.headers));
      res.end(await answer.text());
    } catch (e) {
      counters.examples.push(`webhook server: ${e?.stack ?? e}`);
      res.writeHead(500).end();
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const hookBase = `http://127.0.0.1:${server.address().port}/hook`;

  // Every request any client sends, with its start and end, and the client that sent it.
  const fetches = []; // {client, id, t0, t1, url}
  // Each client names itself to the simulator (`x-sim-client`), so the audit counts the
  // faults a wait met among its own client's requests: a dropped client's request still in
  // flight can land between a new client's answers.
  const instrumented = (clientName) => (url, init) => {
    const rec = { client: clientName, id: taskIdOf(url), t0: Date.now(), t1: undefined, method: init?.method ?? "GET" };
    fetches.push(rec);
    const headers = new Headers(init?.headers);
    headers.set("x-sim-client", clientName);
    const p = fetch(url, { ...init, headers });
    p.then(() => { rec.t1 = Date.now(); }, () => { rec.t1 = Date.now(); });
    return p;
  };

  // The plan: sessions of one dialect, one store, one client (later a second one).
  const SESSION = total >= 2000 ? 50 : 25;
  const plan = [];
  for (let i = 0; i < total; i++) {
    const roll = r.next();
    const mode = roll < 0.45 ? "plain" : roll < 0.57 ? "abort" : roll < 0.69 ? "deadline" : roll < 0.81 ? "cancel" : "webhook";
    plan.push({ i, mode });
  }
  const sessions = [];
  for (let s = 0; s * SESSION < total; s++) {
    const dialect = DIALECTS[s % 4];
    sessions.push({
      s, dialect,
      drop: r.chance(0.25),
      // Some clients give up on a request before a slow answer comes (then the request is
      // lost in transit for them); the others wait it out. Generous, as the machine is shared.
      requestTimeoutMs: r.chance(0.2) ? 1500 : 10_000,
      tasks: plan.slice(s * SESSION, (s + 1) * SESSION).map((p) => ({ ...p, dialect })),
    });
  }
  const outcomes = {
    mirako: ["failed", "canceled", "timed_out", "expired"],
    apixo: ["failed", "canceled", "timed_out"],
    mindproxy: ["failed", "canceled", "timed_out", "expired", "refunded"],
    queue: ["INFERENCE_FAILURE", "CONTENT_BLOCKED", "REQUEST_INVALID", "canceled", "timed_out", "INTERNAL_SERVER_ERROR"],
  };
  for (const sess of sessions) {
    for (const t of sess.tasks) {
      t.ref = `chaos-${seed}-${t.i}`;
      t.sim = {
        ref: t.ref,
        queue_ms: r.int(0, 400),
        run_ms: r.int(100, 1500),
        outcome: r.chance(0.7) ? "succeeded" : r.pick(outcomes[t.dialect]),
      };
      // Leave the cancel time to matter, even with the event loop of a loaded machine late.
      if (t.mode === "cancel") t.sim.run_ms += 4000;
      if (t.mode === "webhook") {
        t.sim.webhook_duplicates = r.int(0, 3);
        t.sim.webhook_out_of_order = r.chance(0.5);
        if (!["mirako", "apixo"].includes(t.dialect)) t.sim.webhook_url = `${hookBase}/${t.dialect}`;
        t.webhook = `${hookBase}/${t.dialect}`;
      }
      t.startDelay = r.int(0, 1500);
      t.abortAfter = r.int(30, 700);
      t.deadlineMs = r.int(100, 900);
      t.cancelOnTimeout = t.mode === "deadline" && CAN_CANCEL.has(t.dialect) && r.chance(0.5);
      t.cancelAfter = r.int(0, 800);
      t.waits = [];
      t.stops = [];
    }
    sess.dropAfter = r.int(100, 1500);
  }
  const storeLog = [];
  // safetyNetMs: how often a wait that expects a webhook still polls (hybrid completion).
  const poll = (sess) => ({ initialDelayMs: 100, maxDelayMs: 800, jitter: 0.2, requestTimeoutMs: sess.requestTimeoutMs, safetyNetMs: 3000 });
  const newClient = (sess, name, store) => new TaskClient({
    provider: sess.dialect, baseUrl: sim.baseUrl(sess.dialect), apiKey: sim.apiKey,
    poll: poll(sess), store, fetch: instrumented(name),
  });

  /** Records the first terminal a client observed for `t`. */
  const observe = (t, state, how) => {
    if (!t.term) t.term = { t: Date.now(), state, how };
    else if (t.term.state !== state) t.conflicts = (t.conflicts ?? 0) + 1;
  };
  const settleWait = (t, w, p) => p.then(
    (u) => { w.t1 = Date.now(); w.ok = u.state; observe(t, u.state, w.kind); },
    (e) => {
      trapped(e);
      w.t1 = Date.now(); w.code = e?.code; w.message = e?.message;
      if (TASK_END.has(e?.code) && e.update) observe(t, e.update.state, w.kind);
      else t.stops.push({ t: w.t1, client: w.client, why: w.kind, wait: w });
    });

  async function runTask(sess, client, t, sessionSignal) {
    await sleep(t.startDelay);
    t.submitT0 = Date.now();
    try {
      const u = await client.submit(requestFor(t.dialect, { prompt: `chaos ${t.i}`, _sim: t.sim }, ["mirako", "apixo"].includes(t.dialect) ? t.webhook : undefined));
      t.id = u.id;
      if (t.mode === "webhook") { owner.set(u.id, client); webhookTask.set(u.id, t); }
      t.submitT1 = Date.now();
      t.putBeforeSubmit = storeLog.some((x) => x.op === "put" && x.id === u.id);
    } catch (e) {
      trapped(e);
      t.submitErr = { code: e?.code, message: e?.message, name: e?.name };
      return;
    }
    const ctrl = new AbortController();
    const onSession = () => ctrl.abort();
    sessionSignal.addEventListener("abort", onSession, { once: true });
    const w = { client: sess.name, kind: "wait", t0: Date.now() };
    t.waits.push(w);
    const TERMINAL = ["succeeded", "failed", "canceled", "timed_out"];
    w.terminalUpdates = 0;
    const opts = { signal: ctrl.signal, onUpdate: (u) => { if (TERMINAL.includes(u.state)) w.terminalUpdates += 1; } };
    // Hybrid completion: the webhook brings the end through client.deliver, polls are the safety net.
    if (t.mode === "webhook" && typeof client.deliver === "function") opts.expectWebhook = true;
    let abortTimer;
    if (t.mode === "abort") abortTimer = setTimeout(() => { w.abortedAt = Date.now(); ctrl.abort(); }, t.abortAfter);
    if (t.mode === "deadline") {
      opts.timeoutMs = t.deadlineMs;
      w.kind = "deadline";
      // Half of them cancel the task at the vendor when the wait times out (where it can).
      if (t.cancelOnTimeout) opts.cancelOnTimeout = true;
    }
    if (t.mode === "abort") w.kind = "abort";
    const waiting = settleWait(t, w, client.wait(t.id, opts));
    if (t.mode === "cancel") {
      await sleep(t.cancelAfter);
      if (!sessionSignal.aborted) {
        t.cancel = { t0: Date.now(), client: sess.name };
        try {
          const u = await client.cancel(t.id, "chaos");
          Object.assign(t.cancel, { t1: Date.now(), ok: u.state });
          // A cancel that reads the terminal state ends the task for the client (and its store).
          if (!["queued", "running"].includes(u.state)) observe(t, u.state, "cancel");
        } catch (e) {
          trapped(e);
          Object.assign(t.cancel, { t1: Date.now(), code: e?.code, message: e?.message, httpStatus: e?.httpStatus });
        }
      }
    }
    await waiting;
    clearTimeout(abortTimer);
    sessionSignal.removeEventListener("abort", onSession);
    if (w.code === "aborted" && sessionSignal.aborted && t.mode !== "abort") w.kind = "drop";
  }

  /** A fresh client over the session's store: pending() must list exactly the tasks not yet
   * seen terminal; resume() follows them. Repeated while a resume gives up (network). */
  async function sweep(sess, why) {
    for (let round = 1; round <= 4; round++) {
      const name = `${sess.name}/${why}${round}`;
      const client = newClient(sess, name, sess.store);
      const pending = new Set(await client.pending());
      // A wait that timed out with cancelOnTimeout canceled its task at the vendor: when that
      // cancel saw the end, the client forgot the task (the user only sees wait_timeout).
      const maybe = (t) => t.cancelOnTimeout && t.waits.some((w) => w.code === "wait_timeout");
      const expected = new Set(sess.tasks.filter((t) => t.id && !t.term && !maybe(t)).map((t) => t.id));
      const optional = new Set(sess.tasks.filter((t) => t.id && !t.term && maybe(t)).map((t) => t.id));
      const missing = [...expected].filter((id) => !pending.has(id));
      const extra = [...pending].filter((id) => !expected.has(id) && !optional.has(id));
      for (const id of optional) if (!pending.has(id)) sess.tasks.find((t) => t.id === id).forgotten = true;
      sess.pendingChecks.push({ why, round, expected: expected.size, listed: pending.size, missing, extra });
      if (pending.size === 0) return;
      const byId = new Map(sess.tasks.filter((t) => t.id).map((t) => [t.id, t]));
      const t0 = Date.now();
      for (const id of pending) {
        const t = byId.get(id);
        if (t) t.waits.push({ client: name, kind: "resume", t0 });
        if (t?.mode === "webhook") owner.set(id, client);
      }
      const onUpdate = (u) => {
        const t = byId.get(u.id);
        if (t && ["succeeded", "failed", "canceled", "timed_out"].includes(u.state)) observe(t, u.state, "resume");
      };
      // resume() settles once every wait has: each task's last update, and when some wait
      // stopped before any update, a rejection carrying the others' updates and each stopped
      // wait's error. Only a terminal update is a task's end; a live one (its wait stopped
      // after an update) leaves it pending for the next round.
      let ups, stopped = [];
      try {
        ups = await client.resume({ onUpdate, timeoutMs: 60_000 });
      } catch (e) {
        trapped(e);
        if (Array.isArray(e?.updates) && Array.isArray(e?.errors)) {
          // Some waits stopped before any update: each is audited like any other stop.
          sess.resumePartial.push({ code: e.code, stopped: e.errors.length });
          ups = e.updates;
          stopped = e.errors;
        } else {
          // A rejection without its per-task parts loses the other waits' results.
          sess.resumeErrors.push({ code: e?.code, message: e?.message });
          ups = [];
          stopped = [...pending].map((id) => ({ taskId: id, code: e?.code, message: e?.message }));
        }
      }
      const t1 = Date.now();
      for (const u of ups) {
        const t = byId.get(u.id);
        if (t && !["queued", "running"].includes(u.state)) observe(t, u.state, "resume");
      }
      for (const e of stopped) {
        const t = byId.get(e.taskId);
        const w = t?.waits.at(-1);
        if (w && !w.t1) { w.t1 = t1; w.code = e.code; w.message = e.message; t.stops.push({ t: t1, client: name, why: "resume", wait: w }); }
      }
      for (const u of ups) {
        const t = byId.get(u.id);
        const w = t?.waits.at(-1);
        if (!w || w.t1) continue;
        w.t1 = t1;
        if (["queued", "running"].includes(u.state)) { w.code = "stopped"; t.stops.push({ t: t1, client: name, why: "resume", wait: w }); }
        else w.ok = u.state;
      }
      if (stopped.length) await sleep(3000);
    }
  }

  async function runSession(sess) {
    sess.name = `s${sess.s}`;
    sess.store = recordingStore(storeLog);
    sess.pendingChecks = [];
    sess.resumeErrors = [];
    sess.resumePartial = [];
    const client = newClient(sess, sess.name, sess.store);
    const sessionCtrl = new AbortController();
    setMaxListeners(0, sessionCtrl.signal); // one listener per task of the session
    const running = sess.tasks.map((t) => runTask(sess, client, t, sessionCtrl.signal));
    if (sess.drop) {
      // Drop the client once every submit has settled (a page reload), abort its waits.
      await Promise.all(sess.tasks.map(async (t) => { while (!t.id && !t.submitErr) await sleep(20); }));
      await sleep(sess.dropAfter);
      sess.droppedAt = Date.now();
      sessionCtrl.abort();
      await Promise.all(running);
      client.free();
      // A freed client must not be called again (wasm-bindgen: "null pointer passed to rust").
      for (const [id, c] of owner) if (c === client) owner.delete(id);
      await sweep(sess, "drop");
    } else {
      await Promise.all(running);
      await sweep(sess, "sweep");
    }
  }

  // `kill -USR2 <pid>` prints what is still running (to find a stuck task).
  const dump = () => {
    for (const sess of sessions) {
      for (const t of sess.tasks) {
        if (t.term || t.submitErr || t.submitT0 === undefined) continue;
        process.stderr.write(`stuck? ${sess.name} ${t.dialect} ${t.mode} ${t.id ?? "(submitting)"} waits ${JSON.stringify(t.waits.map((w) => ({ ...w, t0: w.t0 - started, t1: w.t1 && w.t1 - started })))} cancel ${JSON.stringify(t.cancel)}\n`);
      }
    }
  };
  process.on("SIGUSR2", dump);
  // Sessions run with bounded concurrency.
  const limit = concurrency ?? (total >= 2000 ? 24 : 20);
  let next = 0, done = 0;
  const progress = setInterval(() => log(`chaos: ${done}/${sessions.length} sessions, ${fetches.length} requests`), 5000);
  await Promise.all(Array.from({ length: Math.min(limit, sessions.length) }, async () => {
    while (next < sessions.length) {
      const sess = sessions[next++];
      await runSession(sess);
      done += 1;
    }
  }));
  clearInterval(progress);
  process.off("SIGUSR2", dump);
  const workEnded = Date.now();
  lag.disable();

  // Let the last webhook deliveries land (duplicates and stale updates come after the terminal one).
  const hookTasks = sessions.flatMap((s) => s.tasks).filter((t) => t.mode === "webhook" && t.id);
  const hookIds = new Set(hookTasks.map((t) => t.id));
  const want = hookTasks.reduce((n, t) => n + 1 + t.sim.webhook_duplicates + (t.sim.webhook_out_of_order ? 1 : 0), 0);
  // (polled gently: rendering the stats holds the simulator's lock)
  for (let i = 0; i < 120; i++) {
    const st = await sim.stats(true);
    const got = st.webhooks.filter((w) => hookIds.has(w.task_id) && w.status >= 200 && w.status < 300).length;
    if (got >= want) break;
    await sleep(1000);
  }
  const stats = await sim.stats();
  const report = check({ sessions, stats, fetches, storeLog, hooks, counters, serverLog });
  report.seconds = Math.round((workEnded - started) / 100) / 10;
  report.requests = fetches.length;
  report.simRequests = stats.requests_total;
  report.faultsInjected = stats.faults_injected;
  report.faultShare = Math.round((1000 * stats.faults_injected) / Math.max(1, stats.requests_total)) / 10;
  report.duplicateSubmits = stats.duplicate_submits;
  report.seed = seed;
  report.hybridDeliveries = delivered;
  report.eventLoopDelay = `${Math.round(lag.percentile(50) / 1e6)} / ${Math.round(lag.percentile(99) / 1e6)} / ${Math.round(lag.max / 1e6)}`;
  report.load = (await import("node:os")).loadavg().map((x) => x.toFixed(1)).join(" ");

  await new Promise((ok) => server.close(ok));
  server.closeAllConnections?.();
  await sim.stop();
  process.off("unhandledRejection", onUnhandled);
  console.error = origError;
  console.warn = origWarn;
  // Nothing of ours may still hold the event loop: no timer of a client, no socket.
  await new Promise((r) => setImmediate(r));
  const active = process.getActiveResourcesInfo();
  report.timersLeft = active.filter((k) => k === "Timeout").length;
  report.activeResources = active.join(",");
  report.unhandledRejections = counters.unhandled;
  report.panics = counters.panics;
  report.consoleErrors = counters.consoleErrors;
  report.examples.push(...counters.examples);
  return report;
}

/** Every check of the issue, from what the clients saw and what the simulator recorded. */
function check({ sessions, stats, fetches, storeLog, hooks, serverLog }) {
  const tasks = sessions.flatMap((s) => s.tasks);
  const examples = [];
  const ex = (s) => { if (examples.length < 40) examples.push(s); };
  const c = {
    tasks: tasks.length,
    submitted: 0, submitRejected: 0, submitRejectedExplained: 0, orphans: 0, keyedOrphans: 0,
    endedAsSimulator: 0, wrongState: 0, neverEnded: 0, conflicting: 0,
    byState: {},
    aborted: 0, deadline: 0, deadlineAsNetwork: 0, dropped: 0, faultExplainedStops: 0, unexplainedStops: 0,
    canceledTasks: 0, canceledOnTimeout: 0, doubleTerminalUpdates: 0, cancelUnsupported: 0, cancelRejectedExplained: 0, cancelUnexplained: 0,
    missingFromStore: 0, pendingMismatch: 0, resumeRounds: 0, resumeErrors: 0, resumePartial: 0, storeLeftovers: 0,
    doubleSubmits: 0, refsMismatch: 0,
    requestsAfterStop: 0, requestsAfterTerminal: 0, clientRequestsAfterStop: 0,
    webhookTasks: 0, webhookTerminalOnce: 0, webhookWrong: 0, webhookStaleLive: 0, webhookFailedDeliveries: 0,
  };
  const simTasks = stats.tasks;
  const hookLatency = [];
  const byRef = new Map();
  for (const [id, st] of Object.entries(simTasks)) if (st.ref) byRef.set(st.ref, [...(byRef.get(st.ref) ?? []), id]);
  // Requests per task as the simulator logged them.
  const fetchesById = new Map();
  for (const f of fetches) if (f.id) fetchesById.set(f.id, [...(fetchesById.get(f.id) ?? []), f]);
  const inFlightAt = (id, client, t) => (fetchesById.get(id) ?? []).filter((f) => f.client === client && f.t0 <= t && (f.t1 === undefined || f.t1 >= t)).length;
  const deletes = new Map();
  for (const e of storeLog) if (e.op === "delete") deletes.set(e.id, [...(deletes.get(e.id) ?? []), e.t]);

  for (const ref of Object.keys(stats.refs)) {
    if (stats.refs[ref] > 1) { c.doubleSubmits += 1; ex(`double submit: ref ${ref} created ${stats.refs[ref]} tasks`); }
  }

  for (const t of tasks) {
    const created = byRef.get(t.ref) ?? [];
    if (t.submitErr) {
      c.submitRejected += 1;
      const nonIdem = t.dialect !== "mindproxy";
      const mayExist = /may exist/.test(t.submitErr.message ?? "");
      // A keyed submit is retried; it gives up only when every try failed in transit.
      const gaveUp = t.submitErr.code === "network" && /retries used up|deadline/.test(t.submitErr.message ?? "");
      if (nonIdem ? ["network", "http", "bad_response"].includes(t.submitErr.code) && mayExist : gaveUp) c.submitRejectedExplained += 1;
      else ex(`submit ${t.ref} (${t.dialect}) rejected unexplained: ${t.submitErr.code} ${t.submitErr.message}`);
      if (created.length) { c.orphans += 1; if (!nonIdem) c.keyedOrphans += 1; if (!nonIdem) ex(`orphan on an idempotent dialect: ${t.ref} → ${created}: ${t.submitErr.code} ${t.submitErr.message}; simulator ${(simTasks[created[0]].requests ?? []).map((q) => `${q.route}:${q.status}:${q.fault ?? ""}`).join(" ")}`); }
      continue;
    }
    c.submitted += 1;
    if (created.length !== 1 || created[0] !== t.id) { c.refsMismatch += 1; ex(`ref ${t.ref}: client id ${t.id}, simulator ${created}`); }
    const st = simTasks[t.id];
    if (!st) { c.neverEnded += 1; ex(`${t.id}: unknown to the simulator`); continue; }
    const want = expectedState(t.dialect, st.state);
    // (canceled by that cancel, or by the provider just before it: canceled either way)
    if (!t.term && t.forgotten && st.state === "canceled") { c.canceledOnTimeout += 1; c.endedAsSimulator += 1; c.byState.canceled = (c.byState.canceled ?? 0) + 1; }
    else if (!t.term) { c.neverEnded += 1; ex(`${t.dialect} ${t.id} (${t.mode}): never seen terminal (simulator: ${st.state})`); }
    else if (t.term.state === want) { c.endedAsSimulator += 1; c.byState[want] = (c.byState[want] ?? 0) + 1; }
    else { c.wrongState += 1; ex(`${t.dialect} ${t.id} (${t.mode}): ended ${t.term.state}, simulator decided ${st.state} (→ ${want})`); }
    if (t.conflicts) { c.conflicting += 1; ex(`${t.id}: two clients saw different terminal states`); }
    if (!t.putBeforeSubmit) { c.missingFromStore += 1; ex(`${t.id}: not in the store when submit resolved`); }
    for (const d of deletes.get(t.id) ?? []) {
      // Deleted only once the task really ended (simulator clock = this machine's clock).
      if (d < (st.terminal_at_ms ?? Infinity)) { c.missingFromStore += 1; ex(`${t.id}: deleted from the store at ${d}, before its end at ${st.terminal_at_ms}`); }
    }

    // Every wait that did not see the end: was it the abort, the deadline, the drop, or faults?
    const reqs = (st.requests ?? []).filter((q) => q.route !== "submit");
    /** The faults of `client`'s last requests on `routes` up to `t1`, newest first, up to
     * the first answer that was not a fault (or only slow). */
    const trailingFaults = (routes, t1, client) => {
      const out = [];
      const mine = (q) => q.t_ms <= t1 && routes.includes(q.route) && (q.client === undefined || q.client === client);
      for (const q of reqs.filter(mine).reverse()) {
        if (!q.fault || q.fault === "slow") break;
        out.push(q.fault);
      }
      return out;
    };
    for (const w of t.waits) {
      if (w.terminalUpdates > 1) { c.doubleTerminalUpdates += 1; ex(`${t.id}: a wait's onUpdate saw ${w.terminalUpdates} terminal updates`); }
      if (w.ok || TASK_END.has(w.code) || w.code === undefined) continue;
      const trailing = trailingFaults(["status", "result"], w.t1, w.client);
      if (w.code === "aborted" && w.kind === "abort") c.aborted += 1;
      else if (w.code === "aborted" && w.kind === "drop") c.dropped += 1;
      else if (w.code === "wait_timeout" && w.kind === "deadline") c.deadline += 1;
      else if (w.code === "network" && w.kind === "deadline" && /deadline/.test(w.message ?? "")) c.deadlineAsNetwork += 1;
      else if (w.code === "bad_response" && trailing.filter((f) => BAD_BODY.has(f)).length >= 3) c.faultExplainedStops += 1;
      else if (w.code === "network" && trailing.length >= 11) c.faultExplainedStops += 1;
      // resume() reported a live update: that wait stopped after one (the reason is not in
      // a TaskUpdate), so one of the rules above must hold, or its 60 s timeoutMs ran out.
      else if (w.code === "stopped" && w.kind === "resume" && (trailing.filter((f) => BAD_BODY.has(f)).length >= 3 || trailing.length >= 11)) c.faultExplainedStops += 1;
      else if (w.code === "stopped" && w.kind === "resume" && w.t1 - w.t0 >= 60_000) c.deadline += 1;
      else { c.unexplainedStops += 1; ex(`${t.dialect} ${t.id} ${w.kind} wait rejected ${w.code}: ${w.message} (trailing faults: ${trailing.join(",")})`); }
    }

    // Nothing polled after a stop (until the next client resumed) or after the end.
    const polls = reqs.filter((q) => q.route !== "cancel");
    // The user's cancel() may itself read the status (queue answers a cancel with 202).
    const inCancelWindow = (ms) => t.cancel && ms >= t.cancel.t0 && ms <= (t.cancel.t1 ?? Infinity);
    for (const s of t.stops) {
      const nextStart = Math.min(...t.waits.filter((w) => w !== s.wait && w.t0 >= s.t).map((w) => w.t0), Infinity);
      const n = polls.filter((q) => q.t_ms > s.t && q.t_ms < nextStart && !inCancelWindow(q.t_ms)).length;
      const allowed = inFlightAt(t.id, s.client, s.t);
      if (n > allowed) {
        c.requestsAfterStop += n - allowed;
        const near = (fetchesById.get(t.id) ?? []).map((f) => `${f.client}:${f.t0 - s.t}..${f.t1 === undefined ? "?" : f.t1 - s.t}`).join(" ");
        ex(`${t.id}: ${n} requests after a ${s.why} stop at ${s.t} (in flight then: ${allowed}); simulator at ${polls.map((q) => q.t_ms - s.t).join(",")}; client ${near}; waits ${t.waits.map((w) => `${w.client}:${w.kind}:${w.t0 - s.t}..${w.t1 - s.t}`).join(" ")}`);
      }
      // (the user's cancel() may still read the status after a wait stopped)
      const inCancel = (f) => t.cancel && f.t0 >= t.cancel.t0 && f.t0 <= (t.cancel.t1 ?? Infinity);
      const late = (fetchesById.get(t.id) ?? []).filter((f) => f.client === s.client && f.t0 > s.t && f.method === "GET" && !inCancel(f));
      if (late.length) { c.clientRequestsAfterStop += late.length; ex(`${t.id}: client ${s.client} sent ${late.length} requests after its ${s.why} stop`); }
    }
    if (t.term) {
      const after = Math.max(t.term.t, t.cancel?.t1 ?? 0);
      // (a request already on its way then, e.g. a slow result fetch, is not "after")
      const onTheWay = (fetchesById.get(t.id) ?? []).filter((f) => f.method === "GET" && f.t0 <= after && (f.t1 === undefined || f.t1 >= after)).length;
      const n = polls.filter((q) => q.t_ms > after).length - onTheWay;
      if (n > 0) {
        c.requestsAfterTerminal += n;
        const near = (fetchesById.get(t.id) ?? []).map((f) => `${f.client}:${f.method}:${f.t0 - after}..${f.t1 === undefined ? "?" : f.t1 - after}`).join(" ");
        ex(`${t.dialect} ${t.id} (${t.mode}, seen ${t.term.how}): ${n} requests after the terminal state was seen at ${after}; delivers ${(t.delivers ?? []).join(" ")}; simulator ${reqs.map((q) => `${q.route}:${q.t_ms - after}:${q.status}:${q.fault ?? ""}`).join(" ")}; client ${near}; waits ${t.waits.map((w) => `${w.client}:${w.kind}:${w.t0 - after}..${w.t1 - after}:${w.ok ?? w.code}`).join(" ")}`);
      }
    }

    if (t.mode === "cancel" && t.cancel) {
      if (!CAN_CANCEL.has(t.dialect)) {
        if (t.cancel.code === "unsupported") c.cancelUnsupported += 1;
        else { c.cancelUnexplained += 1; ex(`${t.dialect} cancel: ${t.cancel.code ?? t.cancel.ok}`); }
      } else if (st.canceled_at_ms) {
        c.canceledTasks += 1;
        // The cancel was applied but its answers were damaged (three bad bodies in a row):
        // the client cannot know it took effect, so `bad_response` is the right answer.
        const badAnswers = trailingFaults(["cancel", "status"], t.cancel.t1, t.cancel.client).filter((f) => BAD_BODY.has(f)).length;
        if (t.cancel.code === "bad_response" && badAnswers >= 3) c.cancelRejectedExplained += 1;
        else if (t.cancel.code) { c.cancelUnexplained += 1; ex(`${t.dialect} ${t.id}: the cancel took effect at ${st.canceled_at_ms} but cancel() rejected ${t.cancel.code} ${t.cancel.httpStatus ?? ""}: ${t.cancel.message}`); }
      } else if (t.cancel.code && (st.terminal_at_ms <= t.cancel.t1 || t.cancel.code === "network")) {
        c.cancelRejectedExplained += 1;
        if (process.env.CHAOS_DEBUG) ex(`cancel ${t.dialect} ${t.id}: ${t.cancel.code} ${t.cancel.message} sent ${t.cancel.t0 - st.created_at_ms} after creation, ended ${st.terminal_at_ms - st.created_at_ms}`);
      } else if (t.cancel.code) {
        c.cancelUnexplained += 1; ex(`${t.dialect} ${t.id}: cancel rejected ${t.cancel.code}: ${t.cancel.message}`);
      } else if (t.cancel.ok && !["queued", "running"].includes(t.cancel.ok) && t.cancel.ok !== want) {
        c.cancelUnexplained += 1; ex(`${t.id}: cancel() resolved ${t.cancel.ok}, the simulator decided ${st.state}`);
      }
    }

    if (t.mode === "webhook") {
      c.webhookTasks += 1;
      const first = (serverLog.get(`msg_${t.id}_terminal`) ?? [])[0];
      if (first && st.terminal_at_ms) hookLatency.push(first.t0 - st.terminal_at_ms);
      const seen = hooks.get(t.id) ?? [];
      const terms = seen.filter((h) => !["queued", "running"].includes(h.state));
      const firstTerm = seen.findIndex((h) => !["queued", "running"].includes(h.state));
      c.webhookStaleLive += seen.filter((h, i) => firstTerm >= 0 && i > firstTerm && ["queued", "running"].includes(h.state)).length;
      if (terms.length === 1 && terms[0].state === want) c.webhookTerminalOnce += 1;
      else { c.webhookWrong += 1; ex(`${t.dialect} ${t.id}: onUpdate saw terminal ${JSON.stringify(terms.map((h) => h.state))}, want one ${want}`); }
    }
  }
  // Deliveries the simulator gave up on (never answered 2xx).
  const lastAttempt = new Map();
  for (const w of stats.webhooks) lastAttempt.set(`${w.task_id}|${w.webhook_id}|${w.kind}|${w.url}`, w);
  for (const w of lastAttempt.values()) {
    if (w.status >= 200 && w.status < 300) continue;
    c.webhookFailedDeliveries += 1;
    const all = stats.webhooks.filter((x) => x.webhook_id === w.webhook_id).map((x) => `${x.kind}#${x.attempt}:${x.status ?? x.error}@${x.t_ms - simTasks[w.task_id]?.terminal_at_ms}`);
    const got = (serverLog.get(w.webhook_id) ?? []).map((x) => `${x.t0 - simTasks[w.task_id]?.terminal_at_ms}+${x.t1 === undefined ? "?" : x.t1 - x.t0}:${x.status ?? ""}`);
    if (c.webhookFailedDeliveries <= 3) ex(`webhook ${w.webhook_id} never acknowledged: simulator ${all.join(" ")}; our server ${got.join(" ")}`);
  }

  for (const s of sessions) {
    c.resumeRounds += s.pendingChecks.length;
    c.resumeErrors += s.resumeErrors.length;
    c.resumePartial += s.resumePartial.length;
    for (const p of s.pendingChecks) {
      if (p.missing.length || p.extra.length) { c.pendingMismatch += p.missing.length + p.extra.length; ex(`${s.name} ${p.why}${p.round}: pending() missing ${p.missing} extra ${p.extra}`); }
    }
    // The learned-durations record stays by design (issue 6.3); task records must not.
    c.storeLeftovers += [...s.store.map.keys()].filter((k) => !k.startsWith("tasklane:estimates:")).length;
  }
  hookLatency.sort((a, b) => a - b);
  const q = (p) => hookLatency[Math.min(hookLatency.length - 1, Math.floor(p * hookLatency.length))] ?? "-";
  c.webhookLatency = `${q(0.5)} / ${q(0.99)} / ${hookLatency.at(-1) ?? "-"}`;
  return { ...c, examples };
}

/** The summary as a markdown table (what `bench/results/chaos.md` holds). */
export function table(rep) {
  const z = (n) => (n === 0 ? "0 ✓" : `**${n} ✗**`);
  const rows = [
    ["tasks planned", rep.tasks],
    ["submitted (id known)", rep.submitted],
    ["submit rejected, explained (mirako/apixo/queue: outcome unknown, not retried, `network`/`http`/`bad_response` \"may exist\"; mindproxy: `network` once its keyed retries were used up)", rep.submitRejectedExplained],
    ["… of which the simulator created the task anyway (orphans: submit outcome unknown to the client)", `${rep.orphans} (mindproxy, keyed, every retry lost in transit: ${rep.keyedOrphans})`],
    ["ended in the state the simulator decided", `${rep.endedAsSimulator} / ${rep.submitted} (${Object.entries(rep.byState).map(([k, v]) => `${k} ${v}`).join(", ")})`],
    ["waits ended `aborted` by their AbortSignal", rep.aborted],
    ["waits ended `wait_timeout` by `timeoutMs`", rep.deadline],
    ["waits ended `network` at the `timeoutMs` deadline (last try failed)", rep.deadlineAsNetwork],
    ["waits ended `aborted` by dropping their client", rep.dropped],
    ["waits given up after consecutive injected faults (then resumed)", rep.faultExplainedStops],
    ["tasks canceled by `cancel()` (mindproxy, queue)", rep.canceledTasks],
    ["tasks canceled at the vendor by `cancelOnTimeout` when their wait timed out", rep.canceledOnTimeout],
    ["`cancel()` → `unsupported` (mirako, apixo)", rep.cancelUnsupported],
    ["`cancel()` rejected because the task had already ended (or network)", rep.cancelRejectedExplained],
    ["pending()/resume() rounds on a fresh client over the same TaskStore", rep.resumeRounds],
    ["… resume() rejections naming the waits that stopped before any update (each audited above), the others' updates attached", rep.resumePartial],
    ["webhook tasks whose onUpdate saw the terminal exactly once, right state", `${rep.webhookTerminalOnce} / ${rep.webhookTasks}`],
    ["stale live webhook deliveries after the terminal (passed to onUpdate)", rep.webhookStaleLive],
    ["webhook updates handed to `client.deliver()` (hybrid completion, waits with `expectWebhook`)", rep.hybridDeliveries],
    ["webhook arrival after the task's end, ms (p50 / p99 / max)", rep.webhookLatency],
    ["requests (client) / requests (simulator) / faults injected", `${rep.requests} / ${rep.simRequests} / ${rep.faultsInjected} (${rep.faultShare} %)`],
    ["submits deduplicated by idempotency key (mindproxy retries)", rep.duplicateSubmits],
    ["wall time (s)", rep.seconds],
    ["event loop delay of the driver process, ms (p50 / p99 / max); machine load average", `${rep.eventLoopDelay}; ${rep.load}`],
    ["**wrong final state**", z(rep.wrongState)],
    ["**tasks never seen terminal (lost)**", z(rep.neverEnded)],
    ["**unexplained rejections (submit, wait, cancel)**", z(rep.submitRejected - rep.submitRejectedExplained + rep.unexplainedStops + rep.cancelUnexplained)],
    ["**tasks missing from the store before their end**", z(rep.missingFromStore)],
    ["**pending() differing from the tasks not yet ended**", z(rep.pendingMismatch)],
    ["**records left in stores at the end**", z(rep.storeLeftovers)],
    ["**double submits (`refs` > 1) / ref-id mismatches**", z(rep.doubleSubmits + rep.refsMismatch)],
    ["**status requests after an abort/deadline (simulator log, beyond the one in flight)**", z(rep.requestsAfterStop)],
    ["**requests sent by a client after its abort/deadline (client log)**", z(rep.clientRequestsAfterStop)],
    ["**status requests after the terminal state was seen**", z(rep.requestsAfterTerminal)],
    ["**webhook terminal missing, doubled or wrong**", z(rep.webhookWrong)],
    ["**a wait's onUpdate called with a terminal state more than once**", z(rep.doubleTerminalUpdates)],
    ["webhook messages the simulator gave up on (receiver too slow for its 5 s timeout, 8 tries)", rep.webhookFailedDeliveries],
    ["**unhandled promise rejections**", z(rep.unhandledRejections)],
    ["**panics (a wasm trap: RuntimeError, thrown or in the console)**", z(rep.panics)],
    ["**console errors/warnings**", z(rep.consoleErrors)],
    ["**resume() rejections without the other waits' updates**", z(rep.resumeErrors)],
    ["**timers still armed when the work ended** (and the process must exit by itself)", z(rep.timersLeft)],
  ];
  return ["| check | result |", "|---|---|", ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join("\n");
}

/** The counts that must be zero. */
export function failures(rep) {
  const f = {
    wrongState: rep.wrongState, neverEnded: rep.neverEnded,
    unexplained: rep.submitRejected - rep.submitRejectedExplained + rep.unexplainedStops + rep.cancelUnexplained,
    missingFromStore: rep.missingFromStore, pendingMismatch: rep.pendingMismatch, storeLeftovers: rep.storeLeftovers,
    doubleSubmits: rep.doubleSubmits, refsMismatch: rep.refsMismatch,
    requestsAfterStop: rep.requestsAfterStop, clientRequestsAfterStop: rep.clientRequestsAfterStop,
    requestsAfterTerminal: rep.requestsAfterTerminal, webhookWrong: rep.webhookWrong, doubleTerminalUpdates: rep.doubleTerminalUpdates,
    unhandledRejections: rep.unhandledRejections,
    panics: rep.panics, consoleErrors: rep.consoleErrors, resumeErrors: rep.resumeErrors, timersLeft: rep.timersLeft,
  };
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== 0));
}

const isMain = process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url;
if (isMain) {
  const args = process.argv.slice(2);
  const opt = (k) => (args.includes(k) ? args[args.indexOf(k) + 1] : undefined);
  const tasks = Number(args.find((a) => /^\d+$/.test(a) && args[args.indexOf(a) - 1] !== "--seed") ?? 1000);
  const seed = Number(opt("--seed") ?? 8);
  const md = opt("--md");
  const rep = await runChaos({ tasks, seed, log: (m) => process.stderr.write(m + "\n") });
  const bad = failures(rep);
  if (args.includes("--json")) {
    process.stdout.write(JSON.stringify({ ...rep, failures: bad }) + "\n");
  } else {
    console.log(table(rep));
    if (rep.examples.length) console.log("\nexamples:\n" + rep.examples.map((e) => "- " + e).join("\n"));
  }
  if (md) {
    mkdirSync(path.dirname(md), { recursive: true });
    const cmd = `node bench/chaos/chaos.mjs ${tasks} --seed ${seed}`;
    writeFileSync(md, [
      `## Chaos: ${tasks} tasks through ~20 % faults`,
      "",
      `\`${cmd}\` (from \`scripts/bench-chaos.sh\`): all four dialects, faults ${JSON.stringify(FAULT_RULES)} on every route,`,
      "aborted waits, `timeoutMs` deadlines, `cancel()`, clients dropped and resumed from their TaskStore, webhooks with duplicates and stale updates.",
      "Bold rows must be zero.",
      "",
      table(rep),
      "",
      ...(rep.examples.length ? ["Examples of what went wrong:", "", ...rep.examples.map((e) => "- " + e.replace(/\|/g, "\\|")), ""] : []),
    ].join("\n"));
  }
  process.exitCode = Object.keys(bad).length ? 1 : 0;
}
