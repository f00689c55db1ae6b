// What the page knows about the four dialects and the simulator's models: how a request is
// written for each (API.md, "How submit(req) becomes each dialect's body"), which can cancel,
// and how to tell a status request from the rest when counting a task's requests.

/** The four built-in dialects, in the order the page shows them. */
export const DIALECTS = {
  mirako: {
    label: "mirako",
    about: "status in the body, base64 image, webhook with auth token",
    canCancel: false,
    webhook: true,
    // The simulator takes the operation as the model name (a real app: "avatar/async_generate").
    request: ({ model, input }) => ({ operation: model, input }),
  },
  apixo: {
    label: "apixo",
    about: "model in the path, resultJson as a string, callback_url",
    canCancel: false,
    webhook: true,
    request: ({ model, input }) => ({ model, input }),
  },
  mindproxy: {
    label: "mindproxy",
    about: "numeric states, 202 on submit, cancel + events",
    canCancel: true,
    webhook: false,
    request: ({ model, input }) => ({ model, taskType: "async_image", input }),
  },
  queue: {
    label: "queue",
    about: "fal-style queue: position, status_url, response_url, cancel_url",
    canCancel: true,
    webhook: false,
    // The simulator takes the endpoint as the model name (a real app: "fal-ai/flux/dev").
    request: ({ model, input }) => ({ endpoint: model, input }),
  },
};

/** The simulator's built-in models (ARCHITECTURE.md), with what the page expects of each. */
export const PROFILES = {
  short: { model: "sim-fast", label: "short", about: "sim-fast · 1.5 s", estimateMs: 1_500 },
  long: { model: "sim-slow", label: "long", about: "sim-slow · 8–20 s", estimateMs: 14_000 },
  flaky: {
    model: "sim-flaky", label: "flaky", about: "sim-flaky · 2–5 s, 20 % of status requests fail", estimateMs: 3_500,
    // And a sure 429 with Retry-After on the first status request, so every flaky task shows a retry.
    sim: { faults: [{ on: "status", kind: "429", times: 1, retry_after_s: 1 }] },
  },
};

export const OUTCOMES = {
  succeeded: { label: "succeed", sim: undefined },
  failed: { label: "fail", sim: "failed" },
};

export const OUTPUTS = { image: "image", video: "video", audio: "audio" };

/** Why a dialect's cancel button is disabled. */
export const NO_CANCEL = (dialect) => `${dialect} has no cancel endpoint: the provider cannot stop a task once submitted`;

/**
 * What kind of request a fetch made for a task: "submit", "status", "result", "cancel" or
 * "events". Used to count status requests, the number a fixed polling loop is compared with.
 */
export function classify(dialect, method, url) {
  let p;
  try { p = new URL(url).pathname; } catch { p = String(url); }
  if (method === "PUT" || /\/cancel\/?$/.test(p)) return "cancel";
  if (method === "POST") return "submit";
  if (/\/events\/?$/.test(p)) return "events";
  if (/status/i.test(p)) return "status";
  // mindproxy's status is GET /v1/tasks/{id}; queue's other GET is its response_url.
  return dialect === "mindproxy" ? "status" : "result";
}

/** Requests a fixed 500 ms polling loop sends for a task of `ms` milliseconds. */
export const fixedLoopRequests = (ms) => 1 + Math.ceil(Math.max(0, ms) / 500);
