// The package as users import it, in Node, against the simulator: every dialect runs a
// task to success; every terminal state maps to its TaskError code; results, cancel,
// events, watch, onUpdate, stores and a user-defined fifth provider.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { TaskClient, TaskError, profiles, ready } from "tasklane";
import { startSim } from "./support/sim.mjs";
import { clientFor, requestFor, rejection, requestsOf } from "./support/client.mjs";

let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.stop(); });

const DIALECTS = ["mirako", "apixo", "mindproxy", "queue"];
const quick = (extra = {}) => ({ queue_ms: 30, run_ms: 60, ...extra });

test("the package is ready on import and exports the API", async () => {
  await ready;
  assert.equal(typeof TaskClient, "function");
  assert.ok(TaskError.prototype instanceof Error);
  assert.deepEqual(Object.keys(profiles).sort(), ["apixo", "mindproxy", "mirako", "queue"]);
  assert.equal(profiles.apixo.name, "apixo");
});

describe("run succeeds in every dialect", () => {
  for (const dialect of DIALECTS) {
    test(dialect, async () => {
      const client = clientFor(sim, dialect);
      const states = [];
      const done = await client.run(requestFor(dialect, { prompt: "a red fox", _sim: quick() }), {
        onUpdate: (u) => states.push(u.state),
      });
      assert.equal(done.state, "succeeded");
      assert.equal(typeof done.id, "string");
      assert.equal(typeof done.rawStatus, "string");
      assert.ok(done.outputs?.length >= 1, `outputs: ${JSON.stringify(done)}`);
      for (const o of done.outputs) {
        assert.match(o.url, /^(https?:|data:)/);
        assert.ok(["image", "video", "audio", "file"].includes(o.kind));
      }
      assert.ok(states.length >= 1, "onUpdate was called");
      assert.equal(states.at(-1), "succeeded");
      for (const s of states) assert.ok(["queued", "running", "succeeded"].includes(s), s);
    });
  }
});

test("submit resolves with a queued update and status() reads it", async () => {
  const client = clientFor(sim, "apixo");
  const sub = await client.submit(requestFor("apixo", { prompt: "p", _sim: { queue_ms: 2000, run_ms: 2000 } }));
  assert.equal(sub.state, "queued");
  assert.ok(sub.id);
  const st = await client.status(sub.id);
  assert.equal(st.id, sub.id);
  assert.ok(["queued", "running"].includes(st.state));
  assert.equal(st.rawStatus, st.raw?.data?.state ?? st.rawStatus);
});

describe("every terminal state rejects with the right TaskError code", () => {
  const cases = [
    ["mirako", "failed", "failed"], ["mirako", "canceled", "canceled"], ["mirako", "timed_out", "timed_out"],
    ["apixo", "failed", "failed"],
    ["mindproxy", "failed", "failed"], ["mindproxy", "canceled", "canceled"], ["mindproxy", "expired", "timed_out"],
    ["mindproxy", "refunded", "failed"],
    ["queue", "INFERENCE_FAILURE", "failed"], ["queue", "CANCELED", "canceled"], ["queue", "INFERENCE_TIMEOUT", "timed_out"],
    ["queue", "CONTENT_BLOCKED", "failed"],
  ];
  for (const [dialect, outcome, code] of cases) {
    test(`${dialect} ${outcome} → ${code}`, async () => {
      const client = clientFor(sim, dialect);
      const sub = await client.submit(requestFor(dialect, { prompt: "p", _sim: quick({ outcome }) }));
      const err = await rejection(client.wait(sub.id));
      assert.ok(err instanceof TaskError, `not a TaskError: ${err?.stack ?? err}`);
      assert.ok(err instanceof Error);
      assert.equal(err.name, "TaskError");
      assert.equal(err.code, code, err.message);
      assert.equal(err.taskId, sub.id);
      assert.equal(err.update?.state, code);
      assert.equal(err.update?.id, sub.id);
      if (outcome === "refunded") assert.equal(err.update.error?.code, "REFUNDED");
      if (dialect === "queue") assert.equal(err.update.error?.code, outcome);
    });
  }
});

