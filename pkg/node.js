// Node entry: read the .wasm next to this file and instantiate it synchronously.
import { readFileSync } from "node:fs";
import { initSync } from "./dist/tasklane.js";
import { bind } from "./shared.js";

initSync({ module: readFileSync(new URL("./dist/tasklane_bg.wasm", import.meta.url)) });
bind();

export * from "./shared.js";
/** Resolved: in Node the module is ready as soon as it is imported. */
export const ready = Promise.resolve();
