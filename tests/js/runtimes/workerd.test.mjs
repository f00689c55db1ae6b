// The package in workerd: bundles worker-app.mjs with esbuild using the `workerd`
// condition (as wrangler does, the .wasm stays an import), runs it in Miniflare and
// checks that the scenario gives the same summary as in Node.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, copyFile } from "node:fs/promises";
import path from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { startSim } from "../support/sim.mjs";
import { expected } from "./scenario.mjs";
import { pkgDir, outDir } from "./paths.mjs";

let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.stop(); });

/** Bundles `entry` for workerd into `dir`, the wasm beside it at ./dist/. */
export async function bundleForWorkerd(entry, dir) {
  await mkdir(path.join(dir, "dist"), { recursive: true });
  await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["*.wasm"],
    outfile: path.join(dir, "worker.js"),
    logLevel: "error",
  });
  await copyFile(path.join(pkgDir, "dist/tasklane_bg.wasm"), path.join(dir, "dist/tasklane_bg.wasm"));
  return path.join(dir, "worker.js");
}

test("tasklane runs a task in workerd (Miniflare)", async () => {
  const dir = outDir("workerd");
  const scriptPath = await bundleForWorkerd(new URL("./worker-app.mjs", import.meta.url).pathname, dir);
  const mf = new Miniflare({
    modules: true,
    scriptPath,
    modulesRoot: dir,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2025-01-01",
    bindings: { SIM_URL: sim.url },
  });
  try {
    const res = await mf.dispatchFetch("http://localhost/");
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body, expected);
  } finally {
    await mf.dispose();
  }
});
