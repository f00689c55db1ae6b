// The Deno check for the subpaths: `tasklane/client` runs the scenario against the simulator
// URL given as the first argument; `tasklane/edge` signs a delivery and verifies it as a web
// Request, and refuses it once tampered. Prints both results as one JSON line.
import * as client from "tasklane/client";
import { signWebhook, verifyWebhook, WebhookError } from "tasklane/edge";
import { scenario } from "./scenario.mjs";

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const body = JSON.stringify({ data: { task_id: "d1", status: "COMPLETED", image: "https://cdn.example/d1.png" } });
const post = (text) => new Request("http://127.0.0.1/hook", { method: "POST", headers: signWebhook(body, { secret }), body: text });
const update = await verifyWebhook(post(body), { provider: "mirako", secret });
const refused = await verifyWebhook(post(body.replace("d1", "d2")), { provider: "mirako", secret }).catch((e) => e);
console.log(JSON.stringify({
  client: await scenario(client, Deno.args[0]),
  edge: { id: update.id, state: update.state, refused: [refused instanceof WebhookError, refused.status, refused.code] },
}));
