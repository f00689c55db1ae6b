// The package in Node against the simulator when things go wrong: abort mid-wait with
// nothing sent after it, our own timeout, retried 429/5xx answers, a dropped
// non-idempotent submit, and bad arguments (clear invalid_argument errors, no panics).
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { TaskClient, TaskError } from "tasklane";
import { startSim } from "./support/sim.mjs";
import { clientFor, requestFor, rejection, requestsOf, sleep } from "./support/client.mjs";

let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.stop(); });

test("abort mid-wait rejects with aborted and sends no request after it", async () => {
  const client = clientFor(sim, "apixo");
  const sub = await client.submit(requestFor("apixo", { prompt: "p", _sim: { queue_ms: 5000, run_ms: 5000 } }));
  const ctrl = new AbortController();
  let polls = 0;
  const waiting = client.wait(sub.id, { signal: ctrl.signal, onUpdate: () => { polls++; } });
  // Let a few polls happen, then abort.
  while ((await requestsOf(sim, sub.id)).filter((r) => r.route === "status").length < 2) await sleep(20);
  let settled = false;
  waiting.then(() => {}, () => { settled = true; });
  ctrl.abort();
  await Promise.resolve();
  await Promise.resolve();
  assert.ok(settled, "wait did not reject within one tick of the abort");
  const err = await rejection(waiting);
  assert.ok(err instanceof TaskError);
  assert.equal(err.code, "aborted");
  const at = (await requestsOf(sim, sub.id)).length;
  await sleep(500); // several poll intervals
  assert.equal((await requestsOf(sim, sub.id)).length, at, "a request was sent after the abort");
  assert.ok(polls >= 1);
});

test("an already aborted signal rejects at once and sends nothing", async () => {
  const client = clientFor(sim, "apixo");
  const sub = await client.submit(requestFor("apixo", { prompt: "p", _sim: { queue_ms: 5000, run_ms: 5000 } }));
  const before = (await requestsOf(sim, sub.id)).length;
  const err = await rejection(client.wait(sub.id, { signal: AbortSignal.abort() }));
  assert.equal(err.code, "aborted");
  await sleep(200);
  assert.equal((await requestsOf(sim, sub.id)).length, before);
});

test("abort during a slow status request aborts the in-flight fetch", async () => {
  const client = clientFor(sim, "apixo");
  const sub = await client.submit(requestFor("apixo", {
    prompt: "p", _sim: { queue_ms: 5000, run_ms: 5000, faults: [{ on: "status", kind: "slow", delay_ms: 3000, times: 5 }] },
  }));
  let aborted = false;
  let statusSent;
  const sent = new Promise((r) => { statusSent = r; });
  const myFetch = (url, init) => {
    init.signal?.addEventListener("abort", () => { aborted = true; });
    statusSent();
    return fetch(url, init);
  };
  const ctrl = new AbortController();
  const waiting = clientFor(sim, "apixo", { fetch: myFetch }).wait(sub.id, { model: "sim-fast", signal: ctrl.signal });
  await sent; // the first status request is now hanging in the simulator (3 s)
  ctrl.abort();
  assert.equal((await rejection(waiting)).code, "aborted");
  assert.ok(aborted, "the in-flight fetch was not aborted");
  void client;
});

test("wait_timeout: our own timeoutMs ran out, with the last update", async () => {
  const client = clientFor(sim, "mirako");
  const sub = await client.submit(requestFor("mirako", { prompt: "p", _sim: { queue_ms: 5000, run_ms: 5000 } }));
  const err = await rejection(client.wait(sub.id, { timeoutMs: 250 }));
  assert.ok(err instanceof TaskError);
  assert.equal(err.code, "wait_timeout");
  assert.equal(err.taskId, sub.id);
  assert.ok(["queued", "running"].includes(err.update?.state), JSON.stringify(err.update));
});

describe("transient answers are retried inside wait", () => {
  for (const kind of ["429", "429-date", "500", "502", "503", "504"]) {
    test(kind, async () => {
      const client = clientFor(sim, "queue");
      const done = await client.run(requestFor("queue", {
        prompt: "p", _sim: { queue_ms: 20, run_ms: 20, faults: [{ on: "status", kind, times: 2, retry_after_s: 0 }] },
      }));
      assert.equal(done.state, "succeeded");
      const statuses = (await requestsOf(sim, done.id)).filter((r) => r.route === "status").map((r) => r.status);
      const want = kind.startsWith("429") ? 429 : Number(kind);
      assert.equal(statuses.filter((s) => s === want).length, 2, `statuses: ${statuses}`);
    });
  }
});

test("a connection reset during status is retried", async () => {
  const client = clientFor(sim, "mindproxy");
  const done = await client.run(requestFor("mindproxy", {
    prompt: "p", _sim: { queue_ms: 20, run_ms: 20, faults: [{ on: "status", kind: "reset", times: 1 }] },
  }));
  assert.equal(done.state, "succeeded");
});

