// One client of the many-tasks benchmark, in its own Node process:
//   node bench/many/client.mjs SIM_URL tasklane|fal|replicate COUNT [PHASES]
// It submits COUNT tasks spread over the benchmark's models (bench/many/models.mjs), waits
// on all of them at once with the client's default polling, and prints one JSON line per
// phase: wall time, CPU seconds (process.cpuUsage over the phase), the process's peak RSS
// so far, and per task the resolution time (Date.now() when the wait's promise settled).
// tasklane runs two phases in the same client: "cold" (no per-model history) and then
// "warm" (history learned online in the cold phase). The simulator's stats for each phase
// are read by the parent (bench/many/bench.mjs), which resets it between phases.
import { TaskClient } from "tasklane";
import { createFalClient } from "@fal-ai/client";
import Replicate from "replicate";
import { MODELS, API_KEY } from "./models.mjs";
import { replicateShim } from "./replicate-shim.mjs";
// The same module instance as the package's (node_modules/tasklane links to pkg/): its
// initSync() returns the already-instantiated exports, whose memory we measure.
import { initSync } from "../../pkg/dist/tasklane.js";

/** tasklane's wasm linear memory in MiB (0 for the other clients). */
const wasmMiB = () => (which === "tasklane" ? initSync().memory.buffer.byteLength / 2 ** 20 : 0);

const [sim, which, countArg, phasesArg] = process.argv.slice(2);
const count = Number(countArg);
const phases = (phasesArg ?? "cold").split(",");
if (!sim || !which || !(count > 0)) {
  console.error("usage: client.mjs SIM_URL tasklane|fal|replicate COUNT [phase,phase]");
  process.exit(2);
}

/** Submits are not what is measured: at most this many are in flight at once. */
const SUBMIT_CONCURRENCY = 64;

/** The i-th task's endpoint (models round-robin). */
const endpointOf = (i) => MODELS[i % MODELS.length].endpoint;

/** Runs `submit(i)` for i < n with bounded concurrency; each result is handed to `onSubmitted`. */
async function submitAll(n, submit, onSubmitted) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      onSubmitted(i, await submit(i));
    }
  };
  await Promise.all(Array.from({ length: SUBMIT_CONCURRENCY }, worker));
}

/** A fetch for the JS clients that sends `https://queue.fal.run/...` to the simulator's queue dialect. */
function falFetch(input, init = {}) {
  const url = String(input instanceof Request ? input.url : input).replace("https://queue.fal.run/", `${sim}/queue/v1/queue/`);
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${API_KEY}`); // fal sends `Key <credentials>`; the simulator wants Bearer
  return fetch(url, { ...init, headers, mode: undefined });
}

/** Each client: `submit(i)` → a handle, `wait(handle)` → a promise settled when the task's result is in. */
function makeClient() {
  if (which === "tasklane") {
    // TASKLANE_CAP: a non-default limits.maxInFlightPerHost (bench.mjs --extra-cap).
    const cap = Number(process.env.TASKLANE_CAP) || undefined;
    const client = new TaskClient({ provider: "queue", baseUrl: `${sim}/queue`, apiKey: API_KEY, ...(cap ? { limits: { maxInFlightPerHost: cap } } : {}) });
    return {
      client,
      submit: (i) => client.submit({ endpoint: endpointOf(i), input: { prompt: `task ${i}` } }),
      wait: (u) => client.wait(u.id),
      id: (u) => u.id,
    };
  }
  if (which === "fal") {
    const fal = createFalClient({ credentials: "unused", fetch: falFetch, suppressLocalCredentialsWarning: true });
    return {
      // What fal.subscribe does (submit, subscribeToStatus at its default pollInterval, result),
      // split so the submits can be bounded like the others'.
      submit: (i) => fal.queue.submit(endpointOf(i), { input: { prompt: `task ${i}` } }).then((r) => ({ endpoint: endpointOf(i), id: r.request_id })),
      wait: async (h) => {
        await fal.queue.subscribeToStatus(h.endpoint, { requestId: h.id });
        return fal.queue.result(h.endpoint, { requestId: h.id });
      },
      id: (h) => h.id,
    };
  }
  if (which === "replicate") {
    const replicate = new Replicate({ auth: "unused", baseUrl: "https://api.replicate.invalid/v1", fetch: replicateShim(sim, API_KEY) });
    return {
      // replicate.run's own parts: predictions.create (no Prefer: wait) then replicate.wait at its default interval.
      submit: (i) => replicate.predictions.create({ model: endpointOf(i), input: { prompt: `task ${i}` } }),
      wait: (p) => replicate.wait(p, {}),
      id: (p) => p.id,
    };
  }
  throw new Error(`unknown client ${which}`);
}

// MEM_TRACE=1: sample process.memoryUsage() (and the wasm memory) 4× a second and print,
// on stderr, each component's peak and the breakdown at the RSS peak (a diagnostic only).
const memTrace = process.env.MEM_TRACE ? (() => {
  let peak = {}, atPeak = null;
  const sample = () => {
    const m = { ...process.memoryUsage(), wasm: wasmMiB() * 2 ** 20 };
    for (const k in m) peak[k] = Math.max(peak[k] ?? 0, m[k]);
    if (!atPeak || m.rss >= atPeak.rss) atPeak = m;
  };
  const timer = setInterval(sample, 250);
  timer.unref();
  const mib = (o) => Object.entries(o).map(([k, v]) => `${k} ${(v / 2 ** 20).toFixed(1)}`).join(", ");
  return (phase) => {
    sample();
    console.error(`mem ${phase}: peaks: ${mib(peak)}`);
    console.error(`mem ${phase}: at the RSS peak: ${mib(atPeak)}`);
    peak = {}; atPeak = null;
  };
})() : () => {};

const c = makeClient();
for (const phase of phases) {
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  // Lean on purpose (the process's peak RSS is what is measured): per task only its id
  // and two numbers in typed arrays, and a counter instead of an array of 10,000 promises.
  const ids = new Array(count);
  const resolvedAt = new Float64Array(count);
  const ok = new Uint8Array(count);
  let failures = 0;
  let left = count;
  let allSettled;
  const settled = new Promise((resolve) => { allSettled = resolve; });
  await submitAll(count, (i) => c.submit(i), (i, h) => {
    ids[i] = c.id(h);
    c.wait(h).then(
      () => { resolvedAt[i] = Date.now(); ok[i] = 1; if (--left === 0) allSettled(); },
      (e) => { resolvedAt[i] = Date.now(); failures++; if (failures <= 3) console.error(`${which}: wait failed: ${e?.code ?? ""} ${e?.message ?? e}`); if (--left === 0) allSettled(); },
    );
  });
  const submittedMs = Date.now() - t0;
  await settled;
  const cpu = process.cpuUsage(cpu0);
  memTrace(phase);
  const line = {
    client: which, phase, count, failures, submittedMs,
    wallMs: Date.now() - t0,
    cpuS: (cpu.user + cpu.system) / 1e6,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    heapMiB: process.memoryUsage().heapUsed / 2 ** 20,
    wasmMiB: wasmMiB(),
    tasks: ids.map((id, i) => [id, resolvedAt[i], ok[i]]),
  };
  process.stdout.write(JSON.stringify(line) + "\n");
  // The parent reads the simulator's stats for this phase and resets it, then says "go".
  await new Promise((resolve) => process.stdin.once("data", resolve));
}
process.exit(0);
