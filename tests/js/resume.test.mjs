// Durable resume in a real browser (issue 6): a page in headless Chromium submits a task
// with a durable store, is reloaded while the task runs, and the reloaded page finds it
// with pending() and finishes it with resume() — with the "localStorage" store, with
// indexedDBStore() and with its string form "indexedDB". The simulator's stats prove the
// task was submitted once, polled before and after the reload, and that the store is
// empty at the end.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { startSim } from "./support/sim.mjs";
import { outDir } from "./runtimes/paths.mjs";
import { serveDir } from "./runtimes/serve.mjs";
import { launchChromium, bundleForBrowser } from "./runtimes/chromium.mjs";

let sim, server, browser;
before(async () => {
  sim = await startSim();
  const dir = outDir("resume");
  await mkdir(dir, { recursive: true });
  // The page only loads the package; the test drives it with page.evaluate.
  const entry = path.join(dir, "entry.mjs");
  await writeFile(entry, `import * as tasklane from "tasklane";\nglobalThis.tasklane = tasklane;\nglobalThis.__ready = true;\n`);
  await bundleForBrowser(entry, dir);
  server = await serveDir(dir);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
  await sim?.stop();
});

/** In the page: a client on the simulator's queue dialect with the named store. */
const makeClient = (storeKind, base) => {
  const { TaskClient, indexedDBStore } = globalThis.tasklane;
  // "indexedDB" as a string is the same store under its default database name.
  const store = storeKind === "indexedDBStore()" ? indexedDBStore({ name: "tasklane-resume-test" }) : storeKind;
  return new TaskClient({ provider: "queue", baseUrl: base, apiKey: "sim-key", store, poll: { initialDelayMs: 100, maxDelayMs: 300, jitter: 0, timeoutMs: 30_000 } });
};

for (const storeKind of ["localStorage", "indexedDBStore()", "indexedDB"]) {
  test(`a reload in the middle of a task: pending() finds it and resume() finishes it (${storeKind})`, async () => {
    const page = await browser.newPage();
    const logs = [];
    page.on("console", (m) => logs.push(m.text()));
    page.on("pageerror", (e) => logs.push(String(e)));
    try {
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction(() => globalThis.__ready, null, { timeout: 30_000 });
      const base = sim.baseUrl("queue");
      const ref = `resume-${storeKind.replace(/\W/g, "")}`;
      // Submit, then start waiting (the wait is lost with the page).
      const id = await page.evaluate(async ([mk, kind, base, ref]) => {
        const client = (0, eval)(`(${mk})`)(kind, base);
        const u = await client.submit({ endpoint: "fal-ai/resume", input: { prompt: "reload me", _sim: { queue_ms: 300, run_ms: 2500, ref } } });
        globalThis.__wait = client.wait(u.id).then((x) => x.state, (e) => e.code);
        return u.id;
      }, [makeClient.toString(), storeKind, base, ref]);
      assert.match(id, /\S/);

      // Reload once the page has polled the live task at least once.
      let before;
      for (let i = 0; i < 100; i++) {
        before = (await sim.stats()).tasks[id];
        if (before.requests.some((r) => r.route === "status")) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(before.completed_at_ms, null, "the task was still live when the page reloaded");
      const polledBefore = before.requests.filter((r) => r.route === "status").length;
      assert.ok(polledBefore >= 1, "polled before the reload");
      await page.reload();
      await page.waitForFunction(() => globalThis.__ready, null, { timeout: 30_000 });

      const after = await page.evaluate(async ([mk, kind, base]) => {
        const client = (0, eval)(`(${mk})`)(kind, base);
        const pending = await client.pending();
        const updates = await client.resume();
        // Deletes of an async store are not awaited by the client: give them a moment.
        // (The estimates record the finished task left is not a pending task.)
        let left = await client.pending();
        for (let i = 0; i < 50 && left.length; i++) {
          await new Promise((r) => setTimeout(r, 20));
          left = await client.pending();
        }
        return { pending, updates: updates.map((u) => ({ id: u.id, state: u.state, outputs: u.outputs?.length ?? 0 })), left };
      }, [makeClient.toString(), storeKind, base]);

      assert.deepEqual(after.pending, [id], logs.join("\n"));
      assert.deepEqual(after.updates, [{ id, state: "succeeded", outputs: 1 }]);
      assert.deepEqual(after.left, [], "the finished task left the store");

      const stats = await sim.stats();
      const t = stats.tasks[id];
      assert.equal(stats.refs[ref], 1, "submitted once: resume never submits again");
      assert.equal(t.outcome, "succeeded");
      const statusAfterReload = t.requests.filter((r) => r.route === "status").length - polledBefore;
      assert.ok(statusAfterReload >= 1, "the reloaded page polled the task");
      assert.equal(t.requests.filter((r) => r.route === "result").length, 1, "the reloaded page read the result once");
    } finally {
      await page.close();
    }
  });
}
