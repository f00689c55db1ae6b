// The example Worker (examples/worker/) in workerd via Miniflare, receiving real webhook
// deliveries from the simulator over HTTP: one task of each dialect, each delivered with
// duplicates and a stale (out-of-order) live update after the terminal one. Every
// delivery must be acknowledged, and each task's result stored in KV exactly once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { Miniflare } from "miniflare";
import { startSim } from "./support/sim.mjs";
import { root, outDir } from "./runtimes/paths.mjs";
import { bundleForWorkerd, workerdOptions } from "./runtimes/harness.mjs";

const SECRET = "whsec_dGFza2xhbmUtd29ya2VyLXRlc3Qtc2VjcmV0";
const MIRAKO_TOKEN = "mirako-hook-token";
const DUPLICATES = 2;

let sim;
let mf;
let workerUrl;

before(async () => {
  sim = await startSim(["--webhook-secret", SECRET]);
  const dir = outDir("webhook-worker");
  // As wrangler does: bundled with the `workerd` condition, the .wasm stays a module import.
  const scriptPath = await bundleForWorkerd(path.join(root, "examples/worker/src/index.js"), dir);
  mf = new Miniflare(workerdOptions(scriptPath, dir, {
    kvNamespaces: ["RESULTS", "WEBHOOK_DEDUPE"],
    bindings: { WEBHOOK_SECRET: SECRET, MIRAKO_WEBHOOK_TOKEN: MIRAKO_TOKEN },
    host: "127.0.0.1",
    port: 0,
  }));
  workerUrl = (await mf.ready).toString().replace(/\/$/, "");
});

after(async () => {
  await mf?.dispose();
  await sim?.stop();
});

/** Submits one task of `dialect` straight to the simulator, its webhook aimed at the Worker. */
async function submit(dialect, sim_) {
  const hook = `${workerUrl}/webhooks/${dialect}`;
  const control = { queue_ms: 0, run_ms: 200, webhook_duplicates: DUPLICATES, webhook_out_of_order: true, ...sim_ };
  const req = {
    mirako: ["/v1/avatar/async_generate", { prompt: "a cat", webhook: { url: hook, auth_token: MIRAKO_TOKEN }, _sim: control }],
    apixo: ["/api/v1/generateTask/sim-fast", { request_type: "callback", callback_url: hook, input: { prompt: "a cat", _sim: control } }],
    mindproxy: ["/v1/tasks", { task_type: "async_image", public_model: "sim-fast", prompt: "a cat", idempotency_key: `k-${Date.now()}`, metadata_json: { _sim: { ...control, webhook_url: hook } } }],
    queue: ["/v1/queue/fal-ai/flux/dev", { prompt: "a cat", _sim: { ...control, webhook_url: hook } }],
  }[dialect];
  const res = await fetch(sim.baseUrl(dialect) + req[0], {
    method: "POST",
    headers: { authorization: `Bearer ${sim.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(req[1]),
  });
  const body = await res.json();
  assert.ok(res.status < 300, `${dialect} submit: ${res.status} ${JSON.stringify(body)}`);
  return body.data?.task_id ?? body.data?.taskId ?? body.task_id ?? body.request_id;
}

test("the example Worker stores each dialect's webhook result exactly once", async () => {
  const expected = { mirako: "succeeded", apixo: "succeeded", mindproxy: "failed", queue: "succeeded" };
  const ids = {};
  for (const dialect of Object.keys(expected)) {
    ids[dialect] = await submit(dialect, dialect === "mindproxy" ? { outcome: "failed" } : {});
    assert.equal(typeof ids[dialect], "string", dialect);
  }
  // terminal + duplicates + one stale live update, per task.
  const perTask = 1 + DUPLICATES + 1;
  const deadline = Date.now() + 20_000;
  let hooks = [];
  while (Date.now() < deadline) {
    hooks = (await sim.stats(true)).webhooks ?? [];
    const done = Object.values(ids).every((id) => hooks.filter((h) => h.task_id === id && h.status).length >= perTask);
    if (done) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const [dialect, id] of Object.entries(ids)) {
    const mine = hooks.filter((h) => h.task_id === id);
    assert.equal(mine.length, perTask, `${dialect}: ${JSON.stringify(mine)}`);
    assert.deepEqual(mine.map((h) => h.status), Array(perTask).fill(200), `${dialect}: every delivery acknowledged on first try`);
    assert.deepEqual(mine.map((h) => h.kind).sort(), ["duplicate", "duplicate", "stale", "terminal"], dialect);
  }
  const results = await mf.getKVNamespace("RESULTS");
  for (const [dialect, id] of Object.entries(ids)) {
    const stored = await results.get(`result:${dialect}:${id}`, "json");
    assert.ok(stored, `${dialect}: a result stored`);
    assert.equal(stored.writes, 1, `${dialect}: stored exactly once`);
    assert.equal(stored.update.id, id);
    assert.equal(stored.update.state, expected[dialect], dialect);
    if (expected[dialect] === "succeeded") assert.ok(stored.update.outputs?.length >= 1, `${dialect}: outputs`);
    else assert.equal(typeof stored.update.error?.code, "string");
    // And the Worker serves it.
    const res = await fetch(`${workerUrl}/results/${dialect}/${encodeURIComponent(id)}`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), stored);
  }
  // The dedupe store holds each handled end (task and state), with a TTL.
  const dedupe = await mf.getKVNamespace("WEBHOOK_DEDUPE");
  const keys = (await dedupe.list()).keys;
  for (const [dialect, id] of Object.entries(ids)) {
    const key = keys.find((k) => k.name === `tasklane:wh:${dialect}:task:${id}:${expected[dialect]}`);
    assert.ok(key, `${dialect}: dedupe key in KV (${keys.map((k) => k.name).join(", ")})`);
    assert.ok(key.expiration > Date.now() / 1000, "with an expiration");
  }
});

test("the Worker refuses unauthenticated and unsigned posts without storing anything", async () => {
  const body = JSON.stringify({ data: { task_id: "forged", status: "COMPLETED" } });
  const cases = [
    ["mirako", {}, 401],
    ["mirako", { authorization: "Bearer wrong" }, 401],
    ["apixo", {}, 401],
    ["queue", { "webhook-id": "x", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA" }, 401],
  ];
  for (const [dialect, headers, status] of cases) {
    const res = await fetch(`${workerUrl}/webhooks/${dialect}`, { method: "POST", headers, body });
    assert.equal(res.status, status, `${dialect} ${JSON.stringify(headers)}`);
    assert.equal(typeof (await res.json()).error.code, "string");
  }
  const get = await fetch(`${workerUrl}/webhooks/apixo`);
  assert.equal(get.status, 405);
  await get.arrayBuffer();
  const results = await mf.getKVNamespace("RESULTS");
  assert.equal(await results.get("result:mirako:forged"), null);
});
