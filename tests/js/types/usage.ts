// Compiled with `tsc --noEmit` by tests/js/types.test.mjs: every public name of API.md
// used the way the README shows, so a wrong or missing declaration fails the test.
import {
  TaskClient, TaskError, WebhookError, profiles, ready, verifyWebhook, createWebhookHandler, signWebhook, createProxyHandler, indexedDBStore,
  type TaskUpdate, type TaskEvent, type TaskState, type TaskStore, type ProviderProfile, type TaskErrorCode,
} from "tasklane";

export async function main(): Promise<void> {
  await ready;
  const store: TaskStore = { put() {}, delete() {}, list: async () => [] };
  const client = new TaskClient({
    provider: "queue",
    baseUrl: "http://127.0.0.1:8787/queue",
    apiKey: "sim-key",
    headers: { "x-app": "demo" },
    fetch: globalThis.fetch,
    poll: { initialDelayMs: 500, maxDelayMs: 10_000, multiplier: 1.5, jitter: 0.2, timeoutMs: 60_000, requestTimeoutMs: 30_000 },
    store,
  });
  const fifth: ProviderProfile = { ...profiles.apixo, name: "acme" };
  new TaskClient({ provider: fifth, baseUrl: "https://acme.example", store: "localStorage" });

  const ctrl = new AbortController();
  const sub: TaskUpdate = await client.submit({ endpoint: "fal-ai/flux/dev", input: { prompt: "p" }, webhook: { url: "https://x", authToken: "t" } });
  const state: TaskState = sub.state;
  const done = await client.wait(sub.id, { signal: ctrl.signal, onUpdate: (u) => u.queuePosition, timeoutMs: 1000, endpoint: "fal-ai/flux/dev" });
  const urls: string[] = (done.outputs ?? []).map((o) => o.url);
  await client.run({ model: "m", input: {} }, { timeoutMs: 5 });
  await client.status(sub.id, { endpoint: "e" });
  for await (const u of client.watch(sub.id)) void u.rawStatus;
  await client.cancel(sub.id, "reason");
  const events: TaskEvent[] = await client.events(sub.id, { limit: 10, offset: 0 });
  const ids: string[] = await client.pending();
  const ends: TaskUpdate[] = await client.resume();
  void [state, urls, events, ids, ends];

  try { await client.run({ input: {} }); } catch (e) {
    if (e instanceof TaskError) {
      const code: TaskErrorCode = e.code;
      const status: number | undefined = e.httpStatus;
      void [code, status, e.taskId, e.update?.state, e.name satisfies "TaskError"];
    }
  }

  const headers: Record<string, string> = signWebhook("{}", { secret: "whsec_AAAA", id: "msg_1", timestamp: 1 });
  const req = new Request("https://x", { method: "POST", body: "{}", headers });
  try { await verifyWebhook(req, { provider: "mirako", authToken: "t", toleranceSec: 300, maxBodyBytes: 1024 }); } catch (e) {
    if (e instanceof WebhookError) void [e.status, e.code];
  }
  const handler = createWebhookHandler<{ KV: string }>({ provider: profiles.queue, secret: "whsec_AAAA", onUpdate: async (u, _r, env) => { void [u.id, env?.KV]; } });
  const res: Response = await handler(req);
  void res;
  const proxy = createProxyHandler({
    provider: "queue", baseUrl: "https://queue.example", apiKey: "k",
    authorize: async (r) => r.headers.has("cookie"), allow: { endpoints: ["fal-ai/flux/dev"] }, allowOrigins: ["https://app.example"], maxBodyBytes: 65_536,
  });
  const proxied: Response = await proxy(req, {}, {});
  void proxied;
  const limited = createProxyHandler<{ LIMITS: Map<string, number> }>({
    provider: "apixo", baseUrl: "https://api.example", apiKey: "k", upstreamTimeoutMs: 10_000,
    rateLimit: async (r, env) => (env?.LIMITS.get(r.headers.get("x-user") ?? "") ?? 0),
  });
  void limited;
  // @ts-expect-error rateLimit answers a boolean or a number of seconds
  createProxyHandler({ provider: "apixo", baseUrl: "https://api.example", apiKey: "k", rateLimit: () => "later" });

  // @ts-expect-error an unknown provider name is a type error
  new TaskClient({ provider: "nope", baseUrl: "x" });
  // @ts-expect-error input is required
  await client.submit({ model: "m" });
  // @ts-expect-error states are a closed set
  const bad: TaskState = "done";
  void bad;
}

// Under `exactOptionalPropertyTypes` (tsconfig.json), an option given as a value that may be
// `undefined` (an unset environment variable, `params.get(k) ?? undefined` as the README's
// quick starts pass `apiKey`) is accepted, as the runtime treats it as absent.
export async function maybeUndefined(env: Record<string, string | undefined>, signal?: AbortSignal): Promise<void> {
  const client = new TaskClient({
    provider: "queue", baseUrl: env.BASE_URL ?? "https://queue.example", apiKey: env.API_KEY,
    headers: undefined, fetch: undefined, store: undefined, limits: { maxInFlightPerHost: undefined, maxPerSecond: undefined },
    poll: { initialDelayMs: undefined, maxDelayMs: undefined, multiplier: undefined, jitter: undefined, timeoutMs: undefined, requestTimeoutMs: undefined, maxRetries: undefined, safetyNetMs: undefined, adaptive: undefined },
  });
  const req = { endpoint: env.ENDPOINT, model: env.MODEL, operation: undefined, taskType: undefined, idempotencyKey: env.KEY, metadata: undefined, webhook: { url: "https://x", authToken: env.TOKEN } };
  await client.run({ ...req, input: {} }, { signal, onUpdate: undefined, timeoutMs: undefined, expectWebhook: undefined, cancelOnTimeout: undefined });
  await client.events("id", { endpoint: env.ENDPOINT, limit: undefined, offset: undefined });
  void indexedDBStore({ name: env.DB });
  signWebhook("{}", { secret: "whsec_AAAA", id: env.ID, timestamp: undefined });
  await verifyWebhook({ method: undefined, headers: {}, body: "{}" }, { provider: "queue", authToken: env.TOKEN, secret: env.SECRET, toleranceSec: undefined, maxBodyBytes: undefined, hmac: undefined });
  createWebhookHandler({ provider: "queue", secret: env.SECRET, store: undefined, dedupeTtlSec: undefined, onUpdate() {} });
  createProxyHandler({
    provider: "queue", baseUrl: "https://queue.example", apiKey: env.API_KEY ?? "", authorize: undefined, rateLimit: undefined,
    allow: { models: undefined, operations: undefined, endpoints: undefined, taskTypes: undefined }, allowOrigins: undefined,
    maxBodyBytes: undefined, upstreamTimeoutMs: undefined, basePath: env.BASE_PATH, fetch: undefined,
  });
  // Errors built by hand, as a test's mock fetch or store would.
  const mocked: TaskError = new TaskError("network", "offline", "t1");
  const refused: WebhookError = new WebhookError(401, "bad_signature", "no");
  void [mocked.code, refused.status];
}
