// Start-up cost (issue 7): how long an app waits before it can use the library, in Node,
// headless Chromium and workerd, for tasklane (wasm compile + instantiate included) next to
// importing @fal-ai/client, replicate and standardwebhooks. Median of several fresh starts.
// Writes bench/results/startup.md. Run: node bench/startup/startup.mjs (after make build).
import { execFileSync } from "node:child_process";
import { workerdOptions } from "../../tests/js/runtimes/harness.mjs";
import { packageWasmFiles } from "../../tests/js/runtimes/paths.mjs";
import { build } from "esbuild";
import { createServer } from "node:http";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const RUNS = 9;
const libs = {
  tasklane: `import("tasklane").then(async (m) => { await m.ready; return m.TaskClient; })`,
  "tasklane/client": `import("tasklane/client").then(async (m) => { await m.ready; return m.TaskClient; })`,
  "tasklane/webhook": `import("tasklane/webhook").then(async (m) => { await m.ready; return m.verifyWebhook; })`,
  "tasklane/proxy": `import("tasklane/proxy").then(async (m) => { await m.ready; return m.createProxyHandler; })`,
  "@fal-ai/client": `import("@fal-ai/client").then((m) => m.fal)`,
  replicate: `import("replicate").then((m) => m.default)`,
  standardwebhooks: `import("standardwebhooks").then((m) => m.Webhook)`,
};
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

// Node: a fresh process per run; the time from before the import to a usable export.
function nodeStartup(expr) {
  const code = `const t0 = performance.now(); await ${expr}; console.log(performance.now() - t0);`;
  const xs = [];
  for (let i = 0; i < RUNS; i++) {
    xs.push(Number(execFileSync(process.execPath, ["--input-type=module", "-e", code], { cwd: root }).toString().trim()));
  }
  return median(xs);
}

// Chromium: each library bundled by esbuild; a fresh page per run times its dynamic import.
async function chromiumStartup() {
  const { chromium } = await import("playwright-core");
  const dir = mkdtempSync(path.join(tmpdir(), "tasklane-startup-"));
  for (const [name, expr] of Object.entries(libs)) {
    const entry = path.join(dir, `${name.replace(/\W/g, "_")}.entry.mjs`);
    writeFileSync(entry, `export default () => ${expr};`);
    await build({ entryPoints: [entry], bundle: true, minify: true, format: "esm", platform: "browser",
      outdir: path.join(dir, "out"), loader: { ".wasm": "file" }, logLevel: "error", conditions: ["browser"],
      nodePaths: [path.join(root, "node_modules")], splitting: true });
  }
  const server = createServer((req, res) => {
    const file = path.join(dir, "out", decodeURIComponent(req.url.split("?")[0]));
    try {
      const body = readFileSync(file);
      res.writeHead(200, { "content-type": file.endsWith(".wasm") ? "application/wasm" : file.endsWith(".js") ? "text/javascript" : "text/html" });
      res.end(body);
    } catch { res.writeHead(404); res.end(); }
  });
  writeFileSync(path.join(dir, "out", "index.html"), "<!doctype html><title>startup</title>");
  // esbuild leaves `new URL("./dist/tasklane_bg.wasm", import.meta.url)` as it is, so the app
  // serves the package's .wasm files (one per build) at that path, as an esbuild user's app would.
  mkdirSync(path.join(dir, "out", "dist"), { recursive: true });
  for (const f of packageWasmFiles()) copyFileSync(f, path.join(dir, "out", "dist", path.basename(f)));
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"] });
  const results = {};
  try {
    for (const name of Object.keys(libs)) {
      const file = `${name.replace(/\W/g, "_")}.entry.js`;
      const xs = [];
      for (let i = 0; i < RUNS; i++) {
        const ctx = await browser.newContext();
        const page = await ctx.newPage();
        await page.goto(`${base}/index.html`);
        xs.push(await page.evaluate(async (u) => { const t0 = performance.now(); const m = await import(u); await m.default(); return performance.now() - t0; }, `${base}/${file}?${i}`));
        await ctx.close();
      }
      results[name] = median(xs);
    }
  } finally {
    await browser.close();
    server.close();
  }
  return results;
}

