// The size budget of issue 7: each build's wasm module plus its JS glue (every .wasm and
// .js its dist/ ships, snippets included), each file gzip -9 on its own, summed.
//
// Issue 7 asks for ≤ 64 KB now and ≤ 21 KB (fal's client) later. The package is not there
// yet (≈ 128 KB on 2026-11-25 after serde and BTreeMap left the wasm, down from ≈ 249 KB;
// where the bytes go and what comes next: bench/size/BREAKDOWN.md). Until it is, this test
// is a ratchet at the size reached, so a change that makes the package larger fails here;
// lower a CEILING with every cut, down to TARGET. It also fails when the build falls back
// from the pinned nightly to stable (≈ 50 KB larger), which must not pass silently.
//
// Three builds, three ratchets: the full package (`tasklane`, pkg/dist/), and the subpaths
// `tasklane/client` (pkg/client/dist/, the polling client alone) and `tasklane/edge`
// (pkg/edge/dist/, webhooks and proxy alone), each set at its size when the subpaths came
// (2026-11-25, on 5f4179c: 127,970 / 91,642 / 77,054 B) rounded up to the next KiB.
// Raised once on purpose: the client's ceiling 90 → 91 KiB for issue 6's scheduling
// (host lanes, per-task and per-model wait counts, replanning on a model's first
// estimate: 92,360 B on 49da305), which took the no-history p95 at 10,000 waits from
// 29 % to 8 % of the task's duration.
// Lowered 2026-11-26 by short import/export names (scripts/short-names.mjs) and one copy of
// the built-in profiles: 124,790 / 89,585 / 73,514 B; then by the driver's tables in
// sorted Vecs, not HashMaps: 122,246 / 85,744 / 73,521 B.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../pkg");
const TARGET_GZIP_BYTES = 64 * 1024;
const BUILDS = [
  { name: "tasklane", dist: "dist", ceiling: 120 * 1024 },
  { name: "tasklane/client", dist: "client/dist", ceiling: 84 * 1024 },
  { name: "tasklane/edge", dist: "edge/dist", ceiling: 72 * 1024 },
];

for (const { name, dist, ceiling } of BUILDS) {
  test(`${name}: wasm + JS glue stay under the ${ceiling / 1024} KB gzip ceiling (issue 7 target: ${TARGET_GZIP_BYTES / 1024} KB)`, () => {
    const dir = path.join(pkg, dist);
    const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => /\.(wasm|js)$/.test(f));
    assert.ok(files.some((f) => f.endsWith(".wasm")), `pkg/${dist} has no .wasm: run scripts/build-pkg.sh`);
    const sizes = files.map((f) => [f, gzipSync(readFileSync(path.join(dir, f)), { level: 9 }).length]);
    const total = sizes.reduce((n, [, s]) => n + s, 0);
    assert.ok(total <= ceiling,
      `gzip total ${total} B > ceiling ${ceiling} B: ${sizes.map(([f, s]) => `${f} ${s} B`).join(", ")}`);
  });
}
