// Shortens the names a wasm-bindgen build uses between its .wasm and its JS glue (issue 7):
// wasm-bindgen names every import `__wbg_<name>_<16 hex digits>` under the module
// "./<out-name>_bg.js", and exports closure shims by their full Rust paths. Those names are
// written twice, once in the .wasm and once in the glue, and their hashes do not compress.
// This rewrites both files with short names (`a`, `b`, ... by first use), which is about
// 1.5 KB gzip per build, and checks that the glue then names exactly what the .wasm has.
//
//   node scripts/short-names.mjs <dist dir> <out-name>      (scripts/build-pkg.sh runs it)
//
// Renamed: every import module and every import of the glue's own module (the snippets'
// imports keep their names: they are the snippet files' export names), and every export
// the glue reads as `wasm.<name>` but `memory`. Any other reference to an old name fails the build.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const [dir, outName] = process.argv.slice(2);
if (!dir || !outName) {
  console.error("usage: node scripts/short-names.mjs <dist dir> <out-name>");
  process.exit(2);
}
const wasmPath = path.join(dir, `${outName}_bg.wasm`);
const gluePath = path.join(dir, `${outName}.js`);
const bytes = readFileSync(wasmPath);
let glue = readFileSync(gluePath, "utf8");
const ownModule = `./${outName}_bg.js`;

function fail(msg) {
  console.error(`short-names: ${gluePath}: ${msg}`);
  process.exit(1);
}

/** Reads the wasm's sections: [{id, header, start, end}] (where the section begins, its payload's bounds). */
function sections(b) {
  if (b.readUInt32LE(0) !== 0x6d736100) fail("not a wasm module");
  const out = [];
  let p = 8;
  while (p < b.length) {
    const header = p;
    const id = b[p++];
    const [len, q] = uleb(b, p);
    out.push({ id, header, start: q, end: q + len });
    p = q + len;
  }
  return out;
}

function uleb(b, p) {
  let r = 0;
  let shift = 0;
  for (;;) {
    const x = b[p++];
    r += (x & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(x & 0x80)) return [r, p];
  }
}

function ulebBytes(n) {
  const out = [];
  do {
    let x = n % 128;
    n = Math.floor(n / 128);
    if (n) x |= 0x80;
    out.push(x);
  } while (n);
  return out;
}

const nameBytes = (s) => {
  const u = Buffer.from(s, "utf8");
  return [...ulebBytes(u.length), ...u];
};

/** The end of an import's descriptor (kind byte and what follows it) starting at `p`. */
function skipImportDesc(b, p) {
  const kind = b[p++];
  const limits = (q) => {
    const flags = b[q++];
    [, q] = uleb(b, q);
    if (flags & 1) [, q] = uleb(b, q);
    return q;
  };
  switch (kind) {
    case 0: return uleb(b, p)[1]; // function: type index
    case 1: return limits(p + 1); // table: reftype, limits
    case 2: return limits(p); // memory: limits
    case 3: return p + 2; // global: valtype, mutability
    case 4: return uleb(b, p + 1)[1]; // tag: attribute, type index
    default: fail(`unknown import kind ${kind}`);
  }
}

let counter = 0;
const short = () => {
  // a, b, ..., z, A, ..., Z, then two letters: names that are identifiers and never `wasm` keys
  // wasm-bindgen itself uses (those start with `_`).
  const abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  let n = counter++;
  let s = "";
  do {
    s = abc[n % abc.length] + s;
    n = Math.floor(n / abc.length) - 1;
  } while (n >= 0);
  return s;
};

const modules = new Map(); // old module name -> new
const imports = new Map(); // old import name (own module) -> new
const exports = new Map(); // old export name -> new
const usedExports = new Set([...glue.matchAll(/\bwasm\.([A-Za-z0-9_$]+)/g)].map((m) => m[1]));

