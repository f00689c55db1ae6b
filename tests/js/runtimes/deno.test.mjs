// The package in Deno: `deno run` on deno-app.mjs (bare `tasklane` from node_modules, the
// `deno` condition) runs the scenario against the simulator; deno-subpaths-app.mjs does the
// same with `tasklane/client`, checks a signed delivery with `tasklane/webhook` and runs a
// task through `tasklane/proxy`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startSim } from "../support/sim.mjs";
import { expected } from "./scenario.mjs";
import { denoRun } from "./harness.mjs";

let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.stop(); });

test("tasklane runs a task in Deno", async () => {
  const out = await denoRun(new URL("./deno-app.mjs", import.meta.url).pathname, [sim.url]);
  assert.deepEqual(JSON.parse(out.trim().split("\n").pop()), expected);
});

test("tasklane/client, tasklane/webhook and tasklane/proxy work in Deno", async () => {
  const out = await denoRun(new URL("./deno-subpaths-app.mjs", import.meta.url).pathname, [sim.url]);
  const { client, webhook, proxy } = JSON.parse(out.trim().split("\n").pop());
  assert.deepEqual(client, expected);
  assert.deepEqual(webhook, { id: "d1", state: "succeeded", refused: [true, 401, "bad_signature"] });
  assert.deepEqual(proxy, { state: "succeeded", outputs: 1, isTaskError: true });
});
