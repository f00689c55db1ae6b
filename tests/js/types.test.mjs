// The package's TypeScript declarations: `tsc --noEmit` on a usage file of every public
// name (with @ts-expect-error lines that must stay errors), no `any` in the public
// declarations, and every runtime export of the package declared (and vice versa), for the
// root entry and for the subpaths `tasklane/client`, `tasklane/webhook` and
// `tasklane/proxy`, whose .d.ts re-export the root's declarations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as pkg from "tasklane";
import * as clientPkg from "tasklane/client";
import * as webhookPkg from "tasklane/webhook";
import * as proxyPkg from "tasklane/proxy";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);

test("tsc --noEmit accepts the usage files against pkg/index.d.ts and the subpaths' .d.ts", async () => {
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
  const runtime = Object.keys(pkg);
  for (const name of runtime) assert.ok(declared.has(name), `${name} is exported but not declared in index.d.ts`);
  for (const name of declared) assert.ok(name in pkg, `${name} is declared but not exported`);
});

for (const [sub, mod] of [["client", clientPkg], ["webhook", webhookPkg], ["proxy", proxyPkg]]) {
  test(`tasklane/${sub}: every runtime export is declared in ${sub}/index.d.ts, and every declaration exists`, async () => {
    const dts = await readFile(path.join(root, `pkg/${sub}/index.d.ts`), "utf8");
    // The value re-exports (`export { ... } from "../index.js"`), not the `export type` ones.
    const lists = [...dts.matchAll(/^export \{([^}]*)\} from "\.\.\/index\.js";/gm)].map((m) => m[1]);
    assert.equal(lists.length, 1, `one value re-export list in pkg/${sub}/index.d.ts`);
    const declared = new Set(lists[0].split(",").map((s) => s.trim()).filter(Boolean));
    const runtime = Object.keys(mod);
    for (const name of runtime) assert.ok(declared.has(name), `${name} is exported by tasklane/${sub} but not declared`);
    for (const name of declared) assert.ok(name in mod, `${name} is declared for tasklane/${sub} but not exported`);
    // Every name is the root's, with the root's declaration.
    for (const name of declared) assert.ok(name in pkg, `${name} is not a name of the root entry`);
  });
}
