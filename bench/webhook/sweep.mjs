// Where Web Crypto starts beating the wasm HMAC in workerd: a delivery's time per body size
// with each HMAC path forced, through the benchmark's Worker (bench/webhook/worker.mjs) in
// Miniflare. The threshold in src/webhook/hmac.rs (WORKERD_WEBCRYPTO_MIN_BYTES) comes from it.
// Run after `make build`: node bench/webhook/sweep.mjs [sizes, comma-separated]
// With NODEJS_COMPAT=1 the Worker runs under the `nodejs_compat` flag, where node:crypto is
// there too (its own column).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { bundleForWorkerd, workerdOptions } from "../../tests/js/runtimes/harness.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dir = path.join(root, "test-output/bench-webhook-sweep");
const sizes = (process.argv[2] ?? "512,1024,1280,1536,2048,3072").split(",").map(Number);
const scriptPath = await bundleForWorkerd(path.join(root, "bench/webhook/worker.mjs"), dir);
const compat = process.env.NODEJS_COMPAT === "1";
const mf = new Miniflare(
  workerdOptions(scriptPath, dir, compat ? { compatibilityDate: "2025-09-01", compatibilityFlags: ["nodejs_compat"] } : {}),
);
try {
  // workerd's clock stands still during CPU work: time requests of two lengths from here.
  const call = async (size, c, n) => {
    const t = performance.now();
    const url = `http://bench/?size=${size}&case=${c}&n=${n}&node=${compat ? 1 : 0}`;
    const body = await (await mf.dispatchFetch(url)).json();
    return [performance.now() - t, body];
  };
  const [, { names }] = await call(sizes[0], 0, 0);
  const paths = compat ? ["wasm", "webcrypto", "node", "auto"] : ["wasm", "webcrypto", "auto"];
  const cases = paths.map((p) => names.indexOf(`tasklane verifyWebhook (hmac: ${p})`));
  console.log("body bytes | " + paths.map((p) => `hmac: ${p} (µs)`).join(" | "));
  for (const size of sizes) {
    const row = [];
    for (const c of cases) {
      await call(size, c, 5000); // warm-up, so V8 has tiered up before the timing
      const [short] = await call(size, c, 100);
      const [long] = await call(size, c, 20100);
      row.push((((long - short) / 20000) * 1000).toFixed(2));
    }
    console.log(`${size} | ${row.join(" | ")}`);
  }
} finally {
  await mf.dispose();
}
