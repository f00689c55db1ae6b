// The public surface of the full build (`tasklane`), shared by its four runtime entries.
// The entries instantiate the wasm first (load/*.js), then call `bind()` so what comes out
// of the wasm (`profiles`) is set before any user code runs. The other builds have the same
// file for their part: client/shared.js, webhook/shared.js, proxy/shared.js.
import * as glue from "./dist/tasklane.js";
import { bindBuild } from "./bind.js";
import { indexedDBStore } from "./idb-store.js";

// The public names, listed so internals (initSync, start, __*) stay private.
// tests/js/types.test.mjs checks this list against index.d.ts both ways.
export {
  TaskClient, verifyWebhook, createWebhookHandler, signWebhook, createProxyHandler,
} from "./dist/tasklane.js";
export { indexedDBStore };
export { TaskError, WebhookError } from "./errors.js";
export { profiles } from "./bind.js";
/** Resolved: every entry instantiates the wasm before its importers run. */
export const ready = Promise.resolve();

/**
 * @internal Called once by the runtime entry after the wasm is instantiated. The default
 * export, so the entries' `export * from "./shared.js"` leaves it out of the public names.
 */
export default function bind() {
  bindBuild(glue, indexedDBStore);
}
