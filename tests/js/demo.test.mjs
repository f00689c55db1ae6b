// The demo page in headless Chromium, against the real simulator and the built npm package:
// submits on each dialect and waits for the images, cancels a task, ends one with an error,
// runs the 200-task stress panel, checks the counts the page shows against the simulator's
// own stats, and that the console stays clean. Screenshots go to test-output/demo/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { chromium } from "playwright-core";
import { startSim } from "./support/sim.mjs";
import { buildDemo, startDemoServer } from "../../scripts/serve-demo.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const shots = path.join(root, "test-output/demo");
const CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];
const DIALECTS = ["mirako", "apixo", "mindproxy", "queue"];
const TERMINAL = ["succeeded", "failed", "canceled", "timed_out", "error"];

let sim, server, browser, page;
const consoleErrors = [];

before(async () => {
  const secret = "whsec_" + randomBytes(24).toString("base64");
  sim = await startSim(["--webhook-secret", secret]);
  // Its own bundle directory: a `make demo` running meanwhile keeps www/dist.
  const outDir = path.join(root, "test-output/demo-dist");
  await buildDemo({ outDir });
  server = await startDemoServer({ simUrl: sim.url, apiKey: sim.apiKey, webhookSecret: secret, outDir });
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS, timeout: 30_000 });
  // 1280 CSS px drawn at 80 %: screenshots stay small enough to commit one as docs/demo.png.
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 0.8 });
  page.setDefaultTimeout(30_000);
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    // Chromium itself logs every HTTP error answer; the flaky model's 429/5xx (which the page
    // shows as retried) are expected there. Anything else is a defect of the page.
    if (/^Failed to load resource: the server responded with a status of (429|500|502|503|504)\b/.test(m.text())
        && (m.location()?.url ?? "").startsWith(sim.url)) return;
    consoleErrors.push(`console: ${m.text()} @ ${m.location()?.url ?? ""}`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`pageerror: ${e.message}`));
  await fs.mkdir(shots, { recursive: true });
  await page.goto(server.url);
  await page.waitForFunction(() => document.body.dataset.ready === "1" || document.body.dataset.ready === "error");
  assert.equal(await page.evaluate(() => document.body.dataset.ready), "1", "the page started");
});

/** Runs a cleanup step, bounded: a hung browser must not keep the simulator alive. */
const bounded = (p, ms = 10_000) => Promise.race([Promise.resolve(p).catch(() => {}), new Promise((r) => setTimeout(r, ms).unref())]);

after(async () => {
  await bounded(browser?.close());
  await bounded(server?.close());
  await bounded(sim?.stop());
});

/** Chooses the form's options by clicking their labels, as a visitor does. */
async function choose({ dialect, profile = "short", outcome = "succeeded", output = "image", mode = "poll" }) {
  await page.click(`label[for="dialect-${dialect}"]`);
  await page.click(`label[for="profile-${profile}"]`);
  await page.click(`label[for="outcome-${outcome}"]`);
  await page.click(`label[for="output-${output}"]`);
  await page.click(`label[for="mode-${mode}"]`);
}

/** Submits and returns a locator for the new card (cards are prepended). */
async function submit(opts, prompt) {
  await choose(opts);
  await page.fill("#prompt", prompt);
  const before = await page.locator("#tasks .card").count();
  await page.click("#submit-btn");
  await page.waitForFunction((n) => document.querySelectorAll("#tasks .card").length === n + 1, before);
  // Cards are prepended: pin this one by its element id, not by its position.
  const id = await page.locator("#tasks .card").first().getAttribute("id");
  return page.locator(`#${id}`);
}

async function waitTerminal(card) {
  await card.evaluate((el, terminal) => new Promise((resolve) => {
    const check = () => terminal.includes(el.dataset.state) && resolve();
    new MutationObserver(check).observe(el, { attributes: true });
    check();
  }), TERMINAL);
  return card.getAttribute("data-state");
}

/** Status requests the simulator logged for a task. */
function simStatusCount(stats, id) {
  const t = stats.tasks?.[id];
  assert.ok(t, `the simulator knows task ${id}`);
  return t.requests.filter((r) => /status/i.test(String(r.route))).length;
}

