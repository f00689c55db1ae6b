// The package's TypeScript declarations: `tsc --noEmit` on a usage file of every public
// name (with @ts-expect-error lines that must stay errors), no `any` in the public
// declarations, and every runtime export of the package declared (and vice versa).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as pkg from "tasklane";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);

test("tsc --noEmit accepts the usage file against pkg/index.d.ts", async () => {
  const tsc = path.join(root, "node_modules/typescript/bin/tsc");
  try {
    await run(process.execPath, [tsc, "-p", path.join(root, "tests/js/types/tsconfig.json")], { cwd: root, timeout: 120_000 });
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
});

test("no `any` in the public declarations", async () => {
  const dts = await readFile(path.join(root, "pkg/index.d.ts"), "utf8");
  const code = dts.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  assert.doesNotMatch(code, /\bany\b/);
});

test("every runtime export is declared, and every declaration exists", async () => {
  const dts = await readFile(path.join(root, "pkg/index.d.ts"), "utf8");
  const declared = new Set([...dts.matchAll(/^export (?:declare )?(?:class|const|function) (\w+)/gm)].map((m) => m[1]));
  const runtime = Object.keys(pkg).filter((k) => k !== "bind");
  for (const name of runtime) assert.ok(declared.has(name), `${name} is exported but not declared in index.d.ts`);
  for (const name of declared) assert.ok(name in pkg, `${name} is declared but not exported`);
});
