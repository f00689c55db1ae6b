// The size budget of issue 7: the wasm module plus its JS glue (every .wasm and .js that
// pkg/dist ships, snippets included), gzip -9.
//
// Issue 7 asks for ≤ 64 KB now and ≤ 21 KB (fal's client) later. The package is not there
// yet (≈ 128 KB on 2026-11-25 after serde and BTreeMap left the wasm, down from ≈ 249 KB;
// where the bytes go and what comes next: bench/size/BREAKDOWN.md). Until it is, this test
// is a ratchet at the size reached, so a change that makes the package larger fails here;
// lower CEILING with every cut, down to TARGET. It also fails when the build falls back
// from the pinned nightly to stable (≈ 50 KB larger), which must not pass silently.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../pkg/dist");
const TARGET_GZIP_BYTES = 64 * 1024;
const CEILING_GZIP_BYTES = 127 * 1024;

test(`wasm + JS glue stay under the ${CEILING_GZIP_BYTES / 1024} KB gzip ceiling (issue 7 target: ${TARGET_GZIP_BYTES / 1024} KB)`, () => {
  const files = readdirSync(dist, { recursive: true }).map(String).filter((f) => /\.(wasm|js)$/.test(f));
  assert.ok(files.some((f) => f.endsWith(".wasm")), "pkg/dist has no .wasm: run scripts/build-pkg.sh");
  const sizes = files.map((f) => [f, gzipSync(readFileSync(path.join(dist, f)), { level: 9 }).length]);
  const total = sizes.reduce((n, [, s]) => n + s, 0);
  assert.ok(total <= CEILING_GZIP_BYTES,
    `gzip total ${total} B > ceiling ${CEILING_GZIP_BYTES} B: ${sizes.map(([f, s]) => `${f} ${s} B`).join(", ")}`);
});