/** A GET with the path sent exactly as written (no client-side `..` folding). */
function rawGet(base, rawPath) {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, method: "GET" }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode, type: res.headers["content-type"] }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("the demo server: MIME types, the wasm next to the bundle, nothing outside www/", async () => {
  assert.equal((await rawGet(server.url, "/")).type, "text/html; charset=utf-8");
  assert.equal((await rawGet(server.url, "/dist/app.js")).type, "text/javascript; charset=utf-8");
  const wasm = await rawGet(server.url, "/dist/dist/tasklane_bg.wasm");
  assert.deepEqual(wasm, { status: 200, type: "application/wasm" });
  const cfg = await (await fetch(new URL("/config.json", server.url))).json();
  assert.equal(cfg.simUrl, sim.url);
  for (const p of ["/../Makefile", "/dist/../../Makefile", "/%2e%2e/Makefile", "/dist/%2e%2e/%2e%2e/package.json"]) {
    assert.equal((await rawGet(server.url, p)).status, 404, p);
  }
});

test("each dialect: submit, follow, show the image; counts match the simulator", { timeout: 120_000 }, async () => {
  const cards = [];
  for (const dialect of DIALECTS) cards.push([dialect, await submit({ dialect }, `a lighthouse, drawn by ${dialect}`)]);
  for (const [dialect, card] of cards) {
    assert.equal(await waitTerminal(card), "succeeded", `${dialect} task succeeded`);
    const img = card.locator(".result img");
    await img.waitFor();
    await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
    // A timeline with at least the queued entry and the terminal one, with times.
    const steps = await card.locator(".timeline li").allTextContents();
    assert.ok(steps.length >= 2, `${dialect} timeline has ${steps.length} entries`);
    assert.match(steps.at(-1), /succeeded/);
    assert.match(steps[0], /^\+\d/);
  }
  const stats = await sim.stats();
  for (const [dialect, card] of cards) {
    const id = await card.getAttribute("data-task-id");
    const shown = Number(await card.getAttribute("data-status-requests"));
    assert.equal(shown, simStatusCount(stats, id), `${dialect}: the status requests the card shows are the ones the simulator saw`);
    assert.ok(shown >= 1, `${dialect} polled at least once`);
    assert.equal(stats.tasks[id].dialect, dialect);
    // The card's fixed-loop figure uses the simulator's duration of this task.
    const t = stats.tasks[id];
    const want = 1 + Math.ceil(((t.terminal_at_ms ?? t.completed_at_ms) - t.created_at_ms) / 500);
    await page.waitForFunction((el) => el.dataset.simDurationMs != null, await card.elementHandle());
    assert.equal(await card.locator(".vs strong").textContent(), String(want), `${dialect}: fixed 500 ms loop figure`);
  }
  await page.screenshot({ path: path.join(shots, "dialects.png"), fullPage: true });
});

test("cancel on a dialect that can; disabled with a reason on one that cannot", { timeout: 90_000 }, async () => {
  const apixo = await submit({ dialect: "apixo", profile: "long" }, "a cathedral of glass (apixo cannot cancel)");
  const btnA = apixo.locator('[data-role="cancel"]');
  assert.equal(await btnA.isDisabled(), true, "apixo's cancel button is disabled");
  assert.match(await apixo.locator(".cancel-wrap").getAttribute("title"), /no cancel endpoint/);

  for (const dialect of ["mindproxy", "queue"]) {
    const card = await submit({ dialect, profile: "long" }, `a slow painting of waves (${dialect}, canceled)`);
    await page.waitForFunction((el) => !!el.dataset.taskId, await card.elementHandle());
    const btn = card.locator('[data-role="cancel"]');
    assert.equal(await btn.isDisabled(), false);
    await btn.click();
    assert.equal(await waitTerminal(card), "canceled", `${dialect} task canceled`);
    const id = await card.getAttribute("data-task-id");
    const stats = await sim.stats();
    assert.ok(stats.tasks[id].requests.some((r) => /cancel/i.test(String(r.route))), `the simulator saw ${dialect}'s cancel`);
  }
  // The apixo one is left running; it ends by itself (sim-slow, at most 20 s).
  assert.equal(await waitTerminal(apixo), "succeeded");
});

test("a failing task shows its error text", { timeout: 60_000 }, async () => {
  const card = await submit({ dialect: "queue", outcome: "failed" }, "this one is set up to fail");
  assert.equal(await waitTerminal(card), "failed");
  const text = await card.locator(".result .error").textContent();
  assert.ok(text.trim().length > 6, `error text shown: ${text}`);
});

test("a flaky model: faults are retried, shown, and counted as the simulator logged them", { timeout: 60_000 }, async () => {
  const card = await submit({ dialect: "mindproxy", profile: "flaky" }, "through a flaky provider");
  assert.equal(await waitTerminal(card), "succeeded");
  const id = await card.getAttribute("data-task-id");
  const logged = (await sim.stats()).tasks[id].requests.filter((r) => r.status >= 400);
  assert.ok(logged.length >= 1, "the scripted 429 happened");
  const retried = await card.locator(".timeline li.s-fault").allTextContents();
  assert.equal(retried.length, logged.length, `one timeline entry per fault (${retried})`);
  assert.match(retried[0], /HTTP 429/);
  assert.equal(Number(await card.getAttribute("data-status-requests")), simStatusCount(await sim.stats(), id));
});

