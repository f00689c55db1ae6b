// Helpers for the client tests: a TaskClient per dialect against the simulator with fast
// polling, and a submit request per dialect.
import { TaskClient } from "tasklane";

/** Fast polling so tests finish quickly (the simulator's phases are tens of ms). */
export const fastPoll = { initialDelayMs: 20, maxDelayMs: 100, jitter: 0, timeoutMs: 20_000 };

/** A client for `dialect` against `sim`, with `extra` options merged in. */
export function clientFor(sim, dialect, extra = {}) {
  return new TaskClient({ provider: dialect, baseUrl: sim.baseUrl(dialect), apiKey: sim.apiKey, poll: fastPoll, ...extra });
}

/** A submit request for `dialect` with `input` (add `_sim` to steer the simulator). */
export function requestFor(dialect, input, model = "sim-fast") {
  switch (dialect) {
    case "mirako": return { input };
    case "apixo": return { model, input };
    case "mindproxy": return { taskType: "async_image", model, input };
    case "queue": return { endpoint: `fal-ai/${model}`, input };
    default: throw new Error(`no request for ${dialect}`);
  }
}

/** Resolves with the rejection of `promise`; fails when it resolves. */
export async function rejection(promise) {
  try {
    const v = await promise;
    throw Object.assign(new Error(`expected a rejection, got ${JSON.stringify(v)?.slice(0, 300)}`), { resolvedWith: v });
  } catch (e) {
    if (e?.resolvedWith !== undefined) throw e;
    return e;
  }
}

/** The simulator's recorded requests for one task: `[{t_ms, route, status}]`. */
export async function requestsOf(sim, id) {
  const stats = await sim.stats();
  return stats.tasks?.[id]?.requests ?? [];
}

/** Waits `ms` milliseconds (only to let a bug show itself; never asserted as timing). */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
