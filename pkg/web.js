// Browser (and default) entry: fetch and instantiate the .wasm next to this file with a
// top-level await, so importers see a ready module. Bundlers must ship
// dist/tasklane_bg.wasm at the same relative place (`new URL(..., import.meta.url)`).
import init from "./dist/tasklane.js";
import { bind } from "./shared.js";

await init({ module_or_path: new URL("./dist/tasklane_bg.wasm", import.meta.url) });
bind();

export * from "./shared.js";
/** Resolved: the top-level await above has already instantiated the module. */
export const ready = Promise.resolve();
