// Spawning the other runtimes from node:test: workerd through Miniflare (after an esbuild
// bundle with the `workerd` condition, as wrangler makes) and Deno (`deno run`, bounded).
import { mkdir, copyFile } from "node:fs/promises";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import path from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { packageWasmFiles, root } from "./paths.mjs";

const run = promisify(execFile);

/** Bundles `entry` for workerd into `dir/worker.js`, the wasm beside it at ./dist/ (an import). */
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
  for (const f of packageWasmFiles()) await copyFile(f, path.join(dir, "dist", path.basename(f)));
  return path.join(dir, "worker.js");
}

/**
 * Miniflare options for a Worker bundled by {@link bundleForWorkerd} into `dir`: both module
 * rules (without the ESModule rule `.js` is parsed as CommonJS; the .wasm is a CompiledWasm
 * import, as deployed Workers require), plus `extra` (bindings, KV namespaces, host/port).
 */
export function workerdOptions(scriptPath, dir, extra = {}) {
  return {
    modules: true,
    scriptPath,
    modulesRoot: dir,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2025-01-01",
    ...extra,
  };
}

/** Bundles `entry`, starts it in Miniflare with `bindings`, dispatches `url`; returns `{status, body}`. */
export async function fetchFromWorker(entry, dir, bindings, url = "http://localhost/") {
  const scriptPath = await bundleForWorkerd(entry, dir);
  const mf = new Miniflare(workerdOptions(scriptPath, dir, { bindings }));
  try {
    const res = await mf.dispatchFetch(url);
    return { status: res.status, body: await res.text() };
  } finally {
    await mf.dispose();
  }
}

/** Runs `script` with the npm-installed deno (60 s at most); resolves its stdout. */
export async function denoRun(script, args = [], env = {}) {
  const deno = path.join(root, "node_modules/.bin/deno");
  const { stdout } = await run(deno, ["run", "--quiet", "--no-config", "--node-modules-dir=manual",
    "--allow-net=127.0.0.1", "--allow-read", "--allow-env", script, ...args], {
    cwd: root,
    timeout: 60_000,
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", ...env },
  });
  return stdout;
}
