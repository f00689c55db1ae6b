// Browser (and default) entry of `tasklane`: instantiates the wasm with a top-level await,
// so importers see a ready module. Bundlers must ship dist/tasklane_bg.wasm at the same
// relative place (`new URL(..., import.meta.url)`).
import * as glue from "./dist/tasklane.js";
import { load } from "./load/web.js";
import bind from "./shared.js";

await load(glue, new URL("./dist/tasklane_bg.wasm", import.meta.url));
bind();

export * from "./shared.js";
