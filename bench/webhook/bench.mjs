// Webhook verify + parse throughput at 1 KiB and 64 KiB, in Node and in workerd, next to
// standardwebhooks, a bare Web Crypto HMAC and node:crypto. Writes bench/results/webhook.md.
// Run: scripts/bench-webhook.sh (needs `make build`).
import * as nodeCrypto from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { bundleForWorkerd, workerdOptions } from "../../tests/js/runtimes/harness.mjs";
import { Webhook } from "standardwebhooks";
// The webhook receiver build users deploy at the edge (`tasklane/webhook`, compiled for
// speed), and the full build for comparison.
import * as tasklane from "tasklane/webhook";
import * as full from "tasklane";
import { makeBody, makeCases } from "./cases.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const SIZES = [1024, 64 * 1024];
const RUN_MS = Number(process.env.BENCH_MS ?? 1000);

/** Sequential ops/s of `fn` over about RUN_MS (after a warm-up). */
async function opsPerSec(fn) {
  for (let i = 0; i < 200; i++) await fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < RUN_MS) {
    for (let i = 0; i < 50; i++) await fn();
    n += 50;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

async function runNode() {
  const out = {};
  for (const size of SIZES) {
    const cases = await makeCases({ tasklane, full, Webhook, nodeCrypto, body: makeBody(size) });
    for (const c of cases) (out[c.name] ??= {})[size] = await opsPerSec(c.fn);
  }
  return out;
}

/** The same contestants inside workerd. workerd's clock does not advance during CPU work,
 * so the Worker runs `n` iterations per request and Node times requests of two sizes. */
async function runWorkerd() {
  const dir = path.join(root, "test-output/bench-webhook");
  const scriptPath = await bundleForWorkerd(path.join(here, "worker.mjs"), dir);
  const mf = new Miniflare(workerdOptions(scriptPath, dir));
  const out = {};
  try {
    const call = async (size, c, n) => {
      const t = performance.now();
      const res = await mf.dispatchFetch(`http://bench/?size=${size}&case=${c}&n=${n}`);
      const body = await res.json();
      if (res.status !== 200) throw new Error(JSON.stringify(body));
      return [performance.now() - t, body];
    };
    for (const size of SIZES) {
      const [, { names }] = await call(size, 0, 0);
      for (let c = 0; c < names.length; c++) {
        await call(size, c, 200);
        // Per-iteration time = (t(long) - t(short)) / (n_long - n_short): the request cost cancels.
        let short = 50;
        let long = 1000;
        const [t1] = await call(size, c, short);
        let [t2] = await call(size, c, long);
        if (t2 < RUN_MS / 2) {
          long = Math.ceil((long * RUN_MS) / Math.max(t2, 1));
          [t2] = await call(size, c, long);
        }
        (out[names[c]] ??= {})[size] = ((long - short) * 1000) / Math.max(t2 - t1, 0.001);
      }
    }
  } finally {
    await mf.dispose();
  }
  return out;
}

const fmt = (x) => (x == null ? "—" : x >= 10000 ? `${Math.round(x / 1000)}k` : x >= 1000 ? `${(x / 1000).toFixed(1)}k` : `${Math.round(x)}`);

function table(title, res) {
  const base = res["standardwebhooks verify"];
  const lines = [`### ${title}`, "", "| contestant | 1 KiB ops/s | × standardwebhooks | 64 KiB ops/s | × standardwebhooks |", "|---|---:|---:|---:|---:|"];
  for (const [name, r] of Object.entries(res)) {
    const x = (s) => (base?.[s] ? `${(r[s] / base[s]).toFixed(1)}×` : "—");
    lines.push(`| ${name} | ${fmt(r[1024])} | ${x(1024)} | ${fmt(r[65536])} | ${x(65536)} |`);
  }
  return lines.join("\n");
}

function targets(title, res) {
  const ours = res["tasklane verifyWebhook (hmac: auto)"];
  const base = res["standardwebhooks verify"];
  const r1 = ours[1024] / base[1024];
  const r64 = ours[65536] / base[65536];
  const v = (r, goal) => `${r.toFixed(1)}× (target ≥${goal}×: ${r >= goal ? "met" : "not met"})`;
  return `- ${title}: 1 KiB ${v(r1, 3)}, 64 KiB ${v(r64, 10)}`;
}

const node = await runNode();
const workerd = await runWorkerd();
const md = [
  "## Webhook verify + parse throughput",
  "",
  "Command: `scripts/bench-webhook.sh` (runs `node bench/webhook/bench.mjs`; `BENCH_MS` sets the time per case, default 1000).",
  "One verification after another (no concurrency); each contestant gets the raw body text and the three",
  "Standard Webhooks headers, and returns the parsed body (tasklane: the normalized `TaskUpdate` of a",
  "queue-dialect body). The last four rows start from a web `Request` (built per iteration) and read its body:",
  "with a `Content-Length` header, as a delivery over HTTP carries (the body is read whole, bounded by it), and",
  "chunked, without one (tasklane reads the stream chunk by chunk and stops past `maxBodyBytes`).",
  "`hmac:` forces tasklane's HMAC path (wasm RustCrypto or Web Crypto); `auto` is the default: node:crypto in Node,",
  "Web Crypto in workerd from 6 KiB and elsewhere from 4 KiB, wasm below (RustCrypto's sha2, built at opt-level 3).",
  "The `bound:` rows are not verifiers: each computes only the HMAC of the message with the runtime's fastest",
  "native primitive (no header checks, no parse). Every verifier must compute that HMAC, so a bound row's ×",
  "standardwebhooks is a ceiling for any contestant in that runtime and size.",
  "tasklane's update carries the body as `raw`, parsed by the runtime's `JSON.parse` on first read (the core has",
  "already parsed and checked the whole body); the \"then read `raw`\" row pays that parse too.",
  "",
  table("Node " + process.version, node),
  "",
  table("workerd (Miniflare " + (await import("miniflare/package.json", { with: { type: "json" } }).catch(() => ({ default: {} }))).default.version + ")", workerd),
  "",
  "Against the issue's targets (tasklane `hmac: auto` ÷ standardwebhooks, same run):",
  "",
  targets("Node", node),
  targets("workerd", workerd),
  "",
  "Where a delivery's time goes (Node CPU profiles of `verifyWebhook`, `node --cpu-prof` over a build that keeps",
  "function names, issue 4). At 64 KiB (~62 µs): the HMAC (node:crypto, native, the same work as the reference",
  "row) is about half; the core's JSON parser scanning the body's long string 12 % (eight bytes per step since",
  "2026-11-25: the byte-at-a-time loop at `opt-level = \"z\"` was 40 % and made a delivery ~120 µs); the UTF-8",
  "check 5 %; encoding the body into wasm memory 4 %. `raw` is not parsed unless read (the row that reads it pays",
  "the runtime's `JSON.parse`). At 1 KiB (~15 µs) the time is spread thin: allocation in wasm ~10 %, the HMAC",
  "~13 % (`createHmac`, `update`, `digest`), building the update object ~7 %, then the core's parse, the dialect's",
  "normalization and the JSON text of the update, a few % each. standardwebhooks only hashes and `JSON.parse`s;",
  "tasklane also parses the body with the core's parser and normalizes it (compiled at opt-level 3 the core cut",
  "a 1 KiB delivery by about a quarter but added ~21 KB gzip, so it is not done). That is why 1 KiB stays near",
  "standardwebhooks rather than at 3×: even the bare node:crypto + JSON.parse row is only about 4× it in Node",
  "and 3× in workerd. In workerd a body under 6 KiB is hashed in wasm (it settles at once), larger ones with Web",
  "Crypto. At 64 KiB tasklane reaches the bare native HMAC + JSON.parse rows (the ceiling of any verifier that",
  "checks the whole body), several times the pure-JS HMAC of standardwebhooks.",
  "",
].join("\n");
await mkdir(path.join(root, "bench/results"), { recursive: true });
await writeFile(path.join(root, "bench/results/webhook.md"), md);
console.log(md);
