// The package's public surface, shared by every runtime entry. The entries instantiate
// the wasm first, then call `bind()` so the values that come out of the wasm
// (`TaskError`, `WebhookError`, `profiles`) are set before any user code runs.
import * as wasm from "./dist/tasklane.js";

// The public names, listed so internals (initSync, start, __*) stay private.
// tests/js/types.test.mjs checks this list against index.d.ts both ways.
export {
  TaskClient, verifyWebhook, createWebhookHandler, signWebhook, createProxyHandler,
} from "./dist/tasklane.js";
export { indexedDBStore } from "./idb-store.js";
import { indexedDBStore } from "./idb-store.js";

/** The error class of every failed task operation (see index.d.ts). */
export let TaskError;
/** The error class of a refused webhook delivery (see index.d.ts). */
export let WebhookError;
/** The four built-in dialects as plain profile objects. */
export let profiles;

/** @internal Called once by the runtime entry after the wasm is instantiated. */
export function bind() {
  TaskError = wasm.__taskErrorClass();
  WebhookError = wasm.__webhookErrorClass();
  profiles = Object.freeze(wasm.__profiles());
  // `store: "indexedDB"` builds this same store inside the wasm.
  wasm.__setIndexedDBStore(indexedDBStore);
}