// workerd: a Miniflare worker per library; time from construction to the first answer,
// minus the same for an empty worker (workerd's own start).
async function workerdStartup() {
  const { Miniflare } = await import("miniflare");
  const dir = mkdtempSync(path.join(tmpdir(), "tasklane-startup-w-"));
  const one = async (name, expr) => {
    const entry = path.join(dir, `${name.replace(/\W/g, "_")}.worker.mjs`);
    writeFileSync(entry, `export default { async fetch() { ${expr ? `await ${expr};` : ""} return new Response("ok"); } };`);
    await build({ entryPoints: [entry], bundle: true, format: "esm", platform: "neutral", outdir: path.join(dir, name.replace(/\W/g, "_")),
      loader: { ".wasm": "copy" }, logLevel: "error", conditions: ["workerd", "worker", "browser"], mainFields: ["module", "main"],
      nodePaths: [path.join(root, "node_modules")], external: ["node:*"] });
    const outDir = path.join(dir, name.replace(/\W/g, "_"));
    const xs = [];
    for (let i = 0; i < Math.min(RUNS, 5); i++) {
      const t0 = performance.now();
      const mf = new Miniflare(workerdOptions(path.join(outDir, path.basename(entry).replace(".mjs", ".js")), outDir,
        { compatibilityFlags: ["nodejs_compat"] }));
      await (await mf.dispatchFetch("http://localhost/")).text();
      xs.push(performance.now() - t0);
      await mf.dispose();
    }
    return median(xs);
  };
  const base = await one("empty", null);
  const results = {};
  for (const [name, expr] of Object.entries(libs)) {
    try { results[name] = await one(name, expr); } catch (e) { results[name] = `failed: ${String(e.message).split("\n")[0]}`; }
  }
  return { base, results };
}

const node = Object.fromEntries(Object.entries(libs).map(([n, e]) => { try { return [n, nodeStartup(e)]; } catch (err) { return [n, `failed: ${String(err.message).split("\n")[0]}`]; } }));
let chromium = {};
try { chromium = await chromiumStartup(); } catch (e) { chromium = { error: String(e.message).split("\n")[0] }; }
let workerd = { results: {} };
try { workerd = await workerdStartup(); } catch (e) { workerd = { results: {}, error: String(e.message).split("\n")[0] }; }

const fmt = (v) => (typeof v === "number" ? v.toFixed(1) : v ?? "n/a");
let md = `## Start-up: from import to a usable export\n\nCommand: \`node bench/startup/startup.mjs\` (after \`make build\`). Median of ${RUNS} fresh starts (workerd: 5), milliseconds. Node: a new process, \`await import()\` (tasklane: plus \`await ready\`, i.e. wasm compile and instantiate; \`tasklane/client\`, \`tasklane/webhook\` and \`tasklane/proxy\` load their own, smaller .wasm). Chromium: a new browser context per run, dynamic import of an esbuild bundle served from 127.0.0.1. workerd: Miniflare start to the first response (the import happens inside it); an empty Worker takes ${fmt(workerd.base)} ms the same way, so the difference to that is the library's share (within the run-to-run noise of a few ms).\n\n`;
md += `| library | Node ms | Chromium ms | workerd ms |\n|---|---:|---:|---:|\n`;
for (const n of Object.keys(libs)) md += `| ${n} | ${fmt(node[n])} | ${fmt(chromium[n])} | ${fmt(workerd.results[n])} |\n`;
if (chromium.error) md += `\nChromium run failed: ${chromium.error}\n`;
if (workerd.error) md += `\nworkerd run failed: ${workerd.error}\n`;
mkdirSync(path.join(root, "bench/results"), { recursive: true });
writeFileSync(path.join(root, "bench/results/startup.md"), md);
console.log(md);