test("queue: the result comes from response_url", async () => {
  const client = clientFor(sim, "queue");
  const done = await client.run(requestFor("queue", { prompt: "p", _sim: quick() }));
  assert.equal(done.state, "succeeded");
  assert.ok(done.outputs.length >= 1);
  const routes = (await requestsOf(sim, done.id)).map((r) => r.route);
  assert.ok(routes.includes("result"), `routes: ${routes}`);
});

test("mindproxy: cancel, then events, then wait rejects canceled", async () => {
  const client = clientFor(sim, "mindproxy");
  const sub = await client.submit(requestFor("mindproxy", { prompt: "slow", _sim: { queue_ms: 3000, run_ms: 3000 } }));
  const canceled = await client.cancel(sub.id, "user changed their mind");
  assert.equal(canceled.id, sub.id);
  assert.equal(canceled.state, "canceled");
  const events = await client.events(sub.id, { limit: 10, offset: 0 });
  assert.ok(Array.isArray(events) && events.length >= 1, JSON.stringify(events));
  for (const e of events) assert.ok(e.raw !== undefined);
  assert.ok(events.some((e) => e.state === "canceled" || e.rawStatus === "6"), JSON.stringify(events));
  const err = await rejection(client.wait(sub.id));
  assert.equal(err.code, "canceled");
});

test("queue: cancel a queued request", async () => {
  const client = clientFor(sim, "queue");
  const sub = await client.submit(requestFor("queue", { prompt: "slow", _sim: { queue_ms: 3000, run_ms: 3000 } }));
  await client.cancel(sub.id);
  const err = await rejection(client.wait(sub.id));
  assert.equal(err.code, "canceled", err.message);
  const routes = (await requestsOf(sim, sub.id)).map((r) => r.route);
  assert.ok(routes.includes("cancel"), `routes: ${routes}`);
});

for (const dialect of ["queue", "mindproxy"]) {
  test(`${dialect}: cancel() of a task that already ended resolves with that end (the vendor refuses the cancel)`, async () => {
    const client = clientFor(sim, dialect);
    const done = await client.run(requestFor(dialect, { prompt: "p", _sim: quick() }));
    const u = await client.cancel(done.id);
    assert.equal(u.id, done.id);
    assert.equal(u.state, "succeeded");
    assert.ok(u.outputs?.length >= 1, JSON.stringify(u));
    const cancels = (await requestsOf(sim, done.id)).filter((r) => r.route === "cancel");
    assert.deepEqual(cancels.map((r) => r.status), [dialect === "queue" ? 400 : 409]);
  });
}

test("apixo has no cancel or events: unsupported", async () => {
  const client = clientFor(sim, "apixo");
  const sub = await client.submit(requestFor("apixo", { prompt: "p", _sim: quick() }));
  const err = await rejection(client.cancel(sub.id));
  assert.ok(err instanceof TaskError);
  assert.equal(err.code, "unsupported");
  assert.equal((await rejection(client.events(sub.id))).code, "unsupported");
});

test("watch yields every change and ends at the terminal update", async () => {
  const client = clientFor(sim, "mindproxy");
  const sub = await client.submit(requestFor("mindproxy", { prompt: "p", _sim: { queue_ms: 150, run_ms: 150 } }));
  const seen = [];
  for await (const u of client.watch(sub.id)) seen.push(u.state);
  assert.equal(seen.at(-1), "succeeded");
  assert.ok(seen.includes("running"), `seen: ${seen}`);
  for (let i = 1; i < seen.length; i++) {
    const order = ["queued", "running", "succeeded"];
    assert.ok(order.indexOf(seen[i]) >= order.indexOf(seen[i - 1]), `out of order: ${seen}`);
  }
});

