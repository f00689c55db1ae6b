// Type declarations of the `tasklane` package (the contract in API.md).

/** The normalized state of a task; `queued` and `running` are live, the rest terminal. */
export type TaskState = "queued" | "running" | "succeeded" | "failed" | "canceled" | "timed_out";

/** JSON as parsed from a provider's body. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One file a task produced. A base64 image becomes a `data:` URL. */
export interface Output {
  /** Where the file is (`https:` or `data:` URL). */
  url: string;
  /** What kind of file it is. */
  kind: "image" | "video" | "audio" | "file";
}

/** A task as one status answer (or webhook) showed it, the same for every dialect. */
export interface TaskUpdate {
  /** The provider's task id. */
  id: string;
  /** The normalized state. */
  state: TaskState;
  /** The provider's own status value, as a string (mindproxy `4` is `"4"`). */
  rawStatus: string;
  /** Position in the provider's queue, when it says. */
  queuePosition?: number;
  /** Milliseconds until the task is expected to finish. */
  etaMs?: number;
  /** Why the task did not succeed. */
  error?: { code: string; message: string };
  /** The files it produced (on success). */
  outputs?: Output[];
  /** How long the provider says it ran, in milliseconds. */
  costMs?: number;
  /**
   * The provider's body as parsed JSON. On an update from `verifyWebhook` or a webhook
   * handler it is parsed on first read (an enumerable accessor that then becomes an
   * ordinary property), so code that only reads the normalized fields skips that parse.
   */
  raw: Json;
}

/** One entry of a task's event log (dialects with events, e.g. mindproxy). */
export interface TaskEvent {
  /** The event's id, when the provider gives one. */
  id?: string;
  /** The event type, when given. */
  type?: string;
  /** The provider's status value at that event. */
  rawStatus?: string;
  /** The normalized state at that event, when the status maps to one. */
  state?: TaskState;
  /** A human-readable message. */
  message?: string;
  /** When it happened, as the provider wrote it. */
  createdAt?: string;
  /** The provider's entry as parsed JSON. */
  raw: Json;
}

/** The stable codes of {@link TaskError}. */
export type TaskErrorCode =
  | "failed"
  | "canceled"
  | "timed_out"
  | "wait_timeout"
  | "aborted"
  | "http"
  | "bad_response"
  | "network"
  | "unsupported"
  | "invalid_argument"
  /**
   * The task store refused a submitted task's record (its `put` threw or rejected, or
   * localStorage was full): the task exists at the vendor (`taskId`, `update`), but
   * `pending()` / `resume()` will not find it.
   */
  | "store";

/** How a task operation fails: the task's own end, our timeout, the signal, HTTP or bad input. */
export class TaskError extends Error {
  /** Always `"TaskError"`. */
  readonly name: "TaskError";
  /** The stable code. */
  readonly code: TaskErrorCode;
  /** The task this is about, when known. */
  readonly taskId?: string;
  /** The HTTP status of the answer that ended it, when there was one. */
  readonly httpStatus?: number;
  /** The last update seen, for the task's own ends and `wait_timeout`. */
  readonly update?: TaskUpdate;
  /** `resume()` only: the updates of the tasks whose waits did see one. */
  readonly updates?: TaskUpdate[];
  /** `resume()` only: the error of each wait that stopped before any update of its task. */
  readonly errors?: TaskError[];
  /** For tests and mocks: the library builds its own. */
  constructor(code: TaskErrorCode, message: string, taskId?: string, httpStatus?: number, update?: TaskUpdate);
}

/** How a webhook delivery is refused (400 malformed, 401 bad auth, 405 not POST, 413 too large). */
export class WebhookError extends Error {
  /** Always `"WebhookError"`. */
  readonly name: "WebhookError";
  /** The HTTP status to answer with. */
  readonly status: 400 | 401 | 405 | 413;
  /** The stable code. */
  readonly code: string;
  /** For tests and mocks: the library builds its own. */
  constructor(status: 400 | 401 | 405 | 413, code: string, message: string);
}

/** The name of a built-in dialect. */
export type DialectName = "mirako" | "apixo" | "mindproxy" | "queue";

/**
 * A dialect as data: paths, field locations, state map, where results and errors are.
 * Start from a copy of one of {@link profiles} to describe a fifth provider.
 */
export interface ProviderProfile {
  /** The profile's name (used in messages). */
  name: string;
  /** The rest of the profile: see the built-in profiles for the fields. */
  [field: string]: Json;
}

