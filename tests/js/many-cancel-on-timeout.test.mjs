// Cancel-on-timeout (issue 6): `wait(id, {timeoutMs, cancelOnTimeout: true})` that runs
// out of time cancels the task at the vendor, where the dialect can cancel, so it stops
// billing; the simulator's stats show the cancel. Without the option nothing is canceled,
// and a dialect without cancel keeps the plain `wait_timeout`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startSim } from "./support/sim.mjs";
import { clientFor, requestFor, rejection } from "./support/client.mjs";

let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.stop(); });

const long = { queue_ms: 0, run_ms: 30_000 };

for (const dialect of ["queue", "mindproxy"]) {
  test(`${dialect}: a wait that times out with cancelOnTimeout cancels the task at the vendor`, async () => {
    const client = clientFor(sim, dialect);
    const u = await client.submit(requestFor(dialect, { prompt: "slow", _sim: long }));
    const e = await rejection(client.wait(u.id, { timeoutMs: 400, cancelOnTimeout: true }));
    assert.equal(e.name, "TaskError");
    assert.equal(e.code, "wait_timeout");
    const t = (await sim.stats()).tasks[u.id];
    const cancels = t.requests.filter((r) => r.route === "cancel");
    assert.equal(cancels.length, 1, JSON.stringify(t.requests));
    assert.ok(cancels[0].status >= 200 && cancels[0].status < 300, `cancel answered ${cancels[0].status}`);
    assert.notEqual(t.canceled_at_ms, null, "the vendor task stopped");
    assert.equal(t.state, "canceled");
    // the task reached a terminal state: the store forgot it
    assert.deepEqual(await client.pending(), []);
  });

  test(`${dialect}: without cancelOnTimeout a timed-out wait leaves the task running`, async () => {
    const client = clientFor(sim, dialect);
    const u = await client.submit(requestFor(dialect, { prompt: "slow", _sim: long }));
    const e = await rejection(client.wait(u.id, { timeoutMs: 400 }));
    assert.equal(e.code, "wait_timeout");
    const t = (await sim.stats()).tasks[u.id];
    assert.equal(t.requests.filter((r) => r.route === "cancel").length, 0);
    assert.equal(t.canceled_at_ms, null);
    assert.deepEqual(await client.pending(), [u.id], "still pending, so resume() can pick it up");
  });
}

for (const dialect of ["queue", "mindproxy"]) {
  // The task ended between the wait's last poll and its deadline: the vendor refuses the
  // cancel as "already ended" (queue 400 ALREADY_COMPLETED, mindproxy 409 task_terminal) on
  // its first try. That end is read and settled, not hidden behind `wait_timeout`.
  test(`${dialect}: cancelOnTimeout whose cancel is refused because the task already ended settles as that end`, async () => {
    const client = clientFor(sim, dialect);
    const u = await client.submit(requestFor(dialect, { prompt: "quick", _sim: { queue_ms: 0, run_ms: 50 } }));
    // No poll falls before the deadline, so only the cancel can learn of the end.
    const poll = { initialDelayMs: 5_000, maxDelayMs: 5_000, adaptive: false };
    const done = await client.wait(u.id, { timeoutMs: 400, cancelOnTimeout: true, poll });
    assert.equal(done.state, "succeeded");
    assert.equal(done.id, u.id);
    assert.ok(done.outputs?.length > 0, "with its outputs");
    const t = (await sim.stats()).tasks[u.id];
    const cancels = t.requests.filter((r) => r.route === "cancel");
    assert.equal(cancels.length, 1, JSON.stringify(t.requests));
    assert.ok(cancels[0].status === 400 || cancels[0].status === 409, `cancel answered ${cancels[0].status}`);
    assert.equal(t.state, "succeeded");
    assert.deepEqual(await client.pending(), [], "the end was seen: the store forgot the task");
  });
}

test("resume({timeoutMs, cancelOnTimeout}) cancels every pending task it gives up on", async () => {
  const client = clientFor(sim, "queue");
  const a = await client.submit(requestFor("queue", { prompt: "a", _sim: long }));
  const b = await client.submit(requestFor("queue", { prompt: "b", _sim: long }));
  // resume reports each task's last update, a timed-out one included (it was running)
  const updates = await client.resume({ timeoutMs: 400, cancelOnTimeout: true });
  assert.deepEqual(updates.map((u) => [u.id, u.state]).sort(), [[a.id, "running"], [b.id, "running"]].sort());
  const s = await sim.stats();
  for (const id of [a.id, b.id]) assert.equal(s.tasks[id].state, "canceled", id);
});

test("apixo (no cancel): cancelOnTimeout still rejects with wait_timeout and sends no cancel", async () => {
  const client = clientFor(sim, "apixo");
  const u = await client.submit(requestFor("apixo", { prompt: "slow", _sim: long }));
  const e = await rejection(client.wait(u.id, { timeoutMs: 400, cancelOnTimeout: true }));
  assert.equal(e.code, "wait_timeout");
  const t = (await sim.stats()).tasks[u.id];
  assert.equal(t.requests.filter((r) => r.route === "cancel").length, 0);
});

test("cancelOnTimeout must be a boolean", async () => {
  const client = clientFor(sim, "queue");
  const e = await rejection(client.wait("x", { endpoint: "fal-ai/x", cancelOnTimeout: "yes" }));
  assert.equal(e.code, "invalid_argument");
  assert.match(e.message, /cancelOnTimeout/);
});
