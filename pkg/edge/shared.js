// The public surface of `tasklane/edge`: webhooks and the proxy alone (a build without the
// polling client's engine driver, fetch and stores), shared by its four runtime entries
// (see ../shared.js). `TaskError` is here because bad options throw
// `TaskError{code: "invalid_argument"}`.
import * as glue from "./dist/tasklane_edge.js";
import { bindBuild } from "../bind.js";

export {
  verifyWebhook, createWebhookHandler, signWebhook, createProxyHandler,
} from "./dist/tasklane_edge.js";
export { TaskError, WebhookError } from "../errors.js";
export { profiles } from "../bind.js";
/** Resolved: every entry instantiates the wasm before its importers run. */
export const ready = Promise.resolve();

/** @internal Called once by the runtime entry after the wasm is instantiated. */
export const bind = () => bindBuild(glue);