/** The four built-in dialects as plain profile objects. */
export declare const profiles: Readonly<Record<DialectName, ProviderProfile>>;

/** Polling and timeouts. */
export interface PollOptions {
  /** The first wait after submit, in milliseconds. */
  initialDelayMs?: number | undefined;
  /** The longest wait between two polls. */
  maxDelayMs?: number | undefined;
  /** How much each wait grows. */
  multiplier?: number | undefined;
  /** Random spread of each wait, 0..1. */
  jitter?: number | undefined;
  /** The whole wait; finite by default. */
  timeoutMs?: number | undefined;
  /** One HTTP request. */
  requestTimeoutMs?: number | undefined;
  /** Consecutive transient failures (network, 408, 429, 5xx) tolerated before `network`; default 10. */
  maxRetries?: number | undefined;
  /** Poll interval while a webhook is expected to bring the end (`expectWebhook`); default 30 000. */
  safetyNetMs?: number | undefined;
  /**
   * Use hints (queue position, durations learned per model) to poll near the expected end,
   * and keep a running task's delay within a tenth of its running time; default true.
   */
  adaptive?: boolean | undefined;
}

/** Request budgets of one client, per vendor host. */
export interface Limits {
  /** Polling requests (status and result reads) in flight per host; default 16. */
  maxInFlightPerHost?: number | undefined;
  /** Polling requests started per host in any one-second window; default: no cap. */
  maxPerSecond?: number | undefined;
}

/** What the client remembers about a submitted task so it can follow it later. */
export interface TaskRecord {
  /** The task id. */
  id: string;
  /** The rest of what the dialect needs (model, URLs...), as plain JSON. */
  [field: string]: Json;
}

/** Where live task ids are remembered (e.g. a database or IndexedDB wrapper). */
export interface TaskStore {
  /**
   * Remembers (or replaces) a record. `submit` resolves only after a returned promise
   * resolved, and rejects with `TaskError{code: "store"}` when it rejects.
   */
  put(id: string, record: StoredRecord): void | Promise<void>;
  /** Forgets a task (it reached a terminal state). A failure is only logged. */
  delete(id: string): void | Promise<void>;
  /** Every remembered record. */
  list(): StoredRecord[] | Promise<StoredRecord[]>;
  /** Optional: the record stored under `id` (used to read the estimates at start). */
  get?(id: string): StoredRecord | null | undefined | Promise<StoredRecord | null | undefined>;
}

/**
 * The learned per-model durations (`etaMs`, adaptive polling) of one provider, kept in the
 * store under the reserved id `"tasklane:estimates:<provider name>"` (never listed by
 * `pending()`), so a client built later over the same store starts with them. One record
 * per provider: clients of several providers can share a store.
 */
export interface EstimatesRecord {
  /** `"tasklane:estimates:"` and the provider's name, e.g. `"tasklane:estimates:queue"`. */
  id: `tasklane:estimates:${string}`;
  /** One entry per model: finished tasks seen, mean and variance of ln(duration in ms). */
  estimates: { key: string; count: number; logMean: number; logVar: number }[];
}

/** What a {@link TaskStore} holds: task records and the estimates record. */
export type StoredRecord = TaskRecord | EstimatesRecord;

/**
 * A `TaskStore` in IndexedDB (browsers): records survive a reload, like `"localStorage"`,
 * without its quota or synchronous writes. `name` is the database name (default `"tasklane"`).
 *
 * ```js
 * const client = new TaskClient({ provider: "queue", baseUrl, store: indexedDBStore() });
 * await client.resume(); // after a reload: waits on every task still pending
 * ```
 */
export function indexedDBStore(options?: { name?: string | undefined }): TaskStore & {
  /** The record of `id`, or `null`. */
  get(id: string): Promise<StoredRecord | null>;
};

