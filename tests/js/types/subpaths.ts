// Compiled with `tsc --noEmit` by tests/js/types.test.mjs: the subpath entries
// `tasklane/client`, `tasklane/webhook` and `tasklane/proxy` declare what they export, the
// same types as the root's (one declaration, re-exported), and not the other builds' names.
import {
  TaskClient, TaskError, profiles, indexedDBStore, ready,
  type TaskUpdate, type TaskClientOptions, type TaskStore,
} from "tasklane/client";
import {
  verifyWebhook, createWebhookHandler, signWebhook, WebhookError, TaskError as WebhookTaskError,
  profiles as webhookProfiles, ready as webhookReady,
  type WebhookHandlerOptions, type TaskUpdate as WebhookTaskUpdate,
} from "tasklane/webhook";
import {
  createProxyHandler, TaskError as ProxyTaskError, profiles as proxyProfiles, ready as proxyReady,
  type ProxyOptions,
} from "tasklane/proxy";
import { TaskError as RootTaskError, type TaskUpdate as RootTaskUpdate } from "tasklane";
// @ts-expect-error the client build has no webhook verifier
import { verifyWebhook as notInClient } from "tasklane/client";
// @ts-expect-error the client build has no proxy
import { createProxyHandler as proxyNotInClient } from "tasklane/client";
// @ts-expect-error the webhook build has no TaskClient
import { TaskClient as notInWebhook } from "tasklane/webhook";
// @ts-expect-error the webhook build has no proxy
import { createProxyHandler as proxyNotInWebhook } from "tasklane/webhook";
// @ts-expect-error the proxy build has no TaskClient
import { TaskClient as notInProxy } from "tasklane/proxy";
// @ts-expect-error the proxy build has no webhook verifier
import { verifyWebhook as webhookNotInProxy } from "tasklane/proxy";
// @ts-expect-error the proxy build never throws a WebhookError, and does not export it
import { WebhookError as errorNotInProxy } from "tasklane/proxy";

export async function subpaths(request: Request): Promise<void> {
  await Promise.all([ready, webhookReady, proxyReady]);
  const options: TaskClientOptions = { provider: webhookProfiles.apixo, baseUrl: "https://acme.example" };
  const store: TaskStore = indexedDBStore();
  const client = new TaskClient({ ...options, store });
  // An update verified by the webhook build is what the client build's deliver takes.
  const update: WebhookTaskUpdate = await verifyWebhook(request, { provider: "apixo", secret: "whsec_x" });
  const same: RootTaskUpdate = update;
  const fromClient: TaskUpdate = same;
  client.deliver(fromClient);
  const handlerOptions: WebhookHandlerOptions = { provider: profiles.mirako, secret: "whsec_x", onUpdate: (u) => { client.deliver(u); } };
  createWebhookHandler(handlerOptions);
  const proxyOptions: ProxyOptions = { provider: proxyProfiles.queue, baseUrl: "https://queue.example", apiKey: "k" };
  const proxy: (request: Request) => Promise<Response> = createProxyHandler(proxyOptions);
  // A client whose requests go through the proxy build's handler.
  new TaskClient({ provider: "queue", baseUrl: "https://app.example/api", fetch: (url, init) => proxy(new Request(url, init)) });
  signWebhook("{}", { secret: "whsec_x" });
  const e: unknown = null;
  // One class: a TaskError of any entry is the root's.
  if (e instanceof WebhookTaskError) { const root: RootTaskError = e; void root; }
  if (e instanceof ProxyTaskError) { const root: RootTaskError = e; void root; }
  if (e instanceof WebhookError) void e.status;
  void notInClient; void proxyNotInClient; void notInWebhook; void proxyNotInWebhook;
  void notInProxy; void webhookNotInProxy; void errorNotInProxy;
}
