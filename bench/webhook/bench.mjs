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

/** Sequential ops/s of `fn` over about `ms` (after a warm-up). */
async function opsPerSec(fn, ms) {
  for (let i = 0; i < 200; i++) await fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 50; i++) await fn();
    n += 50;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

/** Rounds per case in Node: each case runs RUN_MS / ROUNDS per round, the cases taking
 * turns, and its median round counts (one long run per case let a slow stretch of the
 * machine land on one contestant: standardwebhooks' own rate moved 48k-58k run to run). */
const ROUNDS = 5;

async function runNode() {
  const out = {};
  for (const size of SIZES) {
    const cases = await makeCases({ tasklane, full, Webhook, nodeCrypto, body: makeBody(size) });
    const rounds = cases.map(() => []);
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < cases.length; i++) rounds[i].push(await opsPerSec(cases[i].fn, RUN_MS / ROUNDS));
    }
    cases.forEach((c, i) => {
      const sorted = rounds[i].sort((a, b) => a - b);
      (out[c.name] ??= {})[size] = sorted[Math.floor(ROUNDS / 2)];
    });
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
  "One verification after another (no concurrency); in Node the contestants take turns in five rounds and each",
  "one's median round is shown. Each contestant gets the raw body text and the three",
  "Standard Webhooks headers, and returns the parsed body (tasklane: the normalized `TaskUpdate` of a",
  "queue-dialect body). The last four rows start from a web `Request` (built per iteration) and read its body:",
  "with a `Content-Length` header, as a delivery over HTTP carries (the body is read whole, bounded by it), and",
  "chunked, without one (tasklane reads the stream chunk by chunk and stops past `maxBodyBytes`).",
  "`hmac:` forces tasklane's HMAC path (wasm RustCrypto or Web Crypto); `auto` is the default: node:crypto in Node,",
  "Web Crypto in workerd from 1.25 KiB and elsewhere from 4 KiB, wasm below (RustCrypto's sha2, built at opt-level 3).",
  "The tasklane rows are `tasklane/webhook`, the receiver build for servers and the edge (compiled at opt-level 3",
  "with wasm SIMD); the \"full build\" row is the `tasklane` entry, compiled for size.",
  "The `bound:` rows are not verifiers: each computes only the HMAC of the message, encoded before the timing",
  "starts, with the runtime's native primitive (no header checks, no parse, no encoding). Every verifier must",
  "compute that HMAC, so a bound row's × standardwebhooks is a ceiling for any contestant using that primitive.",
  "tasklane's update carries the body as `raw`, parsed by the runtime's `JSON.parse` on first read (the core has",
  "already checked the whole body); the \"then read `raw`\" row pays that parse too.",
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
  "Where a delivery's time goes (issue 4, Node, `tasklane/webhook`, 2026-11-26): at 1 KiB ≈ 4.0 µs a call without",
  "the benchmark's `await` (≈ 12.6 µs at the start of session 7, 5.2 µs at its end). By a CPU profile of that",
  "loop (`node --cpu-prof`, self time grouped): parsing and normalizing ≈ 26 %; node:crypto's `hash` (the HMAC's",
  "inner half) ≈ 17 %; the call, its options and the promise ≈ 15 %; the signature headers, timestamp and",
  "signature decoding ≈ 14 %; building the update object ≈ 11 %; the outer HMAC compression in wasm ≈ 4 %; the body",
  "into wasm ≈ 4 %; the allocator ≈ 3 %. What brought it down: the body parsed only along the paths the dialect",
  "reads (the rest checked, not built); the update object built in JavaScript from its fields, with `raw` one",
  "accessor pair shared by every update (a per-object `get raw()` was a third of the JavaScript time); node:crypto's",
  "one-shot `hash` for the inner hash, the outer in wasm; the three signature headers read in one call straight into",
  "wasm memory; small-block free lists in front of the allocator; the receiver compiled at opt-level 3 with SIMD.",
  "At 64 KiB (≈ 40 µs) the HMAC is about three quarters (node:crypto, native: the bound rows), the scan of the",
  "body's long string sixteen bytes per step (wasm SIMD) and the body's encoding into wasm most of the rest; `raw`",
  "is not parsed unless read.",
  "In workerd the two targets are beyond the runtime's primitives. At 64 KiB, Web Crypto's HMAC alone (the bound",
  "row) stays under 10× standardwebhooks, so no verifier that checks the whole body reaches it. At 1 KiB, 3× leaves",
  "about 3.7 µs for a verification and parse; Web Crypto's HMAC alone takes about 2 µs of it (an await included),",
  "and the bare Web Crypto HMAC + JSON.parse row, which checks nothing else, stays under 3×. The other HMACs",
  "workerd offers do no better at that size: a 1 KiB delivery took 5.8 µs with RustCrypto in wasm and 5.5-5.7 µs",
  "with node:crypto under the `nodejs_compat` flag (`NODEJS_COMPAT=1 node bench/webhook/sweep.mjs`).",
  "",
].join("\n");
await mkdir(path.join(root, "bench/results"), { recursive: true });
await writeFile(path.join(root, "bench/results/webhook.md"), md);
console.log(md);
