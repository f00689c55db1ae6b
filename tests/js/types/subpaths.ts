// Compiled with `tsc --noEmit` by tests/js/types.test.mjs: the subpath entries
// `tasklane/client` and `tasklane/edge` declare what they export, the same types as the
// root's (one declaration, re-exported), and not the other side's names.
import {
  TaskClient, TaskError, profiles, indexedDBStore, ready,
  type TaskUpdate, type TaskClientOptions, type TaskStore,
} from "tasklane/client";
import {
  verifyWebhook, createWebhookHandler, signWebhook, createProxyHandler, WebhookError, TaskError as EdgeTaskError,
  profiles as edgeProfiles,
  type WebhookHandlerOptions, type ProxyOptions,
} from "tasklane/edge";
import { TaskError as RootTaskError, type TaskUpdate as RootTaskUpdate } from "tasklane";
// @ts-expect-error the client build has no webhook verifier
import { verifyWebhook as notInClient } from "tasklane/client";
// @ts-expect-error the edge build has no TaskClient
import { TaskClient as notInEdge } from "tasklane/edge";

export async function subpaths(request: Request): Promise<void> {
  await ready;
  const options: TaskClientOptions = { provider: edgeProfiles.apixo, baseUrl: "https://acme.example" };
  const store: TaskStore = indexedDBStore();
  const client = new TaskClient({ ...options, store });
  // An update verified by the edge build is what the client build's deliver takes.
  const update: TaskUpdate = await verifyWebhook(request, { provider: "apixo", secret: "whsec_x" });
  const same: RootTaskUpdate = update;
  client.deliver(same);
  const handlerOptions: WebhookHandlerOptions = { provider: profiles.mirako, secret: "whsec_x", onUpdate: (u) => { client.deliver(u); } };
  createWebhookHandler(handlerOptions);
  const proxyOptions: ProxyOptions = { provider: "queue", baseUrl: "https://queue.example", apiKey: "k" };
  createProxyHandler(proxyOptions);
  signWebhook("{}", { secret: "whsec_x" });
  const e: unknown = null;
  // One class: a TaskError of any entry is the root's.
  if (e instanceof EdgeTaskError) { const root: RootTaskError = e; void root; }
  if (e instanceof WebhookError) void e.status;
  void notInClient; void notInEdge;
}
