// The package in Deno: spawns `deno run` on deno-app.mjs (bounded by a timeout) and checks
// the scenario's summary.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import path from "node:path";
import { startSim } from "../support/sim.mjs";
import { expected } from "./scenario.mjs";
import { root } from "./paths.mjs";

const run = promisify(execFile);
let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.stop(); });

/** Runs a script with the npm-installed deno against the simulator; resolves its stdout. */
export async function denoRun(script, args) {
  const deno = path.join(root, "node_modules/.bin/deno");
  const { stdout } = await run(deno, ["run", "--quiet", "--no-config", "--node-modules-dir=manual", "--allow-net=127.0.0.1", "--allow-read", script, ...args], {
    cwd: root,
    timeout: 60_000,
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  });
  return stdout;
}

test("tasklane runs a task in Deno", async () => {
  const out = await denoRun(path.join(root, "tests/js/runtimes/deno-app.mjs"), [sim.url]);
  assert.deepEqual(JSON.parse(out.trim().split("\n").pop()), expected);
});
