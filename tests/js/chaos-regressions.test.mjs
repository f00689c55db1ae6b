// Failures the chaos run (bench/chaos/chaos.mjs) found in the shell, each as a small
// deterministic test against the simulator.
import { test } from "node:test";
import assert from "node:assert/strict";
import { before, after } from "node:test";
import { startSim } from "./support/sim.mjs";
import { clientFor, requestFor } from "./support/client.mjs";

let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.stop(); });

// cancelOnTimeout: the wait timed out while the task was about to finish; the cancel's first
// try was refused (429), and by the retry the task had succeeded. The cancel read that end
// (and the client forgot the task, as it does at every end), but the wait still rejected
// `wait_timeout`: a paid, successful task whose result the user never saw and could not
// resume. The wait now settles as the end the cancel found.
for (const dialect of ["mindproxy", "queue"]) {
  test(`${dialect}: cancelOnTimeout that finds the task succeeded resolves with it`, async () => {
    const map = new Map();
    const store = { put: (id, r) => { map.set(id, r); }, delete: (id) => { map.delete(id); }, list: () => [...map.values()] };
    const client = clientFor(sim, dialect, { store });
    const sub = await client.submit(requestFor(dialect, {
      prompt: "p",
      _sim: { queue_ms: 0, run_ms: 600, faults: [{ on: "cancel", kind: "429", retry_after_s: 1, times: 1 }] },
    }));
    const done = await client.wait(sub.id, { timeoutMs: 250, cancelOnTimeout: true });
    assert.equal(done.state, "succeeded");
    assert.equal(done.id, sub.id);
    const st = (await sim.stats()).tasks[sub.id];
    assert.equal(st.state, "succeeded");
    assert.ok(st.requests.some((q) => q.route === "cancel" && q.status === 429), "the cancel's first try was refused");
    assert.deepEqual(await client.pending(), []);
  });
}
