// The public surface of `tasklane/webhook`: the webhook receiver alone (a build without
// the polling client's engine driver, fetch and stores, and without the proxy), shared by
// its four runtime entries (see ../shared.js). `TaskError` is here because bad options
// throw `TaskError{code: "invalid_argument"}`; a refused delivery is a `WebhookError`.
import * as glue from "./dist/tasklane_webhook.js";
import { bindBuild } from "../bind.js";

export { verifyWebhook, createWebhookHandler, signWebhook } from "./dist/tasklane_webhook.js";
export { TaskError, WebhookError } from "../errors.js";
export { profiles } from "../bind.js";
/** Resolved: every entry instantiates the wasm before its importers run. */
export const ready = Promise.resolve();

/**
 * @internal Called once by the runtime entry after the wasm is instantiated. The default
 * export, so the entries' `export * from "./shared.js"` leaves it out of the public names.
 */
export default function bind() {
  bindBuild(glue);
}
