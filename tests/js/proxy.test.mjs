// The edge proxy (createProxyHandler) in workerd: the example Worker (examples/worker/)
// runs in Miniflare in front of the simulator. A headless Chromium page on another origin
// runs a task of each dialect through it with no API key; refused requests (no session,
// foreign origin, allow lists, unknown routes, wrong methods, oversize bodies) get their
// JSON errors and are shown by the simulator's stats never to have reached it. The limits
// (issue 9.4): a per-caller rateLimit (429 + Retry-After), upstreamTimeoutMs against the
// simulator's slow fault (504), and answers streamed through unbuffered; each in workerd
// through the example Worker, and the hook's contract and the streaming in Node against a
// fetch the test controls.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Miniflare } from "miniflare";
import { startSim } from "./support/sim.mjs";
import { createProxyHandler } from "tasklane";
import { root, outDir } from "./runtimes/paths.mjs";
import { bundleForWorkerd, workerdOptions } from "./runtimes/harness.mjs";
import { serveDir } from "./runtimes/serve.mjs";
import { launchChromium, bundleForBrowser } from "./runtimes/chromium.mjs";

const SESSION = "sess-proxy-test";
const ALLOW = { models: ["sim-fast"], taskTypes: ["async_image"], endpoints: ["fal-ai/flux/dev"], operations: ["avatar/async_generate"] };
const DIALECTS = ["mirako", "apixo", "mindproxy", "queue"];

let sim;
let mf;
let proxyUrl;
let scriptPath;
let bindings;
let page;
const dir = outDir("proxy");

// The browser page: a TaskClient per dialect pointed at the proxy, no apiKey.
const APP = `
import { TaskClient } from "tasklane";
const q = new URL(location.href).searchParams;
const proxy = q.get("proxy");
const sim = { queue_ms: 0, run_ms: 300 };
const jobs = {
  mirako: { operation: "avatar/async_generate", input: { prompt: "a cat", _sim: sim } },
  apixo: { model: "sim-fast", input: { prompt: "a cat", _sim: sim } },
  mindproxy: { model: "sim-fast", taskType: "async_image", input: { prompt: "a cat", _sim: sim } },
  queue: { endpoint: "fal-ai/flux/dev", input: { prompt: "a cat", _sim: sim } },
};
const client = (d) => new TaskClient({ provider: d, baseUrl: proxy + "/api/tasklane/" + d, headers: { "x-app-session": q.get("session") },
  poll: { initialDelayMs: 100, maxDelayMs: 200, timeoutMs: 20000 } });
(async () => {
  const out = {};
  for (const [d, req] of Object.entries(jobs)) {
    const u = await client(d).run(req);
    out[d] = { state: u.state, outputs: (u.outputs ?? []).length };
  }
  try { await client("apixo").submit({ model: "not-allowed", input: { prompt: "x" } }); out.refused = "accepted"; }
  catch (e) { out.refused = e.code + " " + e.httpStatus; }
  return out;
})().then((r) => { globalThis.__result = r; document.body.textContent = JSON.stringify(r); },
  (e) => { globalThis.__error = String(e && e.stack || e); document.body.textContent = globalThis.__error; });
`;

before(async () => {
  sim = await startSim();
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "app-src.mjs"), APP);
  await bundleForBrowser(path.join(dir, "app-src.mjs"), path.join(dir, "page"));
  page = await serveDir(path.join(dir, "page"));
  scriptPath = await bundleForWorkerd(path.join(root, "examples/worker/src/index.js"), path.join(dir, "worker"));
  bindings = { APP_SESSION: SESSION, ALLOW_ORIGINS: page.url, PROXY_ALLOW: JSON.stringify(ALLOW), WEBHOOK_SECRET: "whsec_c2VjcmV0", MIRAKO_WEBHOOK_TOKEN: "t" };
  for (const d of DIALECTS) {
    bindings[`${d.toUpperCase()}_BASE_URL`] = sim.baseUrl(d);
    bindings[`${d.toUpperCase()}_API_KEY`] = sim.apiKey;
  }
  mf = worker(bindings);
  proxyUrl = (await mf.ready).toString().replace(/\/$/, "");
});

