// Many tasks on one client (issue 6), end to end against the simulator: the per-host cap
// on status requests in flight holds under 1,000 concurrent waits (measured by a counting
// `fetch` option), and a 429 with Retry-After on one task pauses the host's polls for
// every task (proved with the simulator's request timestamps).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { TaskClient } from "tasklane";
import { startSim } from "./support/sim.mjs";
import { sleep } from "./support/client.mjs";

let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.stop(); });

/**
 * A fetch that counts the reads of a task — status polls and the result read, the GETs
 * the per-host budget covers — in flight until their body is read, as the client sees them.
 */
function countingFetch() {
  const c = { inFlight: 0, peak: 0, status: 0, reads: 0 };
  c.fetch = async (url, init) => {
    const isRead = (init?.method ?? "GET") === "GET";
    if (isRead) { c.reads++; c.peak = Math.max(c.peak, ++c.inFlight); }
    if (/\/status(\?|$)/.test(String(url))) c.status++;
    try {
      const r = await fetch(url, init);
      const body = await r.text();
      return new Response(body, { status: r.status, statusText: r.statusText, headers: r.headers });
    } finally {
      if (isRead) c.inFlight--;
    }
  };
  return c;
}

/** Submits `n` requests, at most 32 at a time; resolves the updates in order. */
async function submitMany(client, n, req) {
  const out = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < n) { const i = next++; out[i] = await client.submit(req(i)); }
  }));
  return out;
}

const poll = { initialDelayMs: 50, maxDelayMs: 200, jitter: 0.2, timeoutMs: 60_000 };

for (const [label, limits, cap] of [["the default cap (16)", undefined, 16], ["limits.maxInFlightPerHost: 5", { maxInFlightPerHost: 5 }, 5]]) {
  test(`1,000 concurrent waits never have more status/result reads in flight than ${label}`, async () => {
    await sim.reset();
    const counter = countingFetch();
    const client = new TaskClient({ provider: "queue", baseUrl: sim.baseUrl("queue"), apiKey: sim.apiKey, fetch: counter.fetch, poll, ...(limits ? { limits } : {}) });
    const subs = await submitMany(client, 1000, (i) => ({ endpoint: "fal-ai/many", input: { prompt: `t${i}`, _sim: { queue_ms: 100, run_ms: 800 + (i % 7) * 100 } } }));
    const done = await Promise.all(subs.map((u) => client.wait(u.id)));
    assert.equal(done.length, 1000);
    assert.ok(done.every((u) => u.state === "succeeded"), "every wait succeeded");
    assert.ok(counter.status >= 1000, `${counter.status} status requests`);
    assert.equal(counter.peak, cap, `peak ${counter.peak} reads in flight (cap ${cap}): reached and never exceeded`);
    // the simulator saw exactly the reads the fetch counted
    const stats = await sim.stats();
    const count = (route) => Object.values(stats.tasks).reduce((s, t) => s + t.requests.filter((r) => r.route === route).length, 0);
    assert.equal(count("status"), counter.status);
    assert.equal(count("status") + count("result"), counter.reads);
  });
}

test("a 429 with Retry-After on one task pauses the host's status requests for every task", async () => {
  await sim.reset();
  const client = new TaskClient({ provider: "queue", baseUrl: sim.baseUrl("queue"), apiKey: sim.apiKey, poll });
  // 100 tasks polling every 50–200 ms for ~8 s...
  const subs = await submitMany(client, 100, (i) => ({ endpoint: "fal-ai/busy", input: { prompt: `b${i}`, _sim: { queue_ms: 0, run_ms: 8000 } } }));
  const waits = subs.map((u) => client.wait(u.id));
  await sleep(1000);
  // ...then one more whose first status answer is a 429 asking for 3 s.
  const victim = await client.submit({ endpoint: "fal-ai/busy", input: { prompt: "v", _sim: { queue_ms: 0, run_ms: 2000, faults: [{ on: "status", kind: "429", times: 1, retry_after_s: 3 }] } } });
  const all = await Promise.all([...waits, client.wait(victim.id)]);
  assert.ok(all.every((u) => u.state === "succeeded"), "every task finished after the pause");

  const stats = await sim.stats();
  const r429 = stats.tasks[victim.id].requests.find((r) => r.status === 429);
  assert.ok(r429, "the victim's status got the 429");
  const t = r429.t_ms;
  const status = Object.values(stats.tasks).flatMap((task) => task.requests.filter((r) => r.route === "status").map((r) => r.t_ms));
  // Requests already on the wire when the 429 came back may land just after it; none
  // may start after that until Retry-After has passed.
  const during = status.filter((ms) => ms > t + 500 && ms < t + 2900);
  const beforeIt = status.filter((ms) => ms > t - 1000 && ms < t);
  const afterIt = status.filter((ms) => ms >= t + 3000);
  assert.ok(beforeIt.length >= 50, `${beforeIt.length} status requests in the second before the 429 (the host was busy)`);
  assert.deepEqual(during, [], "no status request of any task while the host was paused");
  assert.ok(afterIt.length >= 100, `${afterIt.length} status requests after the pause (polling resumed)`);
});
