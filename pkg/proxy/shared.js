// The public surface of `tasklane/proxy`: `createProxyHandler` alone (a build without the
// polling client and the webhook receiver), shared by its four runtime entries (see
// ../shared.js). `TaskError` is here because bad options throw
// `TaskError{code: "invalid_argument"}`; the proxy answers refused requests with a
// `Response` and never throws a `WebhookError`, so that class is not exported here.
import * as glue from "./dist/tasklane_proxy.js";
import { bindBuild } from "../bind.js";

export { createProxyHandler } from "./dist/tasklane_proxy.js";
export { TaskError } from "../errors.js";
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
