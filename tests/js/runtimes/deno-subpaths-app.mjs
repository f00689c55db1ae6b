// The Deno check for the subpaths: `tasklane/client` runs the scenario against the simulator
// URL given as the first argument; `tasklane/webhook` signs a delivery and verifies it as a
// web Request, and refuses it once tampered; `tasklane/proxy` carries a `tasklane/client`
// task without a key to the simulator and back (its handler is the client's `fetch`), and
// its bad options throw the shared TaskError. Prints the results as one JSON line.
import * as client from "tasklane/client";
import { signWebhook, verifyWebhook, WebhookError } from "tasklane/webhook";
import { createProxyHandler } from "tasklane/proxy";
import { scenario } from "./scenario.mjs";

const simUrl = Deno.args[0];
const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const body = JSON.stringify({ data: { task_id: "d1", status: "COMPLETED", image: "https://cdn.example/d1.png" } });
const post = (text) => new Request("http://127.0.0.1/hook", { method: "POST", headers: signWebhook(body, { secret }), body: text });
const update = await verifyWebhook(post(body), { provider: "mirako", secret });
const refused = await verifyWebhook(post(body.replace("d1", "d2")), { provider: "mirako", secret }).catch((e) => e);

const proxy = createProxyHandler({ provider: "apixo", baseUrl: `${simUrl}/apixo`, apiKey: "sim-key" });
const viaProxy = new client.TaskClient({
  provider: "apixo",
  baseUrl: "http://proxy.test/api/tasklane/apixo",
  fetch: (url, init) => proxy(new Request(url, init)),
  poll: { initialDelayMs: 50, maxDelayMs: 200, timeoutMs: 20_000 },
});
const done = await viaProxy.run({ model: "sim-fast", input: { prompt: "a cat", _sim: { queue_ms: 50, run_ms: 150 } } });
let badOptions;
try {
  createProxyHandler({ provider: "apixo", apiKey: "k" });
} catch (e) {
  badOptions = e;
}

console.log(JSON.stringify({
  client: await scenario(client, simUrl),
  webhook: { id: update.id, state: update.state, refused: [refused instanceof WebhookError, refused.status, refused.code] },
  proxy: { state: done.state, outputs: done.outputs.length, isTaskError: badOptions instanceof client.TaskError },
}));
