// The size budget of issue 7: each build's wasm module plus its JS glue (every .wasm and
// .js its dist/ ships, snippets included), each file gzip -9 on its own, summed.
//
// Issue 7 asks for ≤ 64 KB now and ≤ 21 KB (fal's client) later, for what an app ships for
// (a) the polling client and (b) the webhook handler. Where the bytes go and what comes
// next: bench/size/BREAKDOWN.md. A build that does not meet the budget has a ratchet at the
// size reached, so a change that makes it larger fails here; lower a CEILING with every
// cut, down to TARGET. It also fails when the build falls back from the pinned nightly to
// stable (≈ 50 KB larger), which must not pass silently.
//
// Four builds, four ceilings. `tasklane/webhook` (pkg/webhook/dist/, the webhook receiver
// alone) meets the budget since tasklane/edge was split into it and `tasklane/proxy`
// (2026-11-26: 62,167 B; 60,072 B once the dedupe window left std's HashMap), so its
// ceiling is the budget itself, 64 KiB: (b) meets it. (a) meets it too since the end of
// session 6 (2026-11-26, below), with the same ceiling. The others are ratchets, each set
// at its size rounded up to the next KiB:
// - `tasklane/proxy` (pkg/proxy/dist/, createProxyHandler alone): 46,408 B → 46 KiB.
// - `tasklane/client` (pkg/client/dist/, the polling client alone) and `tasklane` (pkg/dist/,
//   the full build): set when the subpaths came (2026-11-25, on 5f4179c: 91,642 /
//   127,970 B). The client's raised once on purpose, 90 → 91 KiB, for issue 6's
//   scheduling (host lanes, per-task and per-model wait counts, replanning on a model's
//   first estimate: 92,360 B on 49da305), which took the no-history p95 at 10,000 waits
//   from 29 % to 8 % of the task's duration. Lowered 2026-11-26 by short import/export
//   names (scripts/short-names.mjs) and one copy of the built-in profiles: 89,585 /
//   124,790 B; then by the driver's tables in sorted Vecs, not HashMaps: 85,744 /
//   122,246 B (122,395 B with the split's second snippet file); then the full build's by
//   the dedupe window's own key table (no hashbrown left in it): 120,286 B → 118 KiB.
//   (The sorted Vecs were reverted for a day while the chaos run was red, and came back
//   once resume() was the cause: client 85,829 B, full 120,617 B.) The same day's fixes
//   (resume settling, store records per provider, watch options, typed JSON-text fields)
//   cost ≈ 1.1 KB; text cut at ASCII bytes instead of str's pattern searchers
//   (core/src/text.rs) gave it back: client 85,788 B, full 120,819 B, webhook 59,074 B,
//   proxy 45,759 B → 45 KiB.
//   Raised on purpose the same day for the edge handlers' fixes (an encoded `/` in a proxied
//   path, `allow` lists and options under unknown keys, `Allow` on 405, upstream timeouts
//   past 2^31 ms, repeated signature header lines): full 121,286 B → 119 KiB, proxy
//   46,222 B → 46 KiB; client (85,679 B) and webhook (59,362 B) stay under theirs.
//   And the client's, on purpose, for the TaskClient review's fixes (the key kept on
//   baseUrl's origin, user headers replacing ours by any case, setTimeout's range, a
//   custom profile's routes checked before a submit, `.`/`..` ids, `idempotent` without a
//   key, an empty delivered id): 86,169 B → 85 KiB. The day still ends 3.3 KB below its start.
//   The full build holds all of these, and dedupe keys bounded for Workers KV: 122,079 B
//   → 120 KiB (124,028 B at the start of the day).
//   2026-11-26 (session 6): the glue and snippets shipped minified (esbuild, in
//   build-pkg.sh): full 117,633 B → 115 KiB, client 83,404 B → 82 KiB, webhook 56,993 B,
//   proxy 44,253 B → 44 KiB. Then core messages and the client shell without core::fmt
//   (text::concat), the profile reader with one exit, and the client shell without
//   wasm-bindgen-futures (JavaScript awaits, the wasm continues synchronously): full
//   112,399 B → 110 KiB, client 73,537 B → 72 KiB, proxy 41,324 B → 41 KiB. Then the
//   client's wasm through binaryen's flatten + rereloop, the webhook and proxy shells without
//   core::fmt and wasm-bindgen-futures too, and two dozen small cuts in the engine,
//   normalizer and request builder (u64 instead of u128, no VecDeque, loops for iterator
//   chains): full 104,093 B → 102 KiB, client 69,524 B → 68 KiB, webhook 50,529 B, proxy
//   37,499 B → 37 KiB. Then the client shell with fewer distinct imports and boxed
//   closures, the core's byte loops without iterator adapters or Unicode tables, and every
//   build without the reference-types and multivalue target features (wasm-bindgen's JS
//   slab instead of an externref table): **the client meets the budget**, 65,483 B, so its
//   ceiling is the budget itself, as the webhook receiver's (48,948 B); full 100,274 B →
//   98 KiB, proxy 36,008 B → 36 KiB.
//   Raised on purpose (session 7, 2026-11-26) for issue 4's webhook speed: a body parsed
//   only along the paths its dialect reads, the update object built in JavaScript from its
//   fields, node:crypto's one-shot hash with the HMAC's outer half in wasm: full 102,107 B
//   → 100 KiB (the client keeps 65,077 B: the webhook parse is behind the core's `wanted`
//   feature). The webhook receiver is now compiled at opt-level 3 (build-pkg.sh) and stays
//   under the budget. Then one HMAC in the core (HmacHalves, no hmac crate): full 101,930 B,
//   webhook 59,614 B.
//   Raised again (session 8, 2026-11-26) for issue 4: the signature headers read in one call
//   straight into wasm memory, `raw` one shared accessor over a private field, Web Crypto
//   handed a view of wasm memory instead of a copy: full 102,884 B → 101 KiB. sha2 stays at
//   opt-level 3 in every build (Cargo.toml): at "z" the full build was 0.7 KB smaller but its
//   wasm HMAC half as fast. The webhook receiver 61,137 B (with the small-block free lists
//   of src/alloc.rs, not inlined: inlined they were 2.4 KB more), proxy 36,580 B. Then
//   SHA-256 over parts on sha2's compression alone (core::webhook::sha256, no Digest):
//   full 102,948 B, webhook 60,840 B.
// They only ever go down, but for a reason written here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../pkg");
const TARGET_GZIP_BYTES = 64 * 1024;
const BUILDS = [
  { name: "tasklane", dist: "dist", ceiling: 101 * 1024 },
  { name: "tasklane/client", dist: "client/dist", ceiling: TARGET_GZIP_BYTES },
  { name: "tasklane/webhook", dist: "webhook/dist", ceiling: TARGET_GZIP_BYTES },
  { name: "tasklane/proxy", dist: "proxy/dist", ceiling: 36 * 1024 },
];

for (const { name, dist, ceiling } of BUILDS) {
  const title = ceiling === TARGET_GZIP_BYTES
    ? `${name}: wasm + JS glue meet issue 7's budget, ${ceiling / 1024} KB gzip`
    : `${name}: wasm + JS glue stay under the ${ceiling / 1024} KB gzip ceiling (issue 7 target: ${TARGET_GZIP_BYTES / 1024} KB)`;
  test(title, () => {
    const dir = path.join(pkg, dist);
    const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => /\.(wasm|js)$/.test(f));
    assert.ok(files.some((f) => f.endsWith(".wasm")), `pkg/${dist} has no .wasm: run scripts/build-pkg.sh`);
    const sizes = files.map((f) => [f, gzipSync(readFileSync(path.join(dir, f)), { level: 9 }).length]);
    const total = sizes.reduce((n, [, s]) => n + s, 0);
    assert.ok(total <= ceiling,
      `gzip total ${total} B > ceiling ${ceiling} B: ${sizes.map(([f, s]) => `${f} ${s} B`).join(", ")}`);
  });
}
