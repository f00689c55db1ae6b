// The public surface of `tasklane/client`: the polling client alone (a build without the
// webhook verifier and the proxy), shared by its four runtime entries (see ../shared.js).
// `TaskClient.deliver(update)` takes an update from `verifyWebhook` of `tasklane/webhook`
// (or of another process): both builds share errors.js and read the same `TaskUpdate` shape.
import * as glue from "./dist/tasklane_client.js";
import { bindBuild } from "../bind.js";
import { indexedDBStore } from "../idb-store.js";

export { TaskClient } from "./dist/tasklane_client.js";
export { indexedDBStore };
export { TaskError } from "../errors.js";
export { profiles } from "../bind.js";
/** Resolved: every entry instantiates the wasm before its importers run. */
export const ready = Promise.resolve();

/**
 * @internal Called once by the runtime entry after the wasm is instantiated. The default
 * export, so the entries' `export * from "./shared.js"` leaves it out of the public names.
 */
export default function bind() {
  bindBuild(glue, indexedDBStore);
}
