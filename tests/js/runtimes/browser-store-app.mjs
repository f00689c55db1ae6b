// The localStorage check's app: `?step=submit` submits a task with `store: "localStorage"`
// and stops (the "reload" follows); `?step=resume` builds a new client on the same store,
// reads pending() and resume()s. The summary goes to `globalThis.__result`.
import { TaskClient } from "tasklane";

const q = new URL(location.href).searchParams;
const client = new TaskClient({
  provider: "apixo", baseUrl: `${q.get("sim")}/apixo`, apiKey: "sim-key", store: "localStorage",
  poll: { initialDelayMs: 20, maxDelayMs: 100 },
});
async function main() {
  if (q.get("step") === "submit") {
    const sub = await client.submit({ model: "sim-fast", input: { prompt: "p", _sim: { queue_ms: 300, run_ms: 300 } } });
    return { id: sub.id, pending: await client.pending(), keys: Object.keys(localStorage).length };
  }
  const pending = await client.pending();
  const ends = await client.resume();
  return { pending, ends: ends.map((u) => [u.id, u.state]), after: await client.pending() };
}
main().then((r) => { globalThis.__result = r; }, (e) => { globalThis.__error = String(e?.stack ?? e); });
