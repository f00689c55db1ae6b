// `tasklane/proxy` in workerd (Miniflare): proxy-worker-app.mjs, bundled with the `workerd`
// condition (the proxy build's .wasm stays a CompiledWasm import, the only one), is the
// proxy in front of the simulator: a `tasklane/client` in Node with no API key runs a task
// through it, and bad options throw the package's TaskError. The example Worker's proxy
// (the full build) is tested at length in ../proxy.test.mjs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { Miniflare } from "miniflare";
import { TaskClient } from "tasklane/client";
import { startSim } from "../support/sim.mjs";
import { outDir } from "./paths.mjs";
import { bundleForWorkerd, workerdOptions } from "./harness.mjs";

let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.stop(); });

test("tasklane/proxy carries a task to the simulator and back in workerd (Miniflare)", async () => {
  const dir = outDir("proxy-workerd");
  const scriptPath = await bundleForWorkerd(new URL("./proxy-worker-app.mjs", import.meta.url).pathname, dir);
  const imports = [...(await readFile(scriptPath, "utf8")).matchAll(/from\s*"([^"]+\.wasm)"/g)].map((m) => m[1]);
  assert.deepEqual(imports, ["./dist/tasklane_proxy_bg.wasm"], "the Worker imports the proxy build's wasm only");
  const mf = new Miniflare(workerdOptions(scriptPath, dir, {
    bindings: { APIXO_BASE_URL: sim.baseUrl("apixo"), APIXO_API_KEY: sim.apiKey },
    host: "127.0.0.1",
    port: 0,
  }));
  try {
    const url = (await mf.ready).toString().replace(/\/$/, "");
    // No apiKey: the simulator refuses requests without one, so a task that succeeds went
    // through the proxy, which added it.
    const client = new TaskClient({
      provider: "apixo",
      baseUrl: `${url}/api/tasklane/apixo`,
      poll: { initialDelayMs: 50, maxDelayMs: 200, timeoutMs: 20_000 },
    });
    const done = await client.run({ model: "sim-fast", input: { prompt: "a cat", _sim: { queue_ms: 50, run_ms: 150 } } });
    assert.equal(done.state, "succeeded");
    assert.equal(done.outputs.length, 1);
    const stats = await sim.stats();
    assert.equal(Object.keys(stats.tasks).length, 1, "one task reached the simulator");
    assert.deepEqual(await (await mf.dispatchFetch(`${url}/bad`)).json(), { isTaskError: true, code: "invalid_argument" });
  } finally {
    await mf.dispose();
  }
});
