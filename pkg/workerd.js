// Cloudflare Workers (workerd) entry: Workers refuse to compile wasm from bytes at run
// time, so the .wasm is imported as a module (CompiledWasm) and instantiated from it.
import module from "./dist/tasklane_bg.wasm";
import { initSync } from "./dist/tasklane.js";
import { bind } from "./shared.js";

initSync({ module });
bind();

export * from "./shared.js";
/** Resolved: in workerd the module is ready as soon as it is imported. */
export const ready = Promise.resolve();
