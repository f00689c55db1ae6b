// The package's subpath builds in Node: `tasklane/client` (the polling client alone) runs
// the runtime scenario against the simulator, `tasklane/webhook` (the webhook receiver
// alone) verifies deliveries signed by the `standardwebhooks` package, `tasklane/proxy`
// (`createProxyHandler` alone) carries a client's task to the simulator and back; each
// build's wasm holds only its part; and the four entries share one `TaskError`, one
// `WebhookError` and one `profiles`, so `instanceof` holds whichever entry a class came
// from and whichever threw.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Webhook } from "standardwebhooks";
import * as full from "tasklane";
import * as client from "tasklane/client";
import * as webhook from "tasklane/webhook";
import * as proxy from "tasklane/proxy";
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

test("tasklane/webhook verifies a delivery signed by standardwebhooks, refuses a forged one", async () => {
  const body = JSON.stringify({ data: { task_id: "m1", status: "COMPLETED", image: "https://cdn.example/a.png" } });
  const update = await webhook.verifyWebhook(signedDelivery(body), { provider: "mirako", secret: SECRET });
  assert.equal(update.id, "m1");
  assert.equal(update.state, "succeeded");
  const forged = signedDelivery(body, "whsec_bm90LXRoZS1yaWdodC1zZWNyZXQtYXQtYWxs");
  await assert.rejects(webhook.verifyWebhook(forged, { provider: "mirako", secret: SECRET }), (e) => {
    assert.ok(e instanceof webhook.WebhookError, `not a WebhookError: ${e}`);
    assert.equal(e.status, 401);
    assert.equal(e.code, "bad_signature");
    return true;
  });
});

test("tasklane/proxy carries a tasklane/client task to the simulator and back, adding the key", async () => {
  const handler = proxy.createProxyHandler({ provider: "apixo", baseUrl: sim.baseUrl("apixo"), apiKey: sim.apiKey });
  const seen = [];
  // No apiKey on the client: the simulator refuses requests without one, so a task that
  // succeeds went through the proxy, which added it.
  const c = new client.TaskClient({
    provider: "apixo",
    baseUrl: "http://proxy.test/api/tasklane/apixo",
    fetch: async (url, init) => {
      const response = await handler(new Request(url, init));
      seen.push(response.status);
      return response;
    },
    poll: { initialDelayMs: 50, maxDelayMs: 200, timeoutMs: 20_000 },
  });
  const done = await c.run({ model: "sim-fast", input: { prompt: "a cat", _sim: { queue_ms: 50, run_ms: 150 } } });
  assert.equal(done.state, "succeeded");
  assert.equal(done.outputs.length, 1);
  assert.ok(seen.length >= 2 && seen.every((s) => s === 200), `answers through the proxy: ${seen}`);
  // A route the dialect does not have never reaches the simulator.
  const refused = await handler(new Request("http://proxy.test/api/tasklane/apixo/nowhere"));
  assert.equal(refused.status, 404);
});

test("each build's wasm holds only its part", async () => {
  const has = (names, re) => names.some((n) => re.test(n));
  const builds = {
    full: await wasmExports("dist/tasklane.js"),
    client: await wasmExports("client/dist/tasklane_client.js"),
    webhook: await wasmExports("webhook/dist/tasklane_webhook.js"),
    proxy: await wasmExports("proxy/dist/tasklane_proxy.js"),
  };
  for (const [name, names] of Object.entries(builds)) {
    assert.equal(has(names, /^TaskClient$/), name === "full" || name === "client", `${name}: TaskClient`);
    assert.equal(has(names, /^verifyWebhook$/), name === "full" || name === "webhook", `${name}: verifyWebhook`);
    assert.equal(has(names, /^createProxyHandler$/), name === "full" || name === "proxy", `${name}: createProxyHandler`);
  }
  // What the subpaths are for: each ships markedly less than the full build.
  const size = (rel) => readFileSync(path.join(pkgDir, rel)).length;
  for (const rel of ["client/dist/tasklane_client_bg.wasm", "webhook/dist/tasklane_webhook_bg.wasm", "proxy/dist/tasklane_proxy_bg.wasm"]) {
    assert.ok(size(rel) < 0.85 * size("dist/tasklane_bg.wasm"), rel);
  }
});

