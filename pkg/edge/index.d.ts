// `tasklane/edge`: webhooks and the proxy alone, a build without the polling client. The
// declarations are those of the full package (../index.d.ts).
export {
  verifyWebhook, createWebhookHandler, signWebhook, createProxyHandler, TaskError, WebhookError,
  profiles, ready,
} from "../index.js";
export type {
  TaskState, Json, Output, TaskUpdate, TaskErrorCode, DialectName, ProviderProfile,
  WebhookOptions, WebhookDedupeStore, WebhookHandlerOptions, ProxyOptions,
} from "../index.js";
