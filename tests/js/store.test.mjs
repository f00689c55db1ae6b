// The durable task store keeps its promises (issue 6 item 3), in Node against the
// simulator: submit resolves only after an async store's put settled, a refused put is a
// TaskError{code: "store"} naming the task, a refused delete at the end does not fail the
// wait, store: "indexedDB" is refused where there is no IndexedDB, and the learned
// duration estimates reach a new client over the same store.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { TaskClient, TaskError } from "tasklane";
import { startSim } from "./support/sim.mjs";
import { clientFor, requestFor, rejection } from "./support/client.mjs";

let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.stop(); });

const quick = (extra = {}) => ({ queue_ms: 30, run_ms: 60, ...extra });

/** A Map-backed TaskStore; `hooks` replace its put/delete. */
function mapStore(hooks = {}) {
  const records = new Map();
  return {
    records,
    put: hooks.put ?? (async (id, r) => { records.set(id, structuredClone(r)); }),
    delete: hooks.delete ?? (async (id) => { records.delete(id); }),
    list: async () => [...records.values()],
  };
}

/** Collects console.warn calls while `fn` runs. */
async function warnings(fn) {
  const seen = [];
  const original = console.warn;
  console.warn = (...a) => seen.push(a.map(String).join(" "));
  try { await fn(); } finally { console.warn = original; }
  return seen;
}

for (const how of ["submit", "run"]) {
  test(`${how} resolves only after a slow async put has saved the task`, async () => {
    const saved = new Set();
    const store = mapStore({
      put: (id, r) => new Promise((resolve) => setTimeout(() => {
        store.records.set(id, structuredClone(r));
        saved.add(id);
        resolve();
      }, 200)),
    });
    const client = clientFor(sim, "queue", { store });
    const savedAtSubmit = [];
    const req = requestFor("queue", { prompt: "p", _sim: quick() });
    if (how === "submit") {
      const u = await client.submit(req);
      savedAtSubmit.push(saved.has(u.id));
      await client.wait(u.id);
    } else {
      // run's wait begins after its submit resolved: the first update sees the save done.
      await client.run(req, { onUpdate: (u) => savedAtSubmit.push(saved.has(u.id)) });
    }
    assert.equal(savedAtSubmit[0], true, "the put had finished when submit resolved");
  });
}

test("a put that rejects: submit rejects with TaskError{code: 'store'} naming the task it created", async () => {
  const store = mapStore({ put: async () => { throw new Error("KV is down"); } });
  const client = clientFor(sim, "queue", { store });
  const ref = "store-put-rejects";
  const err = await rejection(client.submit(requestFor("queue", { prompt: "p", _sim: quick({ ref }) })));
  assert.ok(err instanceof TaskError, String(err));
  assert.equal(err.code, "store");
  assert.match(err.taskId, /\S/);
  assert.ok(err.message.includes(err.taskId), err.message);
  assert.match(err.message, /KV is down/);
  assert.equal(err.update?.id, err.taskId);
  const stats = await sim.stats();
  assert.equal(stats.refs[ref], 1, "the task exists at the vendor");
  assert.ok(stats.tasks[err.taskId], "taskId is the vendor's id");
  // The task can still be followed by id.
  assert.equal((await client.wait(err.taskId)).state, "succeeded");
});

test("a put that throws synchronously: submit rejects with code 'store' and the task id", async () => {
  const store = mapStore({ put: () => { throw new Error("quota"); } });
  const client = clientFor(sim, "apixo", { store });
  const err = await rejection(client.submit(requestFor("apixo", { prompt: "p", _sim: quick() })));
  assert.equal(err.code, "store");
  assert.match(err.taskId, /\S/);
  assert.ok(err.message.includes(err.taskId), err.message);
});

test("a delete that rejects at the end: the wait still succeeds, one warning is logged", async () => {
  const store = mapStore({ delete: async () => { throw new Error("delete refused"); } });
  const client = clientFor(sim, "queue", { store });
  let done;
  const seen = await warnings(async () => {
    done = await client.run(requestFor("queue", { prompt: "p", _sim: quick() }));
    await new Promise((r) => setTimeout(r, 50)); // the rejection is reported asynchronously
  });
  assert.equal(done.state, "succeeded");
  const failed = seen.filter((w) => w.includes("delete refused"));
  assert.equal(failed.length, 1, JSON.stringify(seen));
});

test('store: "indexedDB" where the runtime has none is invalid_argument naming store', () => {
  assert.equal(typeof globalThis.indexedDB, "undefined");
  assert.throws(
    () => new TaskClient({ provider: "queue", baseUrl: sim.baseUrl("queue"), store: "indexedDB" }),
    (e) => e instanceof TaskError && e.code === "invalid_argument" && /`store`/.test(e.message) && /indexedDB/.test(e.message),
  );
});

test("learned durations persist in the store: a new client has etaMs on its first task's first update", async () => {
  const store = mapStore();
  const req = () => requestFor("queue", { prompt: "p", _sim: { queue_ms: 50, run_ms: 400 } }, "sim-eta");
  const a = clientFor(sim, "queue", { store });
  for (let i = 0; i < 3; i++) await a.run(req());
  a.free();
  const saved = store.records.get("tasklane:estimates:queue");
  assert.ok(saved?.estimates?.length >= 1, `estimates saved: ${JSON.stringify([...store.records.keys()])}`);

  const firstUpdate = async (client) => {
    const updates = [];
    const sub = await client.submit(req());
    await client.wait(sub.id, { onUpdate: (u) => updates.push(u) });
    return updates[0];
  };
  const b = clientFor(sim, "queue", { store });
  assert.deepEqual(await b.pending(), [], "the estimates record is not a pending task");
  const u = await firstUpdate(b);
  assert.equal(typeof u.etaMs, "number", JSON.stringify(u));
  // Without that history, a client has no etaMs at first.
  const fresh = await firstUpdate(clientFor(sim, "queue", { store: mapStore() }));
  assert.equal(fresh.etaMs, undefined, JSON.stringify(fresh));
});

test("clients of two providers sharing a store keep their learned durations apart", async () => {
  const store = mapStore();
  const q = clientFor(sim, "queue", { store });
  const a = clientFor(sim, "apixo", { store });
  const quickRun = { queue_ms: 30, run_ms: 200 };
  for (let i = 0; i < 2; i++) {
    await q.run(requestFor("queue", { prompt: "p", _sim: quickRun }, "sim-eta-q"));
    await a.run(requestFor("apixo", { prompt: "p", _sim: quickRun }, "sim-eta-a"));
  }
  const keys = (id) => store.records.get(id)?.estimates?.map((e) => e.key) ?? [];
  // Each provider's record survives the other's saves (one shared record was overwritten).
  assert.ok(keys("tasklane:estimates:queue").some((k) => k.includes("sim-eta-q")), JSON.stringify([...store.records]));
  assert.ok(keys("tasklane:estimates:apixo").some((k) => k.includes("sim-eta-a")), JSON.stringify([...store.records]));
  assert.ok(!keys("tasklane:estimates:queue").some((k) => k.includes("sim-eta-a")));
  assert.deepEqual(await q.pending(), [], "estimates records are not pending tasks");
  // A later queue client starts with the queue estimates, though apixo saved last.
  const updates = [];
  const q2 = clientFor(sim, "queue", { store });
  const sub = await q2.submit(requestFor("queue", { prompt: "p", _sim: quickRun }, "sim-eta-q"));
  await q2.wait(sub.id, { onUpdate: (u) => updates.push(u) });
  assert.equal(typeof updates[0].etaMs, "number", JSON.stringify(updates[0]));
});
