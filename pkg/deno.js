// Deno entry: read the .wasm from disk when the package is local (npm: or file:),
// otherwise fetch it, then instantiate before importers run.
import init, { initSync } from "./dist/tasklane.js";
import { bind } from "./shared.js";

const url = new URL("./dist/tasklane_bg.wasm", import.meta.url);
if (url.protocol === "file:") {
  initSync({ module: await Deno.readFile(url) });
} else {
  await init({ module_or_path: url });
}
bind();

export * from "./shared.js";
/** Resolved: the module is instantiated before this entry finishes loading. */
export const ready = Promise.resolve();
