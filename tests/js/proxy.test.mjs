// The edge proxy (createProxyHandler) in workerd: the example Worker (examples/worker/)
// runs in Miniflare in front of the simulator. A headless Chromium page on another origin
// runs a task of each dialect through it with no API key; refused requests (no session,
// foreign origin, allow lists, unknown routes, wrong methods, oversize bodies) get their
// JSON errors and are shown by the simulator's stats never to have reached it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Miniflare } from "miniflare";
import { startSim } from "./support/sim.mjs";
import { root, outDir } from "./runtimes/paths.mjs";
import { bundleForWorkerd } from "./runtimes/harness.mjs";
import { serveDir } from "./runtimes/serve.mjs";
import { launchChromium, bundleForBrowser } from "./runtimes/chromium.mjs";

const SESSION = "sess-proxy-test";
const ALLOW = { models: ["sim-fast"], taskTypes: ["async_image"], endpoints: ["fal-ai/flux/dev"], operations: ["avatar/async_generate"] };
const DIALECTS = ["mirako", "apixo", "mindproxy", "queue"];

let sim;
let mf;
let proxyUrl;
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
  const scriptPath = await bundleForWorkerd(path.join(root, "examples/worker/src/index.js"), path.join(dir, "worker"));
  const bindings = { APP_SESSION: SESSION, ALLOW_ORIGINS: page.url, PROXY_ALLOW: JSON.stringify(ALLOW), WEBHOOK_SECRET: "whsec_c2VjcmV0", MIRAKO_WEBHOOK_TOKEN: "t" };
  for (const d of DIALECTS) {
    bindings[`${d.toUpperCase()}_BASE_URL`] = sim.baseUrl(d);
    bindings[`${d.toUpperCase()}_API_KEY`] = sim.apiKey;
  }
  mf = new Miniflare({
    modules: true,
    scriptPath,
    modulesRoot: path.join(dir, "worker"),
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2025-01-01",
    kvNamespaces: ["RESULTS", "WEBHOOK_DEDUPE"],
    bindings,
    host: "127.0.0.1",
    port: 0,
  });
  proxyUrl = (await mf.ready).toString().replace(/\/$/, "");
});

after(async () => {
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
