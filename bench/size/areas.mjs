// Where the wasm's bytes go (issue 7): code and data of pkg/dist/tasklane_bg.wasm by area
// (crate or part of one), from twiggy on a copy built like the shipped one but keeping
// function names. Run after `make build`: node bench/size/areas.mjs [named.wasm] [--top N]
// Needs twiggy (`cargo install twiggy`). Prints a markdown table; size.mjs appends it to
// bench/results/size.md when twiggy is there. Names are matched in the order below, so an
// instantiation lands in the first area whose pattern it matches (serde_json's visitor for
// a tasklane type counts as serde_json).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export const AREAS = [
  ["data (strings, tables)", /^data segment|^data\[/],
  ["float formatting (core::fmt flt2dec, zmij)", /flt2dec|dragon|grisu|<f64 as core::fmt|<f32 as core::fmt|zmij|ryu/],
  ["serde_json", /serde_json/],
  ["serde Content buffering (untagged/flatten)", /private::de::content/],
  ["serde (derives, impls)", /serde/],
  ["BTreeMap/BTreeSet", /btree/i],
  ["HashMap (hashbrown)", /hashbrown|HashMap/],
  ["core::fmt", /core::fmt|alloc::fmt|::fmt::|Formatter/],
  ["sha2/hmac/digest", /sha2|hmac|digest/],
  ["base64", /base64/],
  ["futures (future_to_promise: shell async fns inlined)", /js_sys::futures|wasm_bindgen_futures/],
  ["js-sys/web-sys bindings", /js_sys|web_sys/],
  ["wasm-bindgen exports/shims", /wasm_bindgen|externref|shim|__wbg|__wbindgen|describe/],
  ["allocator (talc; dlmalloc before)", /talc|dlmalloc|raw_vec|__rust_alloc|__rust_dealloc|__rust_realloc|__rdl_|alloc::alloc/],
  ["drop glue", /drop_in_place|drop_glue/],
  ["tasklane-core engine", /tasklane_core::engine/],
  ["tasklane-core webhook", /tasklane_core::webhook/],
  ["tasklane-core proxy", /tasklane_core::proxy/],
  ["tasklane-core profiles + reader", /tasklane_core::(profile|profile_reader|dialects)/],
  ["tasklane-core other (normalize, request, ...)", /tasklane_core/],
  ["shell request reading (webhook, proxy)", /tasklane::request/],
  ["shell webhook", /tasklane::webhook/],
  ["shell proxy", /tasklane::proxy/],
  ["shell client, driver, convert, store", /tasklane::/],
  ["core/alloc/std other", /./],
];

/** `{area: bytes}` of a wasm file with a name section (custom sections left out). */
export function areas(file) {
  const csv = execFileSync("twiggy", ["top", "-n", "1000000", "--format", "csv", file], { maxBuffer: 1 << 28 }).toString();
  const sums = new Map(AREAS.map(([a]) => [a, { bytes: 0, top: [] }]));
  let total = 0;
  for (const line of csv.trim().split("\n").slice(1)) {
    const m = line.match(/^(?:"((?:[^"]|"")*)"|([^,]*)),(\d+),/);
    if (!m) continue;
    // v0 mangling (the nightly build) writes `crate[hash]::`; legacy names end in `::h<hash>`.
    const name = (m[1] ?? m[2]).replace(/""/g, '"').replace(/\[[0-9a-f]+\]/g, "");
    const size = Number(m[3]);
    if (/^custom section|subsection/.test(name)) continue;
    total += size;
    const [a] = AREAS.find(([, re]) => re.test(name));
    const s = sums.get(a);
    s.bytes += size;
    s.top.push([size, name]);
  }
  return { total, sums };
}

/** A copy of the release wasm built like pkg/dist's (wasm-bindgen, wasm-opt -Oz) with names kept. */
export function namedBuild() {
  const raw = path.join(root, "target/wasm32-unknown-unknown/release/tasklane.wasm");
  statSync(raw);
  const dir = mkdtempSync(path.join(tmpdir(), "tasklane-areas-"));
  execFileSync("wasm-bindgen", ["--target", "web", "--keep-debug", "--out-dir", dir, raw]);
  const out = path.join(dir, "named.wasm");
  execFileSync(path.join(root, "node_modules/.bin/wasm-opt"), ["-Oz", "-Oz", "-g", "--strip-dwarf", "--zero-filled-memory", "--low-memory-unused",
    "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
    "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue",
    path.join(dir, "tasklane_bg.wasm"), "-o", out]);
  return out;
}

export function table(file, top = 0) {
  const { total, sums } = areas(file);
  let md = `| area | bytes | share |\n|---|---:|---:|\n`;
  for (const [a, s] of [...sums].sort((x, y) => y[1].bytes - x[1].bytes)) {
    if (!s.bytes) continue;
    md += `| ${a} | ${s.bytes} | ${((100 * s.bytes) / total).toFixed(1)} % |\n`;
    for (const [n, f] of s.top.sort((x, y) => y[0] - x[0]).slice(0, top)) md += `| &nbsp;&nbsp;${f.slice(0, 90).replace(/\|/g, "\\|")} | ${n} | |\n`;
  }
  md += `| **total (code + data, no names)** | **${total}** | |\n`;
  return md;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const i = args.indexOf("--top");
  const top = i >= 0 ? Number(args.splice(i, 2)[1]) : 0;
  console.log(table(args[0] ?? namedBuild(), top));
}