/** The options of `new TaskClient(...)`. */
export interface TaskClientOptions {
  /** A built-in dialect name or a profile object. */
  provider: DialectName | ProviderProfile;
  /** The provider's base URL, e.g. `https://api.example.com` or an edge proxy. */
  baseUrl: string;
  /**
   * Sent as `Authorization: Bearer <apiKey>`, only to `baseUrl`'s origin: a status,
   * result or cancel URL the vendor hands out on another origin is not followed (the
   * dialect's path below `baseUrl` is used), or, where the dialect has no such path, is
   * requested without the key and `headers`.
   */
  apiKey?: string | undefined;
  /**
   * Extra headers on every request to `baseUrl`'s origin (see `apiKey`). One with the name
   * of a header tasklane sets, in any case, replaces it: `authorization` replaces the
   * `apiKey`'s, `content-type` the JSON body's.
   */
  headers?: Record<string, string> | undefined;
  /** The fetch to use; default `globalThis.fetch`. */
  fetch?: typeof fetch | undefined;
  /** Polling and timeouts. */
  poll?: PollOptions | undefined;
  /** Request budgets per vendor host. */
  limits?: Limits | undefined;
  /**
   * Where live task ids (and learned durations) are remembered; default `"memory"`.
   * `"indexedDB"` is {@link indexedDBStore}`()` (browsers; `invalid_argument` where the
   * runtime has no IndexedDB).
   */
  store?: "memory" | "localStorage" | "indexedDB" | TaskStore | undefined;
}

/** What to submit. Which fields matter depends on the dialect (see API.md). */
export interface SubmitRequest {
  /** apixo: the path's `{model}`; mindproxy: `public_model`. */
  model?: string | undefined;
  /** mirako: the path's `{operation}` (default `avatar/async_generate`). */
  operation?: string | undefined;
  /** queue: the path's `{endpoint}`, e.g. `fal-ai/flux/dev`. */
  endpoint?: string | undefined;
  /** mindproxy: `task_type`. */
  taskType?: string | undefined;
  /** The model's input (e.g. `{prompt}`). */
  input: { [field: string]: Json };
  /** Ask the provider to call this URL when the task ends. */
  webhook?: { url: string; authToken?: string | undefined } | undefined;
  /** Protects the submit so it can be retried; generated when the dialect supports it. */
  idempotencyKey?: string | undefined;
  /** mindproxy: `metadata_json`. */
  metadata?: { [field: string]: Json } | undefined;
}

/** For an id this client never submitted: what the dialect needs to follow it. */
export interface TaskLocator {
  /** apixo / mindproxy model. */
  model?: string | undefined;
  /** mirako operation. */
  operation?: string | undefined;
  /** queue endpoint. */
  endpoint?: string | undefined;
}

/** The options of `wait`, `run`, `watch` and `resume`. */
export interface WaitOptions extends TaskLocator {
  /** Aborts the wait: it rejects with `TaskError{code: "aborted"}` and sends nothing more. */
  signal?: AbortSignal | undefined;
  /** Called with every change of state or queue position. */
  onUpdate?: ((update: TaskUpdate) => void) | undefined;
  /** Overrides `poll.timeoutMs` for this wait. */
  timeoutMs?: number | undefined;
  /**
   * A webhook will bring the end through {@link TaskClient.deliver}: poll only at the slow
   * safety-net rate (`poll.safetyNetMs`). `run` sets it when `req.webhook` is given.
   */
  expectWebhook?: boolean | undefined;
  /**
   * When `timeoutMs` runs out (`TaskError{code: "wait_timeout"}`), first cancel the task at
   * the vendor, where the dialect can cancel, so it stops billing; the rejection is the same,
   * unless that cancel finds the task already ended: then the wait settles as that end.
   */
  cancelOnTimeout?: boolean | undefined;
}

/** The options of `events`. */
export interface EventsOptions extends TaskLocator {
  /** At most this many events. */
  limit?: number | undefined;
  /** Skip this many. */
  offset?: number | undefined;
}