const parts = [];
let last = 0;
for (const s of sections(bytes)) {
  if (s.id !== 2 && s.id !== 7) continue;
  let [count, p] = uleb(bytes, s.start);
  const body = [...ulebBytes(count)];
  for (let i = 0; i < count; i++) {
    if (s.id === 2) {
      let len;
      [len, p] = uleb(bytes, p);
      const mod = bytes.toString("utf8", p, p + len);
      p += len;
      [len, p] = uleb(bytes, p);
      const name = bytes.toString("utf8", p, p + len);
      p += len;
      const descEnd = skipImportDesc(bytes, p);
      if (!modules.has(mod)) modules.set(mod, short());
      let newName = name;
      if (mod === ownModule) {
        if (!imports.has(name)) imports.set(name, short());
        newName = imports.get(name);
      }
      body.push(...nameBytes(modules.get(mod)), ...nameBytes(newName), ...bytes.subarray(p, descEnd));
      p = descEnd;
    } else {
      let len;
      [len, p] = uleb(bytes, p);
      const name = bytes.toString("utf8", p, p + len);
      p += len;
      const kind = bytes[p];
      const [, end] = uleb(bytes, p + 1);
      let newName = name;
      // `memory` keeps its name: `initSync()` hands the exports to callers (bench/many reads
      // `.memory`), and it is short already.
      if (usedExports.has(name) && name !== "memory") {
        exports.set(name, short());
        newName = exports.get(name);
      }
      body.push(...nameBytes(newName), ...bytes.subarray(p, end));
      p = end;
    }
  }
  if (p !== s.end) fail(`section ${s.id} did not parse to its end`);
  parts.push(bytes.subarray(last, s.header), Buffer.from([s.id, ...ulebBytes(body.length), ...body]));
  last = s.end;
}
parts.push(bytes.subarray(last));
if (!modules.has(ownModule)) fail(`the wasm imports nothing from ${ownModule}`);

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// wasm-bindgen imports a snippet file once per function the wasm takes from it
// (`import * as importN from "<file>"`) and lists each under the same key of the import
// object, where the last one wins: one import and one key per file are kept.
const firstAlias = new Map(); // file -> the alias kept
const dropped = [];
glue = glue.replace(/^import \* as (import\d+) from "([^"]+)"\n/gm, (line, alias, file) => {
  if (!firstAlias.has(file)) {
    firstAlias.set(file, alias);
    return line;
  }
  dropped.push([alias, file]);
  return "";
});
for (const [alias, file] of dropped) {
  const key = new RegExp(`^ *${escape(JSON.stringify(file))}: ${alias},\n`, "m");
  if (!key.test(glue)) fail(`${alias} (${file}) is not a key of the glue's imports`);
  glue = glue.replace(key, "");
}

// The glue: import keys `name: function(`, the import object's module keys, `wasm.<export>`.
for (const [old, now] of imports) {
  const re = new RegExp(`(?<![A-Za-z0-9_$])${escape(old)}(?![A-Za-z0-9_$])`, "g");
  const hits = glue.match(re)?.length ?? 0;
  if (hits !== 1) fail(`import ${old} appears ${hits} times in the glue (expected once, as its key)`);
  glue = glue.replace(re, now);
}
for (const [old, now] of modules) {
  const key = `${JSON.stringify(old)}: import`;
  if (!glue.includes(key)) fail(`module ${old} is not a key of the glue's imports`);
  glue = glue.replace(key, `${JSON.stringify(now)}: import`);
}
glue = glue.replace(/\bwasm\.([A-Za-z0-9_$]+)/g, (m, name) => {
  if (name === "memory") return m;
  if (!exports.has(name)) fail(`the glue reads wasm.${name}, which the wasm does not export`);
  return `wasm.${exports.get(name)}`;
});

writeFileSync(wasmPath, Buffer.concat(parts));
writeFileSync(gluePath, glue);
console.log(
  `short-names: ${outName}: ${modules.size} modules, ${imports.size} imports, ${exports.size} exports renamed`,
);