test("watch of a failing task yields the failed update, then ends", async () => {
  const client = clientFor(sim, "apixo");
  const sub = await client.submit(requestFor("apixo", { prompt: "p", _sim: quick({ outcome: "failed" }) }));
  const seen = [];
  for await (const u of client.watch(sub.id)) seen.push(u);
  assert.equal(seen.at(-1).state, "failed");
});

test("breaking out of watch stops polling", async () => {
  const client = clientFor(sim, "apixo");
  const sub = await client.submit(requestFor("apixo", { prompt: "p", _sim: { queue_ms: 5000, run_ms: 5000 } }));
  for await (const u of client.watch(sub.id)) { assert.equal(u.state, "queued"); break; }
  const before = (await requestsOf(sim, sub.id)).length;
  await new Promise((r) => setTimeout(r, 400));
  assert.equal((await requestsOf(sim, sub.id)).length, before, "requests after the iterator was closed");
});

test("watch: a throwing onUpdate is logged and loses the iterator no update", async () => {
  const client = clientFor(sim, "queue");
  const sub = await client.submit(requestFor("queue", { prompt: "p", _sim: quick() }));
  const origError = console.error;
  const logged = [];
  console.error = (...a) => { logged.push(a); };
  const seen = [];
  let calls = 0;
  try {
    for await (const u of client.watch(sub.id, { onUpdate: () => { calls += 1; throw new Error("user bug"); } })) seen.push(u.state);
  } finally {
    console.error = origError;
  }
  assert.equal(seen.at(-1), "succeeded", `seen: ${seen}`);
  assert.equal(calls, seen.length, "onUpdate was still called with each update");
  assert.ok(logged.length >= 1, "the throw was reported");
});

test("watch: bad options are invalid_argument at the first next(), as for wait, and send nothing", async () => {
  const client = clientFor(sim, "queue");
  const sub = await client.submit(requestFor("queue", { prompt: "p", _sim: quick() }));
  for (const [opts, name] of [[{ onUpdate: "nope" }, /onUpdate/], [{ signal: "nope" }, /signal/], ["nope", /opts/], [{ timeoutMs: -1 }, /timeoutMs/]]) {
    const before = (await requestsOf(sim, sub.id)).length;
    const it = client.watch(sub.id, opts)[Symbol.asyncIterator]();
    const e = await rejection(it.next());
    assert.equal(e.name, "TaskError", `${JSON.stringify(opts)}: ${e}`);
    assert.equal(e.code, "invalid_argument");
    assert.match(e.message, name);
    assert.deepEqual(await it.next(), { done: true, value: undefined });
    assert.equal((await requestsOf(sim, sub.id)).length, before, "no request for a refused watch");
  }
  await client.wait(sub.id);
});

test("a fifth provider defined in JavaScript as a profile object", async () => {
  const acme = { ...structuredClone(profiles.apixo), name: "acme" };
  const client = new TaskClient({ provider: acme, baseUrl: sim.baseUrl("apixo"), apiKey: sim.apiKey, poll: { initialDelayMs: 20, maxDelayMs: 100 } });
  const done = await client.run({ model: "sim-fast", input: { prompt: "p", _sim: quick() } });
  assert.equal(done.state, "succeeded");
  assert.ok(done.outputs.length >= 1);
});

test("a broken profile object is an invalid_argument naming provider", () => {
  const broken = { ...structuredClone(profiles.apixo), status: 42 };
  assert.throws(() => new TaskClient({ provider: broken, baseUrl: sim.baseUrl("apixo") }),
    (e) => e instanceof TaskError && e.code === "invalid_argument" && /provider/.test(e.message));
});