test("a non-retryable HTTP answer is an http error with its status", async () => {
  const client = clientFor(sim, "apixo");
  const err = await rejection(client.status("no-such-task", { model: "sim-fast" }));
  assert.ok(err instanceof TaskError);
  assert.ok(["http", "bad_response"].includes(err.code), err.code);
  if (err.code === "http") assert.ok(err.httpStatus >= 400 && err.httpStatus < 500);
});

test("a dropped non-idempotent submit is not repeated: network", async () => {
  const client = clientFor(sim, "apixo");
  const ref = `drop-${Date.now()}`;
  const err = await rejection(client.submit(requestFor("apixo", {
    prompt: "p", _sim: { ref, faults: [{ on: "submit", kind: "drop", times: 1 }] },
  })));
  assert.ok(err instanceof TaskError);
  assert.equal(err.code, "network", err.message);
  const stats = await sim.stats(true);
  assert.equal(stats.refs?.[ref], 1, `the submit was sent ${stats.refs?.[ref]} times`);
});

test("a dropped idempotent submit (mindproxy) is retried and creates one task", async () => {
  const client = clientFor(sim, "mindproxy");
  const ref = `idem-${Date.now()}`;
  const done = await client.run(requestFor("mindproxy", {
    prompt: "p", _sim: { ref, queue_ms: 20, run_ms: 20, faults: [{ on: "submit", kind: "drop", times: 1 }] },
  }));
  assert.equal(done.state, "succeeded");
  const stats = await sim.stats(true);
  assert.equal(stats.refs?.[ref], 1);
});

describe("invalid arguments are TaskError invalid_argument naming the field", () => {
  // Never reached: every call below is refused before a request is made.
  const base = () => ({ provider: "apixo", baseUrl: "http://127.0.0.1:9/apixo" });
  const ctor = [
    ["no options", undefined, /options/],
    ["a string", "apixo", /options/],
    ["unknown provider", { ...base(), provider: "nope" }, /provider/],
    ["provider a number", { ...base(), provider: 3 }, /provider/],
    ["missing baseUrl", { provider: "apixo" }, /baseUrl/],
    ["relative baseUrl", { ...base(), baseUrl: "/api" }, /baseUrl/],
    ["baseUrl a number", { ...base(), baseUrl: 5 }, /baseUrl/],
    ["apiKey an object", { ...base(), apiKey: {} }, /apiKey/],
    ["headers an array", { ...base(), headers: ["x"] }, /headers/],
    ["a header not a string", { ...base(), headers: { "x-a": 1 } }, /headers/],
    ["poll.jitter 2", { ...base(), poll: { jitter: 2 } }, /jitter/],
    ["poll.maxRetries 1.5", { ...base(), poll: { maxRetries: 1.5 } }, /maxRetries.*whole number/],
    ["poll.timeoutMs NaN", { ...base(), poll: { timeoutMs: NaN } }, /timeoutMs/],
    ["poll.initialDelayMs a string", { ...base(), poll: { initialDelayMs: "1s" } }, /poll/],
    ["fetch not a function", { ...base(), fetch: 1 }, /fetch/],
    ["store unknown", { ...base(), store: "disk" }, /store/],
    ["store without list", { ...base(), store: { put() {}, delete() {} } }, /list/],
    ["localStorage in Node", { ...base(), store: "localStorage" }, /localStorage/],
  ];
  for (const [name, opts, field] of ctor) {
    test(`constructor: ${name}`, () => {
      assert.throws(() => new TaskClient(opts), (e) => {
        assert.ok(e instanceof TaskError, String(e));
        assert.equal(e.code, "invalid_argument");
        assert.match(e.message, field);
        return true;
      });
    });
  }

  const calls = [
    ["submit without input", (c) => c.submit({ model: "sim-fast" }), /input/],
    ["submit not an object", (c) => c.submit(null), /req/],
    ["submit input an array", (c) => c.submit({ model: "m", input: [1] }), /input/],
    ["submit webhook without url", (c) => c.submit({ model: "m", input: {}, webhook: {} }), /webhook\.url/],
    ["submit model a number", (c) => c.submit({ model: 1, input: {} }), /model/],
    ["wait with an empty id", (c) => c.wait(""), /id/],
    ["wait with a number id", (c) => c.wait(42), /id/],
    ["wait with a bad signal", (c) => c.wait("x", { signal: {} }), /signal/],
    ["wait with onUpdate not a function", (c) => c.wait("x", { onUpdate: 1 }), /onUpdate/],
    ["wait with timeoutMs -1", (c) => c.wait("x", { model: "m", timeoutMs: -1 }), /timeoutMs/],
    ["status without id", (c) => c.status(), /id/],
    ["cancel with reason a number", (c) => c.cancel("x", 5), /reason/],
    ["events with limit -1", (c) => c.events("x", { limit: -1 }), /limit/],
    // `..` as a path segment would leave the route (the URL parser resolves it).
    ["status of the id `..` (mindproxy: the id is a path segment)", () => new TaskClient({ ...base(), provider: "mindproxy" }).status(".."), /`id`.*`\.\.`/],
    ["status of the id `.` (mindproxy)", () => new TaskClient({ ...base(), provider: "mindproxy" }).status("."), /`id`/],
    ["deliver with an empty id", async (c) => c.deliver({ id: "", state: "succeeded", rawStatus: "" }), /update\.id/],
  ];
  for (const [name, call, field] of calls) {
    test(name, async () => {
      const c = new TaskClient(base());
      const err = await rejection(call(c));
      assert.ok(err instanceof TaskError, String(err));
      assert.equal(err.code, "invalid_argument");
      assert.match(err.message, field);
    });
  }
});

