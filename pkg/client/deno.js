// Deno entry of `tasklane/client`: instantiates the wasm (from disk or fetched) before
// importers run.
import * as glue from "./dist/tasklane_client.js";
import { load } from "../load/deno.js";
import bind from "./shared.js";

await load(glue, new URL("./dist/tasklane_client_bg.wasm", import.meta.url));
bind();

export * from "./shared.js";