test("a profile whose status or result route cannot be built is refused at submit, before the task exists", async () => {
  // Each was submitted (created and billed at the vendor); only the wait found the typo.
  const edits = [
    [(p) => { p.status.route.path = "/api/v1/statusTask/{modle}?taskId={id}"; }, /`modle`/],
    [(p) => { p.status.route.path = "/api/v1/statusTask/{model?taskId={id}"; }, /`provider`.*unclosed placeholder/],
    [(p) => { p.status.route.path = ""; }, /statusUrl/],
    [(p) => { p.result = { route: { method: "GET", path: "/api/v1/result/{taskid}" }, outputs: [] }; }, /`taskid`/],
  ];
  for (const [edit, message] of edits) {
    const profile = { ...structuredClone(profiles.apixo), name: "acme" };
    edit(profile);
    let calls = 0;
    const client = new TaskClient({ provider: profile, baseUrl: sim.baseUrl("apixo"), apiKey: sim.apiKey, fetch: (url, init) => { calls++; return fetch(url, init); } });
    const err = await rejection(client.run({ model: "sim-fast", input: { prompt: "p" } }));
    assert.ok(err instanceof TaskError && err.code === "invalid_argument", String(err));
    assert.match(err.message, message);
    assert.equal(calls, 0, "nothing may be submitted");
  }
  // A route without a path that waits for a URL from the submit answer is fine.
  const queueLike = { ...structuredClone(profiles.queue), name: "acme-queue" };
  queueLike.status.route.path = "";
  const client = new TaskClient({ provider: queueLike, baseUrl: sim.baseUrl("queue"), apiKey: sim.apiKey, poll: { initialDelayMs: 20, maxDelayMs: 100, jitter: 0 } });
  assert.equal((await client.run(requestFor("queue", { prompt: "p", _sim: quick() }))).state, "succeeded");
});

test("the fetch option is used for every request", async () => {
  let calls = 0;
  const client = clientFor(sim, "apixo", { fetch: (url, init) => { calls++; return fetch(url, init); } });
  await client.run(requestFor("apixo", { prompt: "p", _sim: quick() }));
  assert.ok(calls >= 2, `calls: ${calls}`);
});

test("the key and headers go only to baseUrl's origin, not to a status/response/cancel URL on another host", async () => {
  const seen = [];
  const elsewhere = "https://elsewhere.example";
  const client = clientFor(sim, "queue", {
    headers: { "x-app-session": "s3cret" },
    fetch: async (url, init) => {
      const h = new Headers(init.headers);
      seen.push({ url, authorization: h.get("authorization"), session: h.get("x-app-session") });
      if (url.startsWith(elsewhere)) return Response.json({ error: "captured" }, { status: 401 });
      const res = await fetch(url, init);
      if (init.method !== "POST") return res;
      // The submit's answer points at another host (a vendor gone wrong, a proxy that did
      // not rewrite its URLs, a tampered store record).
      const body = await res.json();
      for (const k of ["status_url", "response_url", "cancel_url"]) body[k] = `${elsewhere}/${k}`;
      return Response.json(body, { status: res.status });
    },
  });
  const done = await client.run(requestFor("queue", { prompt: "p", _sim: quick() }));
  assert.equal(done.state, "succeeded");
  const queued = await client.submit(requestFor("queue", { prompt: "p", _sim: { queue_ms: 5000 } }));
  await rejection(client.cancel(queued.id));
  const away = seen.filter((r) => r.url.startsWith(elsewhere));
  assert.ok(seen.some((r) => r.url.startsWith(sim.url) && r.authorization === `Bearer ${sim.apiKey}` && r.session === "s3cret"));
  assert.deepEqual(away.map((r) => [r.url, r.authorization, r.session]), [[`${elsewhere}/cancel_url`, null, null]]);
});

test("headers and apiKey reach the provider; a wrong key is an http error", async () => {
  const client = new TaskClient({ provider: "apixo", baseUrl: sim.baseUrl("apixo"), apiKey: "wrong" });
  const err = await rejection(client.submit(requestFor("apixo", { prompt: "p" })));
  assert.equal(err.code, "http");
  assert.equal(err.httpStatus, 401);
});

