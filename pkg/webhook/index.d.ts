// `tasklane/webhook`: the webhook receiver alone, a build without the polling client and
// the proxy. The declarations are those of the full package (../index.d.ts).
export {
  verifyWebhook, createWebhookHandler, signWebhook, TaskError, WebhookError, profiles, ready,
} from "../index.js";
export type {
  TaskState, Json, Output, TaskUpdate, TaskErrorCode, DialectName, ProviderProfile,
  WebhookOptions, WebhookDedupeStore, WebhookHandlerOptions,
} from "../index.js";