/** One client for one provider: submit, follow, cancel tasks. */
export class TaskClient {
  /** Throws `TaskError{code: "invalid_argument"}` naming the bad option. */
  constructor(options: TaskClientOptions);
  /** Submits a task; resolves with `{id, state: "queued", ...}`. */
  submit(req: SubmitRequest): Promise<TaskUpdate>;
  /** One status request, normalized. */
  status(id: string, opts?: TaskLocator): Promise<TaskUpdate>;
  /** Polls until terminal; resolves when `succeeded`, rejects with `TaskError` otherwise. */
  wait(id: string, opts?: WaitOptions): Promise<TaskUpdate>;
  /** `submit` then `wait`. */
  run(req: SubmitRequest, opts?: WaitOptions): Promise<TaskUpdate>;
  /** Every change of state / queue position; ends after the terminal update. */
  watch(id: string, opts?: WaitOptions): AsyncIterable<TaskUpdate>;
  /**
   * Cancels where the dialect can; otherwise rejects `TaskError{code: "unsupported"}`.
   * Resolves with the task's state after the cancel: `canceled`, or the end it had already
   * reached (the vendor refused the cancel for that reason). A refusal while the task is
   * live rejects `TaskError{code: "http"}` with that update.
   */
  cancel(id: string, reason?: string, opts?: TaskLocator): Promise<TaskUpdate>;
  /** The task's event log, where the dialect has one. */
  events(id: string, opts?: EventsOptions): Promise<TaskEvent[]>;
  /** Ids in the store that have not reached a terminal state. */
  pending(): Promise<string[]>;
  /**
   * Waits on every pending task in the store and settles once every wait has. Resolves
   * with each task's last update: the terminal one of a task that ended (failed, canceled
   * and timed out ones included), the last live one (`queued`/`running`) of a task whose
   * wait stopped first (`timeoutMs`, a network give-up): that task stays in `pending()`.
   * When a wait stopped before any update of its task was seen, rejects with a `TaskError`
   * (that wait's `code` and `taskId`) whose `updates` holds the other tasks' updates and
   * `errors` each such wait's error: one task's failure loses no other task's result.
   */
  resume(opts?: WaitOptions): Promise<TaskUpdate[]>;
  /**
   * Hands the client an update that came by webhook (e.g. from {@link verifyWebhook}): every
   * `wait` on that task takes it as if polled, so a task completes exactly once whichever
   * path brings the end first. Returns how many waits took it.
   */
  deliver(update: TaskUpdate): number;
  /**
   * Releases the client's handle early (it is also released when garbage-collected);
   * operations already running still settle. A method called after it fails with
   * `TaskError{code: "invalid_argument"}`; a second `free()` does nothing.
   */
  free(): void;
}

/** Resolves once the WebAssembly module is ready (it already is when the import resolves). */
export declare const ready: Promise<void>;

/**
 * How a webhook delivery is authenticated and bounded (give `authToken` or `secret`). A key
 * that is none of these options (nor the handler's `onUpdate`, `store`, `dedupeTtlSec`) is
 * refused as `invalid_argument` naming it, so a misspelled option is never ignored.
 */
export interface WebhookOptions {
  /** The dialect whose status body the webhook carries (name or profile). */
  provider: DialectName | ProviderProfile;
  /** Require `Authorization: Bearer <authToken>` (compared in constant time). */
  authToken?: string | undefined;
  /** Standard Webhooks secret (`whsec_<base64>`): checks `webhook-id/-timestamp/-signature`. */
  secret?: string | undefined;
  /** Accepted clock skew of `webhook-timestamp`, in seconds (default 300). */
  toleranceSec?: number | undefined;
  /** Larger bodies are refused with 413 (default 1 MiB). */
  maxBodyBytes?: number | undefined;
  /** Where the HMAC is computed: `"auto"` (default), `"wasm"`, `"webcrypto"` or `"node"`. */
  hmac?: "auto" | "wasm" | "webcrypto" | "node" | undefined;
}

/** A key-value store for duplicate detection across instances (e.g. a Workers KV namespace). */
export interface WebhookDedupeStore {
  /** The value stored under `key`, or `null`. */
  get(key: string): Promise<string | null> | string | null | undefined;
  /** Stores `value` under `key` for `expirationTtl` seconds. */
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void> | void;
}

/** The options of {@link createWebhookHandler}. */
export interface WebhookHandlerOptions<Env = unknown, Ctx = unknown> extends WebhookOptions {
  /**
   * Called once per new delivery; the answer is 2xx only after it resolved. A duplicate is
   * acknowledged (`{ok: true, duplicate: true}`) and not passed on: a terminal update whose
   * task id and state were handled before, under any `webhook-id` (a task ends once), or a
   * live update whose `webhook-id` was.
   */
  onUpdate(update: TaskUpdate, request: Request, env?: Env, ctx?: Ctx): void | Promise<void>;
  /** Duplicate detection across instances; without it, an in-memory window. */
  store?: WebhookDedupeStore | undefined;
  /** How long a delivery is remembered, in seconds. */
  dedupeTtlSec?: number | undefined;
}

/**
 * Verifies a webhook request and returns the task update it carries; throws
 * {@link WebhookError} (400 malformed, 401 bad auth, 405 not POST, 413 too large).
 */