test("TaskError, WebhookError and profiles are one across the entries", async () => {
  assert.equal(client.TaskError, full.TaskError);
  assert.equal(webhook.TaskError, full.TaskError);
  assert.equal(proxy.TaskError, full.TaskError);
  assert.equal(webhook.WebhookError, full.WebhookError);
  assert.equal(client.profiles, full.profiles);
  assert.equal(webhook.profiles, full.profiles);
  assert.equal(proxy.profiles, full.profiles);
  // Thrown by the client build, checked against the classes imported from the other entries.
  assert.throws(() => new client.TaskClient({ provider: "apixo", baseUrl: "not a url" }), (e) => {
    assert.ok(e instanceof full.TaskError && e instanceof webhook.TaskError && e instanceof proxy.TaskError && e instanceof Error);
    assert.equal(e.code, "invalid_argument");
    return true;
  });
  // Thrown by the webhook build (bad options are a TaskError, a refused delivery a WebhookError).
  assert.throws(() => webhook.createWebhookHandler({ provider: "mirako" }), (e) => e instanceof full.TaskError && e.code === "invalid_argument");
  await assert.rejects(webhook.verifyWebhook(new Request("http://x/", { method: "GET" }), { provider: "mirako", secret: SECRET }),
    (e) => e instanceof full.WebhookError && e.status === 405);
  // Thrown by the proxy build: bad options are a TaskError.
  assert.throws(() => proxy.createProxyHandler({ provider: "apixo", apiKey: "k" }),
    (e) => e instanceof full.TaskError && e instanceof client.TaskError && e.code === "invalid_argument");
  // And the other way round: thrown by the full build, checked against a subpath's class.
  assert.throws(() => new full.TaskClient(null), (e) => e instanceof client.TaskError && e instanceof proxy.TaskError);
  // A subpath's profile object is accepted by another build.
  assert.ok(new client.TaskClient({ provider: webhook.profiles.apixo, baseUrl: "http://127.0.0.1:1" }));
  assert.ok(proxy.createProxyHandler({ provider: client.profiles.queue, baseUrl: "http://127.0.0.1:1", apiKey: "k" }));
});

test("hybrid completion across builds: a tasklane/webhook handler feeds a tasklane/client wait", async () => {
  const c = new client.TaskClient({
    provider: "apixo",
    baseUrl: sim.baseUrl("apixo"),
    apiKey: sim.apiKey,
    poll: { initialDelayMs: 100, maxDelayMs: 200, safetyNetMs: 60_000, timeoutMs: 20_000 },
  });
  const delivered = [];
  const handler = webhook.createWebhookHandler({
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
    assert.deepEqual(delivered, [1], "the webhook build's update ended the client build's wait");
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test("tasklane/webhook (opt-level 3, wasm SIMD) reads every body as the full build does", async () => {
  // The webhook build scans strings sixteen bytes at a time (json::parse, simd128); the full
  // build eight. A quote, backslash, control character or non-ASCII character at each
  // offset of a long string, in bodies valid and not, must read the same in both.
  const opts = { provider: "queue", secret: SECRET };
  const outcome = async (m, body) => {
    const headers = m.signWebhook(body, { secret: SECRET });
    try {
      return JSON.stringify(await m.verifyWebhook({ headers, body }, opts));
    } catch (e) {
      return `${e.status} ${e.code}: ${e.message}`;
    }
  };
  const inserts = ['\\"', "\\\\", "\\n", "\\u00e9", "é", "😀", "\u0001", '"', "\\", "\u007f", "\u0080"];
  let refused = 0;
  let read = 0;
  for (const ins of inserts) {
    for (let at = 0; at < 40; at++) {
      const prompt = "x".repeat(at) + ins + "y".repeat(40 - at);
      const body = `{"status":"COMPLETED","request_id":"r${at}","payload":{"prompt":"${prompt}","images":[{"url":"https://cdn.example/${prompt}.png"}]}}`;
      const [a, b] = [await outcome(full, body), await outcome(webhook, body)];
      assert.equal(b, a, `${JSON.stringify(ins)} at ${at}`);
      if (a.startsWith("400")) refused++;
      else read++;
    }
  }
  assert.ok(refused >= 80 && read >= 280, `${refused} refused, ${read} read`);
});