test("a custom TaskStore: put on submit, pending(), resume() from a new client, delete at the end", async () => {
  const records = new Map();
  const log = [];
  const store = {
    put: async (id, r) => { log.push(["put", id]); records.set(id, structuredClone(r)); },
    delete: async (id) => { log.push(["delete", id]); records.delete(id); },
    list: async () => [...records.values()],
  };
  const first = clientFor(sim, "queue", { store });
  const sub = await first.submit(requestFor("queue", { prompt: "p", _sim: { queue_ms: 200, run_ms: 200 } }));
  assert.deepEqual(await first.pending(), [sub.id]);
  first.free(); // the "page reload"
  const second = clientFor(sim, "queue", { store });
  assert.deepEqual(await second.pending(), [sub.id]);
  const ends = await second.resume();
  assert.equal(ends.length, 1);
  assert.equal(ends[0].id, sub.id);
  assert.equal(ends[0].state, "succeeded");
  assert.deepEqual(await second.pending(), []);
  assert.ok(log.some(([op]) => op === "delete"), JSON.stringify(log));
});

/** A synchronous TaskStore over a Map, with the Map to look into. */
function mapStore() {
  const records = new Map();
  const store = {
    put: (id, r) => { records.set(id, structuredClone(r)); },
    delete: (id) => { records.delete(id); },
    list: () => [...records.values()],
  };
  return { records, store };
}

test("resume() settles every wait: one task's wait stopping without an update loses no other update", async () => {
  const { records, store } = mapStore();
  const first = clientFor(sim, "queue", { store });
  const sub = await first.submit(requestFor("queue", { prompt: "p", _sim: { queue_ms: 100, run_ms: 300 } }));
  // A record for a task the vendor does not know: its status answers 404, before any update.
  const ghost = { ...records.get(sub.id), id: "no-such-task" };
  delete ghost.statusUrl; delete ghost.responseUrl; delete ghost.cancelUrl;
  records.set("no-such-task", ghost);
  first.free();
  const second = clientFor(sim, "queue", { store });
  assert.deepEqual((await second.pending()).sort(), ["no-such-task", sub.id].sort());
  const err = await rejection(second.resume());
  assert.ok(err instanceof TaskError);
  assert.equal(err.code, "http");
  assert.equal(err.httpStatus, undefined, "the aggregate has no single answer");
  assert.equal(err.taskId, "no-such-task");
  assert.match(err.message, /1 of 2 resumed waits stopped before any update/);
  // The other task was followed to its end, not dropped when the ghost's wait stopped.
  assert.equal(err.updates.length, 1);
  assert.equal(err.updates[0].id, sub.id);
  assert.equal(err.updates[0].state, "succeeded");
  assert.equal(err.errors.length, 1);
  assert.ok(err.errors[0] instanceof TaskError);
  assert.equal(err.errors[0].taskId, "no-such-task");
  assert.equal(err.errors[0].httpStatus, 404);
  assert.deepEqual(await second.pending(), ["no-such-task"], "the stopped task stays pending");
});

test("a store shared by clients of two providers: each pending() and resume() keeps to its own tasks", async () => {
  const { records, store } = mapStore();
  const queue = clientFor(sim, "queue", { store });
  const apixo = clientFor(sim, "apixo", { store });
  const q = await queue.submit(requestFor("queue", { prompt: "q", _sim: { queue_ms: 50, run_ms: 150 } }));
  const a = await apixo.submit(requestFor("apixo", { prompt: "a", _sim: { queue_ms: 50, run_ms: 150 } }));
  // An entry the store holds that is no task record (another library's, or damaged).
  records.set("junk", { id: "junk", note: "not a task record" });
  const warnings = [];
  const warn = console.warn;
  console.warn = (...args) => warnings.push(args);
  try {
    assert.deepEqual(await queue.pending(), [q.id]);
    assert.deepEqual(await apixo.pending(), [a.id]);
    const ends = await queue.resume();
    assert.deepEqual(ends.map((u) => [u.id, u.state]), [[q.id, "succeeded"]]);
    assert.deepEqual(await apixo.pending(), [a.id], "the other provider's task is left alone");
    assert.deepEqual((await apixo.resume()).map((u) => [u.id, u.state]), [[a.id, "succeeded"]]);
  } finally {
    console.warn = warn;
  }
  assert.ok(warnings.length >= 1 && warnings.every(([m, e]) => /not a task record/.test(m) && e.id === "junk"), JSON.stringify(warnings));
  assert.deepEqual([...records.keys()].filter((k) => !k.startsWith("tasklane:estimates:")), ["junk"]);
});

