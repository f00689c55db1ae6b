// Issue 8, the bounded chaos run in `make test`: 500 tasks through ~20 % faults on every
// route of all four dialects, with aborted waits, deadlines, cancels, dropped clients
// resumed from their TaskStore and duplicated / out-of-order webhooks
// (bench/chaos/chaos.mjs; `make bench` runs it with 10,000 tasks). The driver runs in its
// own process so that "it exits by itself" proves no timer or socket was left behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TASKS = 500;
const seed = process.env.CHAOS_SEED ?? "8";

test(`chaos: ${TASKS} tasks, nothing lost, nothing billed twice`, { timeout: 115_000 }, async () => {
  const child = spawn(process.execPath, ["bench/chaos/chaos.mjs", String(TASKS), "--seed", seed, "--json"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "", err = "";
  child.stdout.on("data", (c) => { out += c; });
  child.stderr.on("data", (c) => { err += c; });
  // The run must end, and the process with it, on its own: a timer or socket left armed
  // would keep it alive (nothing in the driver calls process.exit).
  const killer = setTimeout(() => child.kill("SIGKILL"), 110_000);
  const [code, signal] = await new Promise((resolve) => child.once("exit", (c, s) => resolve([c, s])));
  clearTimeout(killer);
  assert.equal(signal, null, `the chaos process did not exit by itself (killed); stderr:\n${err.slice(-3000)}`);
  const line = out.trim().split("\n").at(-1);
  assert.ok(line?.startsWith("{"), `no JSON report; stderr:\n${err.slice(-3000)}`);
  const rep = JSON.parse(line);
  const why = `\n${rep.examples.slice(0, 15).join("\n")}`;

  // The zeros of the issue, each on its own so a failure names it.
  assert.equal(rep.wrongState, 0, "tasks ended in another state than the simulator decided" + why);
  assert.equal(rep.neverEnded, 0, "tasks never seen terminal (lost)" + why);
  assert.equal(rep.submitRejected - rep.submitRejectedExplained, 0, "unexplained submit rejections" + why);
  assert.equal(rep.unexplainedStops, 0, "waits rejected with an error no abort, deadline or fault explains" + why);
  assert.equal(rep.cancelUnexplained, 0, "cancel() outcomes that do not match the simulator" + why);
  assert.equal(rep.missingFromStore, 0, "tasks missing from the store before their end" + why);
  assert.equal(rep.pendingMismatch, 0, "pending() listed other tasks than those not yet ended" + why);
  assert.equal(rep.storeLeftovers, 0, "records left in the stores after every task ended" + why);
  assert.equal(rep.doubleSubmits, 0, "a submit created two tasks (refs > 1)" + why);
  assert.equal(rep.refsMismatch, 0, "the client's task id is not the simulator's task for its ref" + why);
  assert.equal(rep.requestsAfterStop, 0, "status requests after an abort or deadline" + why);
  assert.equal(rep.clientRequestsAfterStop, 0, "requests sent by a client after its abort or deadline" + why);
  assert.equal(rep.requestsAfterTerminal, 0, "status requests after the terminal state was seen" + why);
  assert.equal(rep.webhookWrong, 0, "webhook onUpdate did not see each terminal exactly once" + why);
  assert.equal(rep.unhandledRejections, 0, "unhandled promise rejections" + why);
  assert.equal(rep.panics, 0, "panics" + why);
  assert.equal(rep.consoleErrors, 0, "console errors or warnings" + why);
  assert.equal(rep.resumeErrors, 0, "resume() rejected" + why);
  assert.equal(rep.timersLeft, 0, `timers still armed at the end: ${rep.activeResources}`);
  assert.deepEqual(rep.failures, {});

  // The run exercised what it claims to (a run that tested nothing must not pass).
  assert.equal(rep.tasks, TASKS);
  assert.ok(rep.submitted >= TASKS * 0.6, `only ${rep.submitted} submits succeeded`);
  assert.ok(rep.faultShare >= 12 && rep.faultShare <= 28, `fault share ${rep.faultShare} %`);
  for (const k of ["aborted", "deadline", "dropped", "canceledTasks", "cancelUnsupported", "resumeRounds", "webhookTasks", "duplicateSubmits"]) {
    assert.ok(rep[k] > 0, `the run had no ${k}`);
  }
  assert.ok(Object.keys(rep.byState).length >= 4, `end states seen: ${JSON.stringify(rep.byState)}`);
  assert.equal(rep.webhookTerminalOnce, rep.webhookTasks);
});