/** The example Worker in workerd with these bindings. */
function worker(b) {
  return new Miniflare(workerdOptions(scriptPath, path.join(dir, "worker"), {
    kvNamespaces: ["RESULTS", "WEBHOOK_DEDUPE"],
    bindings: b,
    host: "127.0.0.1",
    port: 0,
  }));
}

/** A second instance of the Worker with the limits set (the first has none). */
let limited;
async function limitedUrl() {
  limited ??= worker({ ...bindings, PROXY_RATE_LIMIT: "3/60", PROXY_UPSTREAM_TIMEOUT_MS: "500" });
  return (await limited.ready).toString().replace(/\/$/, "");
}

after(async () => {
  await limited?.dispose();
  await mf?.dispose();
  await page?.close();
  await sim?.stop();
});

test("a Chromium page runs a task of each dialect through the proxy with no key", async () => {
  await sim.reset();
  const browser = await launchChromium();
  try {
    const tab = await browser.newPage();
    const logs = [];
    tab.on("console", (m) => logs.push(m.text()));
    tab.on("pageerror", (e) => logs.push(String(e)));
    await tab.goto(`${page.url}/index.html?proxy=${encodeURIComponent(proxyUrl)}&session=${SESSION}`);
    await tab.waitForFunction(() => globalThis.__result || globalThis.__error, null, { timeout: 60_000 });
    const { result, error } = await tab.evaluate(() => ({ result: globalThis.__result, error: globalThis.__error }));
    assert.equal(error, undefined, `${error}\n${logs.join("\n")}`);
    for (const d of DIALECTS) {
      assert.equal(result[d].state, "succeeded", `${d}: ${JSON.stringify(result)}`);
      assert.ok(result[d].outputs >= 1, `${d} outputs`);
    }
    assert.equal(result.refused, "http 403");
    const stats = await sim.stats();
    assert.equal(stats.submits, 4, "the refused submit never reached the simulator");
    const dialects = Object.values(stats.tasks).map((t) => t.dialect).sort();
    assert.deepEqual(dialects, [...DIALECTS].sort());
  } finally {
    await browser.close();
  }
});

