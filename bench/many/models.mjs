// The benchmark's workload: a few models whose durations are log-normal (median, sigma),
// served by the simulator's queue dialect under these endpoints. The queue phase is 0
// (the whole duration is the run), so a task's duration is exactly the drawn value.
// Durations stay within about 5–60 s: the shortest median is 6 s, the longest 30 s
// (its +3 sigma draw is ~55 s).

/** The simulator's API key for every client. */
export const API_KEY = "sim-key";

/** `{endpoint, medianMs, sigma}`; tasks are spread over them round-robin. */
export const MODELS = [
  { endpoint: "bench/flux-schnell", medianMs: 6_000, sigma: 0.2 },
  { endpoint: "bench/flux-dev", medianMs: 12_000, sigma: 0.2 },
  { endpoint: "bench/sdxl-video", medianMs: 20_000, sigma: 0.2 },
  { endpoint: "bench/hunyuan-video", medianMs: 30_000, sigma: 0.2 },
];

/** The simulator's `--model` arguments for the workload (durations times `scale`). */
export function simModelArgs(scale = 1) {
  return MODELS.flatMap((m) => ["--model", `${m.endpoint}=lognormal:${Math.round(m.medianMs * scale)}:${m.sigma},queue=0`]);
}