export declare function verifyWebhook(
  request: Request | { method?: string | undefined; headers: Headers | Record<string, string>; body: string | Uint8Array | ArrayBuffer },
  options: WebhookOptions,
): Promise<TaskUpdate>;

/** A Workers-style fetch handler that verifies, de-duplicates and passes updates to `onUpdate`. */
export declare function createWebhookHandler<Env = unknown, Ctx = unknown>(
  options: WebhookHandlerOptions<Env, Ctx>,
): (request: Request, env?: Env, ctx?: Ctx) => Promise<Response>;

/**
 * Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`) for `body`.
 * `timestamp` is in seconds (default now; a value past the year 9999, such as `Date.now()`'s
 * milliseconds, is refused) or a `Date`; `id` (default a random `msg_…`) is printable ASCII
 * without spaces, as it is sent as a header.
 */
export declare function signWebhook(
  body: string | Uint8Array,
  options: { secret: string; id?: string | undefined; timestamp?: number | Date | undefined },
): Record<string, string>;

/**
 * The options of {@link createProxyHandler}. A key that is none of these is refused as
 * `invalid_argument` naming it (a misspelled `authorize` must not leave the proxy open).
 */
export interface ProxyOptions<Env = unknown, Ctx = unknown> {
  /** The vendor's dialect (name or profile). */
  provider: DialectName | ProviderProfile;
  /** The vendor's base URL. */
  baseUrl: string;
  /** The vendor's key, sent as `Authorization: Bearer <apiKey>`; it never leaves the edge. */
  apiKey: string;
  /** Who may use the proxy; refused requests get 401/403. */
  authorize?: ((request: Request) => boolean | Promise<boolean>) | undefined;
  /**
   * A per-caller rate limit, asked after `authorize` and before the body is read, with the
   * handler's own `(request, env, ctx)` (the body must not be read here: clone the request).
   * Answer `true` or `0` to let the request through; `false` to refuse it; a positive
   * number of seconds to refuse it with `Retry-After` (rounded up). A refused request gets
   * 429 `{error: {code: "rate_limited"}}` and nothing reaches the vendor; a hook that throws,
   * rejects or answers anything else refuses too. A `TaskClient` behind the proxy waits out
   * the `Retry-After` and tries again. Where the count is kept is the app's choice (e.g. a
   * Workers rate-limiting binding or a Durable Object keyed by user).
   */
  rateLimit?: ((request: Request, env?: Env, ctx?: Ctx) => boolean | number | Promise<boolean | number>) | undefined;
  /** What may be submitted through the proxy (anything else: 403). */
  allow?: { models?: string[] | undefined; operations?: string[] | undefined; endpoints?: string[] | undefined; taskTypes?: string[] | undefined } | undefined;
  /** Origins allowed by CORS. */
  allowOrigins?: string[] | undefined;
  /** Larger request bodies are refused with 413. */
  maxBodyBytes?: number | undefined;
  /**
   * How long to wait for the vendor, in milliseconds (default 30 000; 0: no limit): for the
   * answer's headers, and for answers the proxy rewrites (queue's submit and status) their
   * whole body. Past it the vendor request is aborted and the caller gets 504
   * `{error: {code: "upstream_timeout"}}`; a vendor that cannot be reached gives 502
   * `upstream_unreachable`. Other answers (results, events...) stream through unbuffered
   * and are not cut off once they have started.
   */
  upstreamTimeoutMs?: number | undefined;
  /** The path the handler is mounted at (e.g. `/api/tasklane`), when not inferred. */
  basePath?: string | undefined;
  /** The fetch used to reach the vendor; default `globalThis.fetch`. */
  fetch?: typeof fetch | undefined;
}

/**
 * A Workers-style fetch handler that forwards one dialect's routes to the vendor with the
 * key, rewrites vendor URLs in answers to point back at itself, and refuses everything else
 * with a JSON error `{error: {code, message}}`: 401 `unauthorized`, 403 `forbidden` /
 * `origin_not_allowed`, 404, 405, 413 `body_too_large`, 429 `rate_limited`; 502/504 when
 * the vendor cannot be reached or does not answer in time.
 */
export declare function createProxyHandler<Env = unknown, Ctx = unknown>(
  options: ProxyOptions<Env, Ctx>,
): (request: Request, env?: Env, ctx?: Ctx) => Promise<Response>;
