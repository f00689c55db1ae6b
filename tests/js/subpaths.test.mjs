// The package's subpath builds in Node: `tasklane/client` (the polling client alone) runs
// the runtime scenario against the simulator, `tasklane/edge` (webhooks and proxy alone)
// verifies deliveries signed by the `standardwebhooks` package; each build's wasm holds
// only its side; and the three entries share one `TaskError`, one `WebhookError` and one
// `profiles`, so `instanceof` holds whichever entry a class came from and whichever threw.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Webhook } from "standardwebhooks";
import * as full from "tasklane";
import * as client from "tasklane/client";
import * as edge from "tasklane/edge";
import { startSim } from "./support/sim.mjs";
import { expected, scenario } from "./runtimes/scenario.mjs";
import { pkgDir } from "./runtimes/paths.mjs";

const SECRET = "whsec_c3VicGF0aHMtdGVzdC1zZWNyZXQtMTIzNDU2";

let sim;
before(async () => { sim = await startSim(["--webhook-secret", SECRET]); });
after(async () => { await sim?.stop(); });

/** A mirako delivery signed by the standardwebhooks package (not by us). */
function signedDelivery(body, secret = SECRET) {
  const id = `msg_${Date.now()}`;
  const ts = new Date();
  const signature = new Webhook(secret).sign(id, ts, body);
  return new Request("http://127.0.0.1/hook", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(ts.getTime() / 1000)),
      "webhook-signature": signature,
    },
    body,
  });
}

/** The export names of a build's .wasm (what wasm-bindgen made of its Rust exports). */
/** What a build's glue exports: one function or class per wasm export it wraps (the .wasm's
 * own export names are shortened by scripts/short-names.mjs, which checks that the glue
 * calls nothing the .wasm lacks). */
async function wasmExports(rel) {
  return Object.keys(await import(pathToFileURL(path.join(pkgDir, rel)).href));
}

test("tasklane/client runs the scenario against the simulator in Node", async () => {
  assert.deepEqual(await scenario(client, sim.url), expected);
});

test("tasklane/edge verifies a delivery signed by standardwebhooks, refuses a forged one", async () => {
  const body = JSON.stringify({ data: { task_id: "m1", status: "COMPLETED", image: "https://cdn.example/a.png" } });
  const update = await edge.verifyWebhook(signedDelivery(body), { provider: "mirako", secret: SECRET });
  assert.equal(update.id, "m1");
  assert.equal(update.state, "succeeded");
  const forged = signedDelivery(body, "whsec_bm90LXRoZS1yaWdodC1zZWNyZXQtYXQtYWxs");
  await assert.rejects(edge.verifyWebhook(forged, { provider: "mirako", secret: SECRET }), (e) => {
    assert.ok(e instanceof edge.WebhookError, `not a WebhookError: ${e}`);
    assert.equal(e.status, 401);
    assert.equal(e.code, "bad_signature");
    return true;
  });
});

test("each build's wasm holds only its side", async () => {
  const has = (names, re) => names.some((n) => re.test(n));
  const clientWasm = await wasmExports("client/dist/tasklane_client.js");
  const edgeWasm = await wasmExports("edge/dist/tasklane_edge.js");
  const fullWasm = await wasmExports("dist/tasklane.js");
  for (const [name, names] of [["full", fullWasm], ["client", clientWasm], ["edge", edgeWasm]]) {
    assert.equal(has(names, /^TaskClient$/), name !== "edge", `${name}: TaskClient`);
    assert.equal(has(names, /^verifyWebhook$/), name !== "client", `${name}: verifyWebhook`);
    assert.equal(has(names, /^createProxyHandler$/), name !== "client", `${name}: createProxyHandler`);
  }
  // What the subpaths are for: each ships markedly less than the full build.
  const size = (rel) => readFileSync(path.join(pkgDir, rel)).length;
  assert.ok(size("client/dist/tasklane_client_bg.wasm") < 0.85 * size("dist/tasklane_bg.wasm"));
  assert.ok(size("edge/dist/tasklane_edge_bg.wasm") < 0.85 * size("dist/tasklane_bg.wasm"));
});

test("TaskError, WebhookError and profiles are one across the entries", async () => {
  assert.equal(client.TaskError, full.TaskError);
  assert.equal(edge.TaskError, full.TaskError);
  assert.equal(edge.WebhookError, full.WebhookError);
  assert.equal(client.profiles, full.profiles);
  assert.equal(edge.profiles, full.profiles);
  // Thrown by the client build, checked against the class imported from the root entry.
  assert.throws(() => new client.TaskClient({ provider: "apixo", baseUrl: "not a url" }), (e) => {
    assert.ok(e instanceof full.TaskError && e instanceof edge.TaskError && e instanceof Error);
    assert.equal(e.code, "invalid_argument");
    return true;
  });
  // Thrown by the edge build (bad options are a TaskError, a refused delivery a WebhookError).
  assert.throws(() => edge.createWebhookHandler({ provider: "mirako" }), (e) => e instanceof full.TaskError && e.code === "invalid_argument");
  await assert.rejects(edge.verifyWebhook(new Request("http://x/", { method: "GET" }), { provider: "mirako", secret: SECRET }),
    (e) => e instanceof full.WebhookError && e.status === 405);
  // And the other way round: thrown by the full build, checked against a subpath's class.
  assert.throws(() => new full.TaskClient(null), (e) => e instanceof client.TaskError);
  // A subpath's profile object is accepted by another build.
  assert.ok(new client.TaskClient({ provider: edge.profiles.apixo, baseUrl: "http://127.0.0.1:1" }));
});

test("hybrid completion across builds: an edge webhook handler feeds a client's wait", async () => {
  const c = new client.TaskClient({
    provider: "apixo",
    baseUrl: sim.baseUrl("apixo"),
    apiKey: sim.apiKey,
    poll: { initialDelayMs: 100, maxDelayMs: 200, safetyNetMs: 60_000, timeoutMs: 20_000 },
  });
  const delivered = [];
  const handler = edge.createWebhookHandler({
    provider: "apixo",
    secret: SECRET,
    onUpdate: (update) => { delivered.push(c.deliver(update)); },
  });
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const response = await handler(new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers: req.headers, body: Buffer.concat(chunks) }));
    res.writeHead(response.status).end(await response.text());
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  try {
    const done = await c.run({
      model: "sim-fast",
      input: { prompt: "a cat", _sim: { queue_ms: 0, run_ms: 1000 } },
      webhook: { url: `http://127.0.0.1:${server.address().port}/hook` },
    });
    assert.equal(done.state, "succeeded");
    assert.deepEqual(delivered, [1], "the edge build's update ended the client build's wait");
  } finally {
    await new Promise((r) => server.close(r));
  }
});
