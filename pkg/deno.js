// Deno entry of `tasklane`: instantiates the wasm (from disk or fetched) before importers run.
import * as glue from "./dist/tasklane.js";
import { load } from "./load/deno.js";
import bind from "./shared.js";

await load(glue, new URL("./dist/tasklane_bg.wasm", import.meta.url));
bind();

export * from "./shared.js";
