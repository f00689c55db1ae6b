// Hybrid completion in Node: a TaskClient submits with a webhook, a webhook handler (on a
// node:http server on 127.0.0.1) passes verified updates to `client.deliver(update)`, and
// polling drops to the slow safety-net rate. A task completes exactly once whichever path
// brings the end first; with no webhook arriving, the safety net still finishes it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { TaskClient, createWebhookHandler } from "tasklane";
import { startSim } from "./support/sim.mjs";

const SECRET = "whsec_aHlicmlkLWNvbXBsZXRpb24tdGVzdC1zZWNyZXQ=";

let sim;
before(async () => { sim = await startSim(["--webhook-secret", SECRET]); });
after(async () => { await sim?.stop(); });

/** Serves `handler` (a Workers-style fetch handler) on a free 127.0.0.1 port. */
async function serve(handler) {
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const request = new Request(`http://127.0.0.1${req.url}`, {
      method: req.method,
      headers: req.headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : Buffer.concat(chunks),
    });
    const response = await handler(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(await response.text());
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, close: () => new Promise((r) => server.close(r)) };
}

/** Status requests the simulator saw for `id`. */
async function statusPolls(id) {
  const t = (await sim.stats()).tasks[id];
  return t.requests.filter((r) => r.route === "status").length;
}

test("the webhook completes the wait; polling stays at the safety-net rate", async () => {
  const client = new TaskClient({
    provider: "apixo",
    baseUrl: sim.baseUrl("apixo"),
    apiKey: sim.apiKey,
    poll: { initialDelayMs: 100, maxDelayMs: 200, safetyNetMs: 60_000, timeoutMs: 20_000 },
  });
  const delivered = [];
  const hook = await serve(createWebhookHandler({
    provider: "apixo",
    secret: SECRET,
    onUpdate: (update) => { delivered.push(client.deliver(update)); },
  }));
  try {
    const terminalUpdates = [];
    const done = await client.run(
      { model: "sim-fast", input: { prompt: "a cat", _sim: { queue_ms: 0, run_ms: 1500, webhook_duplicates: 2 } }, webhook: { url: hook.url } },
      { onUpdate: (u) => { if (u.state === "succeeded") terminalUpdates.push(u); } },
    );
    assert.equal(done.state, "succeeded");
    assert.ok(done.outputs?.length >= 1);
    // Let the simulator finish sending the duplicates (bounded).
    let hooks = [];
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      hooks = (await sim.stats(true)).webhooks.filter((w) => w.task_id === done.id);
      if (hooks.length >= 3) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(hooks.map((w) => w.status), [200, 200, 200]);
    // The handler deduped the simulator's duplicates; the one delivery ended one wait.
    assert.deepEqual(delivered, [1]);
    assert.ok(terminalUpdates.length <= 1, "the end is reported once");
    // Without the webhook, 100–200 ms polling would have made about 8+ status requests.
    assert.equal(await statusPolls(done.id), 0, "no status polls before the safety net");
    // A second terminal delivery of the same task is ignored by the client.
    assert.equal(client.deliver(done), 0);
  } finally {
    await hook.close();
  }
});

test("when polling gets there first, the late webhook changes nothing", async () => {
  const client = new TaskClient({
    provider: "queue",
    baseUrl: sim.baseUrl("queue"),
    apiKey: sim.apiKey,
    poll: { initialDelayMs: 100, maxDelayMs: 100, timeoutMs: 20_000 },
  });
  const late = [];
  let release;
  const gate = new Promise((r) => { release = r; });
  // The receiver holds each delivery until the poll has finished the task.
  const hook = await serve(createWebhookHandler({
    provider: "queue",
    secret: SECRET,
    onUpdate: async (update) => { await gate; late.push(client.deliver(update)); },
  }));
  try {
    const ends = [];
    const sub = await client.submit({ endpoint: "fal-ai/flux/dev", input: { prompt: "x", _sim: { queue_ms: 0, run_ms: 300, webhook_url: hook.url } } });
    const done = await client.wait(sub.id, { onUpdate: (u) => { if (u.state === "succeeded") ends.push(u); } });
    assert.equal(done.state, "succeeded");
    assert.ok((await statusPolls(done.id)) >= 1, "completed by polling");
    release();
    const deadline = Date.now() + 10_000;
    while (late.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(late, [0], "the webhook arrived after the end and was taken by no wait");
    assert.ok(ends.length <= 1);
  } finally {
    release();
    await hook.close();
  }
});

test("with no webhook arriving, the safety-net poll still finishes the task", async () => {
  const client = new TaskClient({
    provider: "mindproxy",
    baseUrl: sim.baseUrl("mindproxy"),
    apiKey: sim.apiKey,
    poll: { initialDelayMs: 50, maxDelayMs: 50, safetyNetMs: 700, timeoutMs: 20_000 },
  });
  const sub = await client.submit({ taskType: "async_image", model: "sim-fast", input: { prompt: "x", _sim: { queue_ms: 0, run_ms: 300 } } });
  const done = await client.wait(sub.id, { expectWebhook: true });
  assert.equal(done.state, "succeeded");
  const polls = await statusPolls(done.id);
  assert.ok(polls >= 1 && polls <= 3, `${polls} status polls at the 700 ms safety-net rate (50 ms polling would make ~6+)`);
});

test("deliver refuses what is not a TaskUpdate", () => {
  const client = new TaskClient({ provider: "apixo", baseUrl: sim.baseUrl("apixo"), apiKey: sim.apiKey });
  assert.throws(() => client.deliver(null), { name: "TaskError", code: "invalid_argument" });
  assert.throws(() => client.deliver({ state: "succeeded" }), { code: "invalid_argument" });
  assert.throws(() => client.deliver({ id: "x", state: "exploded", rawStatus: "?" }), { code: "invalid_argument" });
  assert.equal(client.deliver({ id: "never-submitted", state: "succeeded", rawStatus: "success", raw: {} }), 0);
});
