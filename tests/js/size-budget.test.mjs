// The size budget of issue 7: the wasm module plus its JS glue, as pkg/dist ships them,
// must stay under 64 KB gzip -9. The figures themselves are in BENCHMARKS.md (make bench).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../pkg/dist");
const BUDGET_GZIP_BYTES = 64 * 1024;

test("wasm + JS glue stay within the 64 KB gzip budget", () => {
  const files = readdirSync(dist).filter((f) => /\.(wasm|js)$/.test(f));
  assert.ok(files.some((f) => f.endsWith(".wasm")), "pkg/dist has no .wasm: run scripts/build-pkg.sh");
  const sizes = files.map((f) => [f, gzipSync(readFileSync(path.join(dist, f)), { level: 9 }).length]);
  const total = sizes.reduce((n, [, s]) => n + s, 0);
  assert.ok(total <= BUDGET_GZIP_BYTES,
    `gzip total ${total} B > budget ${BUDGET_GZIP_BYTES} B: ${sizes.map(([f, s]) => `${f} ${s} B`).join(", ")}`);
});