test("webhook mode: the simulator's deliveries end the wait through createWebhookHandler and deliver()", { timeout: 90_000 }, async (t) => {
  if (!server.webhooks) return t.skip("the package has no createWebhookHandler");
  for (const dialect of ["apixo", "mirako"]) {
    const card = await submit({ dialect, mode: "webhook" }, `delivered by webhook (${dialect})`);
    assert.equal(await waitTerminal(card), "succeeded", dialect);
    await card.locator(".result img").waitFor();
    const last = await card.locator(".timeline li").last().textContent();
    assert.match(last, /succeeded.*webhook/, `${dialect}: the end came by webhook (${last})`);
    const id = await card.getAttribute("data-task-id");
    const stats = await sim.stats();
    assert.ok(stats.webhooks.some((w) => w.task_id === id && w.status >= 200 && w.status < 300), `${dialect}: the simulator's delivery was accepted`);
    assert.equal(Number(await card.getAttribute("data-status-requests")), simStatusCount(stats, id));
  }
});

test("stress: 200 tasks, requests counted and compared with a fixed 500 ms loop", { timeout: 180_000 }, async (t) => {
  await page.selectOption("#stress-dialect", "queue");
  await page.selectOption("#stress-profile", "long"); // sim-slow: 8–20 s per task
  await page.click("#stress-btn");
  await page.waitForFunction(() => document.getElementById("stress").dataset.finished === "1", null, { timeout: 170_000 });
  const s = JSON.parse(await page.getAttribute("#stress", "data-summary"));
  assert.equal(s.tasks, 200);
  assert.equal(s.succeeded, 200);
  assert.equal(s.submits, 200);
  assert.ok(s.statusRequests >= 200, `at least one status request per task (${s.statusRequests})`);
  assert.equal(s.simCounted, s.statusRequests, "the page's count is the simulator's");
  // The fixed-loop figure is Σ 1 + ⌈duration / 0.5 s⌉ over the simulator's durations.
  const stats = await sim.stats();
  const ids = await page.evaluate(() => window.tasklaneDemo.stress.tasks.map((t) => t.id));
  let fixed = 0;
  for (const id of ids) {
    const t = stats.tasks[id];
    fixed += 1 + Math.ceil(((t.terminal_at_ms ?? t.completed_at_ms) - t.created_at_ms) / 500);
  }
  assert.equal(s.fixedLoop, fixed);
  assert.equal(await page.textContent("#m-fixed"), fixed.toLocaleString("en-US"));
  assert.equal(await page.textContent("#m-status"), s.statusRequests.toLocaleString("en-US"));
  t.diagnostic(`stress: ${s.statusRequests} status requests for 200 tasks (peak ${s.peakRps}/s); a fixed 500 ms loop: ${fixed}`);
  await page.locator("#stress").screenshot({ path: path.join(shots, "stress.png") });
});

test("overview: tasks in every state side by side, above the stress results", { timeout: 120_000 }, async () => {
  await page.click("#clear-btn");
  assert.equal(await page.locator("#tasks .card").count(), 0, "finished cards cleared");
  // Newest first: the row reads live, retried, failed, done.
  const done = [
    await submit({ dialect: "apixo" }, "a lighthouse on a cliff at dusk"),
    await submit({ dialect: "queue", outcome: "failed" }, "a prompt the model chokes on"),
    await submit({ dialect: "mindproxy", profile: "flaky" }, "isometric tiny city, flaky provider"),
  ];
  for (const c of done) await waitTerminal(c);
  for (const c of done) if ((await c.getAttribute("data-state")) === "succeeded") await c.locator(".result img").waitFor();
  // Then a long one, pictured once it runs (or, should the poll miss that phase, as it ends).
  const live = await submit({ dialect: "queue", profile: "long" }, "a long video of waves at night");
  await page.waitForFunction(({ el, states }) => states.includes(el.dataset.state),
    { el: await live.elementHandle(), states: ["running", ...TERMINAL] }, { timeout: 60_000 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, "overview.png"), fullPage: true });
  assert.notEqual(await waitTerminal(live), "error");
});

test("narrow screen layout and a clean console", { timeout: 30_000 }, async () => {
  await page.screenshot({ path: path.join(shots, "full.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling on a phone (overflow ${overflow}px)`);
  await page.screenshot({ path: path.join(shots, "mobile.png") });
  await page.setViewportSize({ width: 1280, height: 900 });
  assert.deepEqual(consoleErrors, []);
});
