// Size benchmark (issue 7): what a browser app ships for tasklane's client, webhook handler
// and proxy (from the subpath builds tasklane/client, tasklane/webhook and tasklane/proxy,
// and the first two from the root entry's full build), next to @fal-ai/client, replicate
// and standardwebhooks, each bundled by esbuild (minified ESM, browser platform) from this
// repo's lockfile. Raw / gzip -9 / brotli.
// Writes bench/results/size.md. Run: node bench/size/size.mjs
import { build } from "esbuild";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const out = mkdtempSync(path.join(tmpdir(), "tasklane-size-"));

/**
 * The entries a user's app would write, one per library and use. tasklane's name the .wasm
 * of the build they load (relative to pkg/): the subpath builds, and the root entry (the
 * full build) for the same imports, so the saving shows.
 */
const entries = {
  "tasklane client": [`import { TaskClient } from "tasklane/client"; globalThis.x = TaskClient;`, "client/dist/tasklane_client_bg.wasm"],
  "tasklane webhook handler": [`import { createWebhookHandler } from "tasklane/webhook"; globalThis.x = createWebhookHandler;`, "webhook/dist/tasklane_webhook_bg.wasm"],
  "tasklane proxy": [`import { createProxyHandler } from "tasklane/proxy"; globalThis.x = createProxyHandler;`, "proxy/dist/tasklane_proxy_bg.wasm"],
  "tasklane client, root import": [`import { TaskClient } from "tasklane"; globalThis.x = TaskClient;`, "dist/tasklane_bg.wasm"],
  "tasklane webhook handler, root import": [`import { createWebhookHandler } from "tasklane"; globalThis.x = createWebhookHandler;`, "dist/tasklane_bg.wasm"],
  "@fal-ai/client": [`import { fal } from "@fal-ai/client"; globalThis.x = fal;`],
  "replicate": [`import Replicate from "replicate"; globalThis.x = Replicate;`],
  "standardwebhooks": [`import { Webhook } from "standardwebhooks"; globalThis.x = Webhook;`],
};

/** Bytes of each file esbuild wrote for one entry (JS bundle plus any .wasm asset). */
async function bundle(name, [source, wasm]) {
  const dir = path.join(out, name.replace(/[^a-z0-9]+/gi, "_"));
  mkdirSync(dir, { recursive: true });
  const entry = path.join(root, "bench/size", `.entry-${path.basename(dir)}.mjs`);
  writeFileSync(entry, source);
  try {
    await build({
      entryPoints: [entry], bundle: true, minify: true, format: "esm", platform: "browser",
      target: "es2022", outdir: dir, loader: { ".wasm": "file" }, logLevel: "error",
      conditions: ["browser"],
    });
  } finally {
    (await import("node:fs")).rmSync(entry);
  }
  const files = readdirSync(dir).map((f) => readFileSync(path.join(dir, f)));
  // esbuild does not treat `new URL("./dist/tasklane_bg.wasm", import.meta.url)` as an asset,
  // so it never copies the module the package loads: count it as the app must ship it.
  if (wasm && !readdirSync(dir).some((f) => f.endsWith(".wasm"))) {
    files.push(readFileSync(path.join(root, "pkg", wasm)));
  }
  return files;
}

const measure = (bufs) => {
  const all = Buffer.concat(bufs);
  const gz = bufs.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0);
  const br = bufs.reduce((n, b) => n + brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length, 0);
  return { raw: all.length, gzip: gz, brotli: br };
};

const kb = (n) => (n / 1024).toFixed(1);
const rows = [];
for (const [name, entry] of Object.entries(entries)) {
  try {
    rows.push({ name, ...measure(await bundle(name, entry)) });
  } catch (e) {
    rows.push({ name, error: String(e.message ?? e).split("\n")[0] });
  }
}

// What each build's wasm module itself weighs, and its JS glue, as the package ships them.
const distRows = ["pkg/dist", "pkg/client/dist", "pkg/webhook/dist", "pkg/proxy/dist"].flatMap((d) => {
  const dist = path.join(root, d);
  const files = (statSync(dist, { throwIfNoEntry: false }) ? readdirSync(dist) : []).filter((f) => f.endsWith(".wasm") || f.endsWith(".js"));
  return files.map((f) => ({ name: `${d}/${f}`, ...measure([readFileSync(path.join(dist, f))]) }));
});

const fal = rows.find((r) => r.name === "@fal-ai/client");
const ratio = (r, ref) => (ref && r.gzip ? (r.gzip / ref.gzip).toFixed(2) + "×" : "");
let md = `## Size: what a browser app ships\n\n`;
md += `Command: \`node bench/size/size.mjs\` (after \`make build\`). Each row is an app entry that imports one thing, bundled by esbuild ${
  JSON.parse(readFileSync(path.join(root, "node_modules/esbuild/package.json"))).version
} (\`--bundle --minify --format=esm --platform=browser\`); tasklane rows add the .wasm of the build they load (\`tasklane/client\`: \`pkg/client/dist/tasklane_client_bg.wasm\`, \`tasklane/webhook\`: \`pkg/webhook/dist/tasklane_webhook_bg.wasm\`, \`tasklane/proxy\`: \`pkg/proxy/dist/tasklane_proxy_bg.wasm\`, the root entry: \`pkg/dist/tasklane_bg.wasm\`), which esbuild does not copy and the app must serve next to its bundle; sizes add the JS bundle and the .wasm, each compressed on its own as a server sends them. gzip is level 9, brotli quality 11.\n\n`;
md += `| bundle | raw KB | gzip -9 KB | brotli KB | gzip vs @fal-ai/client |\n|---|---:|---:|---:|---:|\n`;
for (const r of rows) {
  md += r.error ? `| ${r.name} | failed: ${r.error} | | | |\n` : `| ${r.name} | ${kb(r.raw)} | ${kb(r.gzip)} | ${kb(r.brotli)} | ${ratio(r, fal)} |\n`;
}
// Issue 7's budget, 64 KiB gzip for (a) the client and (b) the webhook handler, by this
// measure too (the size test in `make test` sums the package's own files).
md += `\nAgainst issue 7's budget (65,536 B gzip): ${rows
  .filter((r) => !r.error && (r.name === "tasklane client" || r.name === "tasklane webhook handler"))
  .map((r) => `${r.name} ${r.gzip.toLocaleString("en")} B (${r.gzip <= 65536 ? "within" : "over"})`)
  .join(", ")}.\n`;
md += `\nThe package files themselves:\n\n| file | raw KB | gzip -9 KB | brotli KB |\n|---|---:|---:|---:|\n`;
for (const r of distRows) md += `| ${r.name} | ${kb(r.raw)} | ${kb(r.gzip)} | ${kb(r.brotli)} |\n`;
// Where the wasm's bytes go, by area (bench/size/areas.mjs; needs twiggy on PATH and a
// release build in target/). The history of the cuts is in bench/size/BREAKDOWN.md.
try {
  const { namedBuild, table } = await import("./areas.mjs");
  md += `\nWhere the wasm's bytes go (code and data by area, from \`twiggy\` on the same build with names kept; \`node bench/size/areas.mjs --top 5\` lists the largest items; history in [bench/size/BREAKDOWN.md](../size/BREAKDOWN.md)):\n\n${table(namedBuild())}`;
} catch (e) {
  md += `\n(Per-area table skipped: ${String(e.message ?? e).split("\n")[0]}; install twiggy with \`cargo install twiggy\`.)\n`;
}
mkdirSync(path.join(root, "bench/results"), { recursive: true });
writeFileSync(path.join(root, "bench/results/size.md"), md);
console.log(md);