test("queue URLs in answers point back at the proxy", async () => {
  const res = await fetch(`${proxyUrl}/api/tasklane/queue/v1/queue/fal-ai/flux/dev`, {
    method: "POST",
    headers: { "x-app-session": SESSION, "content-type": "application/json" },
    body: JSON.stringify({ prompt: "x", _sim: { queue_ms: 0, run_ms: 100 } }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  for (const k of ["status_url", "response_url", "cancel_url"]) {
    assert.ok(body[k].startsWith(`${proxyUrl}/api/tasklane/queue/v1/queue/fal-ai/flux/dev/requests/`), `${k}: ${body[k]}`);
    assert.ok(!body[k].includes(sim.url));
  }
  const status = await fetch(body.status_url, { headers: { "x-app-session": SESSION } });
  assert.equal(status.status, 200);
  assert.equal((await status.json()).request_id, body.request_id);
});

test("refused requests get JSON errors and never reach the simulator", async () => {
  await sim.reset();
  const session = { "x-app-session": SESSION };
  const json = { "content-type": "application/json" };
  const big = JSON.stringify({ input: { prompt: "x".repeat(300 * 1024) } });
  const cases = [
    ["no session", "POST", "/apixo/api/v1/generateTask/sim-fast", {}, "{}", 401, "unauthorized"],
    ["wrong session", "POST", "/apixo/api/v1/generateTask/sim-fast", { "x-app-session": "nope" }, "{}", 401, "unauthorized"],
    ["foreign origin", "POST", "/apixo/api/v1/generateTask/sim-fast", { ...session, origin: "https://evil.example" }, "{}", 403, "origin_not_allowed"],
    ["model not allowed", "POST", "/apixo/api/v1/generateTask/other-model", session, '{"input":{}}', 403, "forbidden", /model "other-model"/],
    ["task type not allowed", "POST", "/mindproxy/v1/tasks", { ...session, ...json }, JSON.stringify({ task_type: "video", public_model: "sim-fast", prompt: "x" }), 403, "forbidden", /taskType "video"/],
    ["model in the body not allowed", "POST", "/mindproxy/v1/tasks", { ...session, ...json }, JSON.stringify({ task_type: "async_image", public_model: "gpt", prompt: "x" }), 403, "forbidden", /model "gpt"/],
    ["endpoint not allowed", "POST", "/queue/v1/queue/fal-ai/other", session, "{}", 403, "forbidden", /endpoint "fal-ai\/other"/],
    ["operation not allowed", "POST", "/mirako/v1/voice/clone", session, "{}", 403, "forbidden", /operation "voice\/clone"/],
    ["status of a model not allowed", "GET", "/apixo/api/v1/statusTask/other-model?taskId=x", session, undefined, 403, "forbidden"],
    ["not a route of the dialect", "GET", "/apixo/admin/keys", session, undefined, 404, "not_found"],
    ["the simulator's control routes", "POST", "/apixo/__sim/reset", session, "{}", 404, "not_found"],
    ["wrong method", "DELETE", "/mindproxy/v1/tasks", session, undefined, 405, "method_not_allowed"],
    ["oversize body", "POST", "/apixo/api/v1/generateTask/sim-fast", { ...session, ...json }, big, 413, "body_too_large"],
    ["submit body not JSON", "POST", "/apixo/api/v1/generateTask/sim-fast", session, "{oops", 400, "bad_request"],
  ];
  for (const [name, method, p, headers, body, status, code, message] of cases) {
    const res = await fetch(`${proxyUrl}/api/tasklane${p}`, { method, headers, body });
    assert.equal(res.status, status, name);
    // RFC 9110: a 405 names the methods the path takes.
    assert.equal(res.headers.get("allow"), status === 405 ? "POST" : null, name);
    const err = (await res.json()).error;
    assert.equal(err.code, code, name);
    if (message) assert.match(err.message, message, name);
  }
  const stats = await sim.stats();
  assert.equal(stats.submits, 0, "no refused request reached the simulator");
  assert.deepEqual(stats.tasks, {});
});

test("the browser's own Authorization is replaced by the proxy's key", async () => {
  const res = await fetch(`${proxyUrl}/api/tasklane/apixo/api/v1/generateTask/sim-fast`, {
    method: "POST",
    headers: { "x-app-session": SESSION, authorization: "Bearer someone-elses-key", "content-type": "application/json" },
    body: JSON.stringify({ request_type: "async", input: { prompt: "x", _sim: { run_ms: 50 } } }),
  });
  assert.equal(res.status, 200, "the simulator accepted the proxy's key, not the browser's");
  assert.equal(typeof (await res.json()).data.taskId, "string");
});

test("CORS: preflights from the allowed origin pass, others are refused", async () => {
  const ok = await fetch(`${proxyUrl}/api/tasklane/apixo/api/v1/generateTask/sim-fast`, {
    method: "OPTIONS",
    headers: { origin: page.url, "access-control-request-method": "POST", "access-control-request-headers": "content-type, x-app-session" },
  });
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get("access-control-allow-origin"), page.url);
  assert.match(ok.headers.get("access-control-allow-headers"), /x-app-session/);
  // The proxy's own origin (a same-origin app) needs no allowOrigins entry.
  const same = await fetch(`${proxyUrl}/api/tasklane/apixo/api/v1/generateTask/sim-fast`, {
    method: "POST",
    headers: { origin: proxyUrl, "x-app-session": SESSION, "content-type": "application/json" },
    body: JSON.stringify({ request_type: "async", input: { prompt: "x", _sim: { run_ms: 50 } } }),
  });
  assert.equal(same.status, 200);
  assert.equal(same.headers.get("access-control-allow-origin"), null);
  await same.arrayBuffer();
  const bad = await fetch(`${proxyUrl}/api/tasklane/apixo/api/v1/generateTask/sim-fast`, {
    method: "OPTIONS",
    headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
  });
  assert.equal(bad.status, 403);
  assert.equal(bad.headers.get("access-control-allow-origin"), null);
  await bad.arrayBuffer();
});

test("rateLimit in workerd: a caller past its limit gets 429 with Retry-After; nothing reaches the vendor", async () => {
  await sim.reset();
  const base = await limitedUrl();
  const submit = (user) => fetch(`${base}/api/tasklane/apixo/api/v1/generateTask/sim-fast`, {
    method: "POST",
    headers: { "x-app-session": SESSION, "x-app-user": user, "content-type": "application/json", origin: page.url },
    body: JSON.stringify({ request_type: "async", input: { prompt: "x", _sim: { run_ms: 50 } } }),
  });
  for (let i = 0; i < 3; i++) {
    const ok = await submit("alice");
    assert.equal(ok.status, 200, `alice's request ${i + 1} of 3`);
    await ok.arrayBuffer();
  }
  const refused = await submit("alice");
  assert.equal(refused.status, 429);
  assert.equal((await refused.json()).error.code, "rate_limited");
  const retryAfter = Number(refused.headers.get("retry-after"));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${refused.headers.get("retry-after")}`);
  // The browser may read it: CORS headers are on the refusal, Retry-After exposed.
  assert.equal(refused.headers.get("access-control-allow-origin"), page.url);
  assert.match(refused.headers.get("access-control-expose-headers"), /retry-after/);
  const other = await submit("bob");
  assert.equal(other.status, 200, "another caller has its own count");
  await other.arrayBuffer();
  const stats = await sim.stats();
  assert.equal(stats.submits, 4, "alice's fourth submit never reached the simulator");
});

test("upstreamTimeoutMs in workerd: a vendor slower than the timeout gives 504, the next answer passes", async () => {
  await sim.reset();
  const base = await limitedUrl();
  const headers = { "x-app-session": SESSION, "x-app-user": "carol", "content-type": "application/json" };
  const sub = await fetch(`${base}/api/tasklane/queue/v1/queue/fal-ai/flux/dev`, {
    method: "POST",
    headers,
    body: JSON.stringify({ prompt: "x", _sim: { queue_ms: 0, run_ms: 50, faults: [{ on: "status", kind: "slow", delay_ms: 3000, times: 1 }] } }),
  });
  const { status_url: statusUrl } = await sub.json();
  assert.equal(sub.status, 200);
  const slow = await fetch(statusUrl, { headers });
  assert.equal(slow.status, 504);
  const err = (await slow.json()).error;
  assert.equal(err.code, "upstream_timeout");
  assert.match(err.message, /500 ms/);
  // The fault was for one answer (times: 1), so the first read did reach the simulator and
  // took it (an aborted slow answer is not in its stats: the sleep is cut with the connection).
  const next = await fetch(statusUrl, { headers });
  assert.equal(next.status, 200, "the next read is answered");
  assert.ok((await next.json()).request_id);
});

test("a large queue result streams through the proxy intact", async () => {
  await sim.reset();
  const headers = { "x-app-session": SESSION, "content-type": "application/json" };
  // The result echoes the prompt: 200 KB of it, under the Worker's 256 KB body limit.
  const prompt = Array.from({ length: 200 * 1024 / 16 }, (_, i) => `tasklane ${String(i).padStart(6, "0")} `).join("");
  const sub = await fetch(`${proxyUrl}/api/tasklane/queue/v1/queue/fal-ai/flux/dev`, {
    method: "POST",
    headers,
    body: JSON.stringify({ prompt, _sim: { queue_ms: 0, run_ms: 0 } }),
  });
  const task = await sub.json();
  assert.equal(sub.status, 200, JSON.stringify(task).slice(0, 300));
  for (let i = 0; i < 50; i++) {
    const st = await (await fetch(task.status_url, { headers })).json();
    if (st.status === "COMPLETED") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const res = await fetch(task.response_url, { headers });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /json/);
  const text = await res.text();
  const direct = await (await fetch(task.response_url.replace(`${proxyUrl}/api/tasklane/queue`, sim.baseUrl("queue")), {
    headers: { authorization: `Bearer ${sim.apiKey}` },
  })).text();
  assert.equal(text, direct, "byte for byte what the vendor sent");
  assert.equal(JSON.parse(text).prompt, prompt);
});

// In Node, against a fetch the test controls.
const VENDOR = "https://vendor.example/apixo";
const ask = (handler, init = {}, p = "/api/v1/generateTask/sim-fast", env, ctx) =>
  handler(new Request(`https://app.example/api/tasklane${p}`, { method: "POST", body: '{"input":{}}', ...init }), env, ctx);

test("rateLimit's answers: true/0 pass; false, a throw, a rejection refuse; seconds give Retry-After; env and ctx reach it", async () => {
  let sent = 0;
  const fetch = async () => { sent += 1; return Response.json({ code: 200, data: { taskId: "t" } }); };
  const env = { name: "env" };
  const ctx = { name: "ctx" };
  const seen = [];
  const answers = [
    [true, 200, null],
    [0, 200, null],
    [false, 429, null],
    [2.5, 429, "3"],
    [Promise.resolve(0.2), 429, "1"],
    [Promise.resolve(true), 200, null],
    [undefined, 429, null],
    [() => { throw new Error("limiter down"); }, 429, null],
    [Promise.reject(new Error("limiter down")), 429, null],
  ];
  for (const [answer, status, retryAfter] of answers) {
    const handler = createProxyHandler({
      provider: "apixo", baseUrl: VENDOR, apiKey: "k", fetch,
      rateLimit: (request, e, c) => {
        seen.push([request.url, e, c]);
        return typeof answer === "function" ? answer() : answer;
      },
    });
    const before = sent;
    const res = await ask(handler, {}, undefined, env, ctx);
    assert.equal(res.status, status, `answer ${String(answer)}`);
    assert.equal(res.headers.get("retry-after"), retryAfter, `answer ${String(answer)}`);
    assert.equal(sent - before, status === 200 ? 1 : 0, "a refused request is not sent");
    if (status === 429) assert.equal((await res.json()).error.code, "rate_limited");
  }
  assert.deepEqual(seen[0], ["https://app.example/api/tasklane/api/v1/generateTask/sim-fast", env, ctx]);
  // Not asked for a caller authorize refused, nor for a preflight.
  let asked = 0;
  const guarded = createProxyHandler({ provider: "apixo", baseUrl: VENDOR, apiKey: "k", fetch, authorize: () => false, rateLimit: () => { asked += 1; return true; } });
  assert.equal((await ask(guarded)).status, 401);
  assert.equal(asked, 0);
  assert.throws(() => createProxyHandler({ provider: "apixo", baseUrl: VENDOR, apiKey: "k", rateLimit: 5 }), /rateLimit/);
  assert.throws(() => createProxyHandler({ provider: "apixo", baseUrl: VENDOR, apiKey: "k", upstreamTimeoutMs: -1 }), /upstreamTimeoutMs/);
});

/** A vendor answer whose body the test ends: returns {response, push, end}. */
function openBody(init) {
  let controller;
  const body = new ReadableStream({ start(c) { controller = c; } });
  const enc = new TextEncoder();
  return {
    response: new Response(body, init),
    push: (t) => controller.enqueue(enc.encode(t)),
    end: () => controller.close(),
    // As a real fetch does: aborting its signal errors the body being read.
    abortOn: (signal) => signal.addEventListener("abort", () => controller.error(signal.reason)),
  };
}

test("answers without rewritten URLs stream through: the proxy answers before the vendor's body has ended", async () => {
  const vendor = openBody({ headers: { "content-type": "application/json" } });
  let init;
  const handler = createProxyHandler({
    provider: "queue", baseUrl: VENDOR, apiKey: "k", upstreamTimeoutMs: 50,
    fetch: async (_url, i) => { init = i; return vendor.response; },
  });
  vendor.push('{"images":[');
  // Buffered, the handler would wait for the end of a body that only ends below.
  const res = await Promise.race([
    ask(handler, { method: "GET", body: undefined }, "/v1/queue/fal-ai/flux/dev/requests/r1"),
    new Promise((r) => setTimeout(() => r("still reading the vendor's body"), 3000)),
  ]);
  assert.ok(res instanceof Response, String(res));
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  assert.equal(new TextDecoder().decode((await reader.read()).value), '{"images":[');
  // Past upstreamTimeoutMs: a body that has started is not cut off.
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(init.signal.aborted, false);
  vendor.push('{"url":"https://vendor.example/apixo/x.png"}]}');
  vendor.end();
  let rest = "";
  for (let step; !(step = await reader.read()).done;) rest += new TextDecoder().decode(step.value);
  assert.equal(rest, '{"url":"https://vendor.example/apixo/x.png"}]}', "a result is passed through as sent");
});

test("the request body is read once and forwarded as that buffer; queue submit answers are rewritten", async () => {
  let got;
  const handler = createProxyHandler({
    provider: "queue", baseUrl: VENDOR, apiKey: "k",
    fetch: async (url, init) => {
      got = { url, body: new TextDecoder().decode(init.body) };
      return Response.json({ request_id: "r1", status_url: `${VENDOR}/v1/queue/a/requests/r1/status` });
    },
  });
  const body = JSON.stringify({ prompt: "é".repeat(1000) });
  const res = await ask(handler, { body, headers: { "content-type": "application/json" } }, "/v1/queue/a");
  assert.equal(got.body, body);
  assert.equal((await res.json()).status_url, "https://app.example/api/tasklane/v1/queue/a/requests/r1/status");
});

test("upstreamTimeoutMs: a vendor that does not answer in time gives 504 and its request is aborted; one unreachable gives 502", async () => {
  let signal;
  const hanging = createProxyHandler({
    provider: "apixo", baseUrl: VENDOR, apiKey: "k", upstreamTimeoutMs: 100,
    fetch: (_url, init) => new Promise((_, reject) => {
      signal = init.signal;
      signal.addEventListener("abort", () => reject(signal.reason));
    }),
  });
  const res = await ask(hanging);
  assert.equal(res.status, 504);
  assert.deepEqual((await res.json()).error, { code: "upstream_timeout", message: "the vendor did not answer within 100 ms" });
  assert.equal(signal.aborted, true);
  // A queue submit answer is read whole (to rewrite it): the timeout covers its body too.
  const stalled = openBody({ headers: { "content-type": "application/json" } });
  const slowBody = createProxyHandler({ provider: "queue", baseUrl: VENDOR, apiKey: "k", upstreamTimeoutMs: 100, fetch: async (_url, init) => { stalled.abortOn(init.signal); return stalled.response; } });
  stalled.push('{"request_id":');
  assert.equal((await ask(slowBody, {}, "/v1/queue/a")).status, 504);
  const down = createProxyHandler({ provider: "apixo", baseUrl: VENDOR, apiKey: "k", fetch: async () => { throw new TypeError("fetch failed"); } });
  const bad = await ask(down);
  assert.equal(bad.status, 502);
  assert.equal((await bad.json()).error.code, "upstream_unreachable");
});

test("an authorize hook that reads the body: a JSON 500 the app can read, not a thrown error; and a queue cancel URL's tail is one segment", async () => {
  const sent = [];
  const fetch = async (url) => { sent.push(url); return Response.json({}); };
  const greedy = createProxyHandler({ provider: "apixo", baseUrl: VENDOR, apiKey: "k", fetch, authorize: async (req) => { await req.json(); return true; } });
  const res = await ask(greedy, { method: "POST", body: JSON.stringify({ input: {} }) });
  assert.equal(res.status, 500);
  const err = (await res.json()).error;
  assert.equal(err.code, "body_unreadable");
  assert.match(err.message, /already read/);
  // Any deeper path below a task's remembered cancel URL is no cancel route.
  const q = createProxyHandler({ provider: "queue", baseUrl: VENDOR, apiKey: "k", fetch });
  const deep = await ask(q, { method: "PUT" }, "/v1/queue/fal-ai/flux/dev/requests/r1/anything/else/here");
  assert.equal(deep.status, 405);
  assert.equal(deep.headers.get("allow"), "POST");
  assert.deepEqual(sent, [], "nothing reached the vendor");
});

test("a path with an encoded / or \\ is refused: a vendor that decodes it would be led outside the route (and the allow lists) with the key", async () => {
  const sent = [];
  const fetch = async (url) => { sent.push(url); return Response.json({}); };
  const mp = createProxyHandler({ provider: "mindproxy", baseUrl: VENDOR, apiKey: "k", fetch });
  const q = createProxyHandler({ provider: "queue", baseUrl: VENDOR, apiKey: "k", fetch, allow: { endpoints: ["fal-ai/flux/dev"] } });
  const cases = [
    [mp, "GET", "/v1/tasks/..%2F..%2Fadmin"],
    [mp, "POST", "/v1/tasks/..%2f..%2fadmin%2fwipe/cancel"],
    [mp, "GET", "/v1/tasks/..%5C..%5Cadmin"],
    [q, "GET", "/v1/queue/fal-ai/flux/dev/requests/r1%2F..%2F..%2F..%2Fother/status"],
    [q, "PUT", "/v1/queue/fal-ai/flux/dev/requests/r1/cancel/..%2F..%2F..%2F..%2Fother"],
  ];
  for (const [handler, method, p] of cases) {
    const res = await ask(handler, { method, body: method === "GET" ? undefined : "{}" }, p);
    assert.equal(res.status, 404, p);
    assert.equal((await res.json()).error.code, "not_found", p);
  }
  assert.deepEqual(sent, [], "nothing reached the vendor");
  // The same routes with plain ids still pass.
  assert.equal((await ask(mp, { method: "GET", body: undefined }, "/v1/tasks/t%20x")).status, 200);
  assert.equal((await ask(q, { method: "PUT", body: undefined }, "/v1/queue/fal-ai/flux/dev/requests/r1/cancel")).status, 200);
});

test("an allow list under a key that is not one of models, operations, endpoints, taskTypes is refused, not ignored (which allowed everything)", () => {
  for (const key of ["model", "endpoint", "task_types", "Models"]) {
    assert.throws(
      () => createProxyHandler({ provider: "apixo", baseUrl: VENDOR, apiKey: "k", allow: { [key]: ["sim-fast"] } }),
      { name: "TaskError", code: "invalid_argument", message: new RegExp(`allow\\.${key}`) },
      key,
    );
  }
  createProxyHandler({ provider: "apixo", baseUrl: VENDOR, apiKey: "k", allow: { models: ["sim-fast"], operations: undefined } });
});

test("a misspelled option is invalid_argument naming it, not ignored (`authorise` would leave the proxy open)", () => {
  for (const key of ["authorise", "allowOrigin", "baseURL"]) {
    assert.throws(
      () => createProxyHandler({ provider: "apixo", baseUrl: VENDOR, apiKey: "k", authorize: () => false, [key]: 1 }),
      { name: "TaskError", code: "invalid_argument", message: new RegExp(`options\\.${key}.*unknown option`) },
      key,
    );
  }
});

test("upstreamTimeoutMs past setTimeout's range (2^31 ms) waits, not times out at once", async () => {
  for (const ms of [2 ** 31, 3e9, Number.MAX_SAFE_INTEGER]) {
    const handler = createProxyHandler({
      provider: "apixo", baseUrl: VENDOR, apiKey: "k", upstreamTimeoutMs: ms,
      fetch: (_url, init) => new Promise((resolve, reject) => {
        init.signal.addEventListener("abort", () => reject(init.signal.reason));
        setTimeout(() => resolve(Response.json({ code: 200, data: { taskId: "t" } })), 50);
      }),
    });
    const res = await ask(handler);
    assert.equal(res.status, 200, `upstreamTimeoutMs ${ms}`);
  }
});
