// Starts a tasklane-sim process on a free 127.0.0.1 port for a test file, and stops it.
// Every JS test that needs the simulator uses this one helper.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Path of the simulator binary: $TASKLANE_SIM_BIN, else the debug build in target/. */
export const simBin = process.env.TASKLANE_SIM_BIN ?? path.join(root, "target/debug/tasklane-sim");

/**
 * Starts the simulator with extra CLI `args` and resolves once it listens.
 * Returns `{ url, baseUrl(dialect), apiKey, stats(), reset(), faults(rules), config(obj), stop() }`.
 */
export async function startSim(args = []) {
  const child = spawn(simBin, ["--addr", "127.0.0.1:0", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error("tasklane-sim did not start within 10 s")), 10_000);
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`tasklane-sim exited with ${code}`)); });
    // A missing binary is an "error" event (ENOENT), not an exit: name the fix.
    child.once("error", (e) => { clearTimeout(timer); reject(new Error(`cannot start ${simBin} (${e.code ?? e.message}); run \`make sim\` first`)); });
    child.stdout.on("data", (chunk) => {
      buf += chunk;
      const m = buf.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
  });
  child.stdout.resume();
  const apiKey = args.includes("--api-key") ? args[args.indexOf("--api-key") + 1] : "sim-key";
  const post = (p, body) => fetch(url + p, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) });
  return {
    url,
    apiKey,
    baseUrl: (dialect) => `${url}/${dialect}`,
    stats: async (summary = false) => (await fetch(`${url}/__sim/stats${summary ? "?summary=1" : ""}`)).json(),
    reset: () => post("/__sim/reset"),
    faults: (rules) => post("/__sim/faults", { rules }),
    config: (obj) => post("/__sim/config", obj),
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    }),
  };
}