test("a freed client's methods fail with TaskError invalid_argument, not wasm-bindgen's bare Error", async () => {
  const client = clientFor(sim, "queue");
  client.free();
  for (const call of [(c) => c.status("x", { endpoint: "a/b" }), (c) => c.wait("x"), (c) => c.pending(), (c) => c.resume()]) {
    const e = await rejection(call(client));
    assert.ok(e instanceof TaskError, String(e));
    assert.equal(e.code, "invalid_argument");
    assert.match(e.message, /was freed/);
  }
  assert.throws(() => client.deliver({ id: "x", state: "succeeded", rawStatus: "" }), { name: "TaskError", code: "invalid_argument" });
  assert.throws(() => client.watch("x"), { name: "TaskError", message: /TaskClient\.watch\(\): this client was freed/ });
  client.free(); // a second free() is harmless
});

test("the memory store forgets finished tasks", async () => {
  const client = clientFor(sim, "apixo");
  const sub = await client.submit(requestFor("apixo", { prompt: "p", _sim: quick() }));
  assert.deepEqual(await client.pending(), [sub.id]);
  await client.wait(sub.id);
  assert.deepEqual(await client.pending(), []);
});

test("watch: concurrent next() calls each get the next update, in order", async () => {
  const client = clientFor(sim, "queue");
  const sub = await client.submit(requestFor("queue", { prompt: "p", _sim: { queue_ms: 100, run_ms: 100 } }));
  const iterable = client.watch(sub.id);
  assert.equal(iterable[Symbol.asyncIterator](), iterable[Symbol.asyncIterator](), "one iterator per watch");
  const it = iterable[Symbol.asyncIterator]();
  const results = [];
  for (;;) {
    const [a, b] = await Promise.all([it.next(), it.next()]);
    results.push(a, b);
    if (a.done || b.done) break;
  }
  const values = results.filter((r) => !r.done).map((r) => r.value.state);
  assert.equal(values.at(-1), "succeeded", JSON.stringify(results));
  const firstDone = results.findIndex((r) => r.done);
  assert.ok(results.slice(firstDone).every((r) => r.done), "nothing after done");
});

test("without a fetch option, globalThis.fetch is looked up at each request (mocks installed later work)", async () => {
  const client = clientFor(sim, "apixo");
  const original = globalThis.fetch;
  let calls = 0;
  globalThis.fetch = (...a) => { calls++; return original(...a); };
  try {
    await client.run(requestFor("apixo", { prompt: "p", _sim: quick() }));
  } finally {
    globalThis.fetch = original;
  }
  assert.ok(calls >= 2, `calls: ${calls}`);
});

test("mirako: a base64 image becomes a data: URL with its MIME type", async () => {
  const done = await clientFor(sim, "mirako").run(requestFor("mirako", { prompt: "p", _sim: quick() }));
  assert.equal(done.outputs[0].kind, "image");
  assert.match(done.outputs[0].url, /^data:image\/png;base64,iVBORw0KGgo/);
});

test("mindproxy: a video output, and events paged with limit/offset", async () => {
  const client = clientFor(sim, "mindproxy");
  const done = await client.run({ taskType: "video", model: "sim-fast", input: { prompt: "p", _sim: quick({ output: "video" }) } });
  assert.deepEqual(done.outputs.map((o) => o.kind), ["video"]);
  const all = await client.events(done.id);
  assert.ok(all.length >= 3, JSON.stringify(all));
  const page = await client.events(done.id, { limit: 1, offset: 1 });
  assert.equal(page.length, 1);
  assert.deepEqual(page[0], all[1]);
});
