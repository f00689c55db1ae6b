// The package in workerd: worker-app.mjs bundled with the `workerd` condition (the .wasm
// stays a CompiledWasm import) runs the scenario in Miniflare against the simulator.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startSim } from "../support/sim.mjs";
import { expected } from "./scenario.mjs";
import { outDir } from "./paths.mjs";
import { fetchFromWorker } from "./harness.mjs";

let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.stop(); });

test("tasklane runs a task in workerd (Miniflare)", async () => {
  const { status, body } = await fetchFromWorker(new URL("./worker-app.mjs", import.meta.url).pathname, outDir("workerd"), { SIM_URL: sim.url });
  assert.equal(status, 200, body);
  assert.deepEqual(JSON.parse(body), expected);
});