test("hostile inputs never panic", async () => {
  const c = new TaskClient({ provider: "apixo", baseUrl: sim.baseUrl("apixo"), apiKey: sim.apiKey, poll: { initialDelayMs: 20, maxDelayMs: 100, timeoutMs: 1500 } });
  const weird = [undefined, null, 0, -1, NaN, Infinity, "", "\u0000", {}, [], () => {}, Symbol("s"), 10n,
    { input: { a: 10n } }, { input: { toJSON() { throw new Error("x"); } } }, new Proxy({}, { get() { throw new Error("trap"); } })];
  for (const w of weird) {
    for (const call of [() => c.submit(w), () => c.status(w), () => c.wait(w, w), () => c.cancel(w, w, w), () => c.events(w, w), () => c.run(w, w)]) {
      let p;
      try { p = call(); } catch (e) { assert.ok(!(e instanceof WebAssembly.RuntimeError), String(e)); continue; }
      const r = await Promise.race([p.then(() => "ok", (e) => e), sleep(3000).then(() => "pending")]);
      assert.ok(!(r instanceof WebAssembly.RuntimeError), `panic: ${r}`);
    }
  }
  // The client still works afterwards.
  const done = await clientFor(sim, "apixo").run(requestFor("apixo", { prompt: "p", _sim: { queue_ms: 10, run_ms: 10 } }));
  assert.equal(done.state, "succeeded");
});

test("requestTimeoutMs aborts a hanging status request, which is then retried", async () => {
  const client = clientFor(sim, "apixo", { poll: { initialDelayMs: 20, maxDelayMs: 100, jitter: 0, timeoutMs: 20_000, requestTimeoutMs: 300 } });
  let timedOut = 0;
  const seen = clientFor(sim, "apixo", {
    poll: { initialDelayMs: 20, maxDelayMs: 100, jitter: 0, timeoutMs: 20_000, requestTimeoutMs: 300 },
    fetch: (url, init) => {
      init.signal?.addEventListener("abort", () => { timedOut++; });
      return fetch(url, init);
    },
  });
  const sub = await client.submit(requestFor("apixo", {
    prompt: "p", _sim: { queue_ms: 20, run_ms: 20, faults: [{ on: "status", kind: "slow", delay_ms: 5000, times: 1 }] },
  }));
  const done = await seen.wait(sub.id, { model: "sim-fast" });
  assert.equal(done.state, "succeeded");
  assert.equal(timedOut, 1, "exactly the hanging request was aborted");
});

test("durations past setTimeout's 32-bit range (up to the one year allowed) do not fire at once", async () => {
  // requestTimeoutMs and timeoutMs of 30 days: each request's timer overflowed to 1 ms, so
  // every request "timed out" and the call ended with network after its retries.
  const month = 30 * 24 * 3600 * 1000;
  const client = clientFor(sim, "apixo", { poll: { initialDelayMs: 20, maxDelayMs: 100, jitter: 0, timeoutMs: month, requestTimeoutMs: month, maxRetries: 2 } });
  const sub = await client.submit(requestFor("apixo", {
    prompt: "p", _sim: { queue_ms: 20, run_ms: 20, faults: [{ on: "status", kind: "slow", delay_ms: 50, times: 10 }] },
  }));
  const st = await client.status(sub.id, { model: "sim-fast" });
  assert.ok(["queued", "running", "succeeded"].includes(st.state), st.state);
  assert.equal((await client.wait(sub.id, { model: "sim-fast" })).state, "succeeded");
});

test("run() refuses bad wait options before submitting anything", async () => {
  const client = clientFor(sim, "apixo");
  const ref = `run-bad-opts-${Date.now()}`;
  const err = await rejection(client.run(requestFor("apixo", { prompt: "p", _sim: { ref } }), { timeoutMs: "soon" }));
  assert.equal(err.code, "invalid_argument");
  assert.match(err.message, /timeoutMs/);
  assert.equal((await sim.stats(true)).refs?.[ref], undefined, "a task was submitted");
});
