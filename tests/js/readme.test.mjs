// The README's examples are the quick-start files the runtime tests execute: this test fails
// when a README block and its file differ, or when a block names a file that does not exist.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { synced } from "../../scripts/readme-sync.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const readme = readFileSync(path.join(root, "README.md"), "utf8");

test("every README example names an existing file", () => {
  const files = [...readme.matchAll(/<!-- include: (\S+) -->/g)].map((m) => m[1]);
  assert.ok(files.length >= 4, `expected the four quick starts in README.md, found ${files.length}`);
  for (const f of files) assert.ok(existsSync(path.join(root, f)), `README includes missing file ${f}`);
});

test("README examples are identical to the files the tests run", () => {
  assert.equal(readme, synced(readme), "run: node scripts/readme-sync.mjs");
});
