// A `fetch` for the `replicate` client that speaks Replicate's HTTP API on the outside and
// the simulator's queue dialect on the inside, so `replicate.wait()` runs its own polling
// loop (default interval) against simulated tasks:
//   POST {base}/models/{owner}/{name}/predictions {input} → POST {sim}/queue/v1/queue/{owner}/{name}
//   GET  {base}/predictions/{id}                         → GET the task's status_url, and once
//        COMPLETED, its response_url (Replicate returns the output in the prediction itself)
// Each Replicate request thus costs one simulator status request (plus one result read at
// the end), the same as the request it stands for.

const STATE = { IN_QUEUE: "starting", IN_PROGRESS: "processing" };

/** The shim for simulator `sim` with its API key. */
export function replicateShim(sim, apiKey) {
  const urls = new Map(); // prediction id → {status_url, response_url}
  const auth = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
  const reply = (status, body) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  const prediction = (id, status, extra = {}) => ({ id, status, urls: { get: `https://api.replicate.invalid/v1/predictions/${id}` }, ...extra });

  return async function fetchShim(input, init = {}) {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const method = (init.method ?? "GET").toUpperCase();
    let m = url.pathname.match(/^\/v1\/models\/([^/]+)\/([^/]+)\/predictions$/);
    if (m && method === "POST") {
      const { input: modelInput } = JSON.parse(init.body);
      const r = await fetch(`${sim}/queue/v1/queue/${m[1]}/${m[2]}`, { method: "POST", headers: auth, body: JSON.stringify(modelInput ?? {}), signal: init.signal });
      const body = await r.json();
      if (!r.ok) return reply(r.status, { detail: body.detail ?? "submit failed" });
      urls.set(body.request_id, { status: body.status_url, response: body.response_url });
      return reply(201, prediction(body.request_id, "starting", { input: modelInput }));
    }
    m = url.pathname.match(/^\/v1\/predictions\/([^/]+)$/);
    if (m && method === "GET") {
      const u = urls.get(m[1]);
      if (!u) return reply(404, { detail: "unknown prediction" });
      const r = await fetch(u.status, { headers: auth, signal: init.signal });
      const s = await r.json();
      if (!r.ok) return reply(r.status, { detail: s.detail ?? "status failed" });
      if (s.status !== "COMPLETED") return reply(200, prediction(m[1], STATE[s.status] ?? "processing"));
      if (s.error) return reply(200, prediction(m[1], "failed", { error: s.error }));
      const out = await fetch(u.response, { headers: auth, signal: init.signal });
      const result = await out.json();
      if (!out.ok) return reply(200, prediction(m[1], "failed", { error: result.detail ?? "result failed" }));
      urls.delete(m[1]);
      const files = result.images?.map((i) => i.url) ?? [result.video?.url ?? result.audio?.url];
      return reply(200, prediction(m[1], "succeeded", { output: files }));
    }
    return reply(404, { detail: `the shim has no route ${method} ${url.pathname}` });
  };
}
