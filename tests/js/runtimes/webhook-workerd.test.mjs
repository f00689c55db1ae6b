// `tasklane/webhook` in workerd (Miniflare): webhook-worker-app.mjs, bundled with the
// `workerd` condition (the webhook build's .wasm stays a CompiledWasm import, the only one),
// verifies a delivery signed by the `standardwebhooks` package and refuses a forged one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { Miniflare } from "miniflare";
import { Webhook } from "standardwebhooks";
import { outDir } from "./paths.mjs";
import { bundleForWorkerd, workerdOptions } from "./harness.mjs";

const SECRET = "whsec_d2ViaG9vay13b3JrZXJkLXRlc3Qtc2VjcmV0LTEy";

/** Body and headers of a mirako delivery signed by standardwebhooks with `secret`. */
function signed(body, secret) {
  const id = `msg_${Date.now()}`;
  const ts = new Date();
  return {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(ts.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign(id, ts, body),
    },
  };
}

test("tasklane/webhook verifies a signed webhook in workerd (Miniflare)", async () => {
  const dir = outDir("webhook-workerd");
  const scriptPath = await bundleForWorkerd(new URL("./webhook-worker-app.mjs", import.meta.url).pathname, dir);
  const imports = [...(await readFile(scriptPath, "utf8")).matchAll(/from\s*"([^"]+\.wasm)"/g)].map((m) => m[1]);
  assert.deepEqual(imports, ["./dist/tasklane_webhook_bg.wasm"], "the Worker imports the webhook build's wasm only");
  const mf = new Miniflare(workerdOptions(scriptPath, dir, { bindings: { WEBHOOK_SECRET: SECRET } }));
  try {
    const body = JSON.stringify({ data: { task_id: "w1", status: "COMPLETED", image: "https://cdn.example/w.png" } });
    const ok = await (await mf.dispatchFetch("http://localhost/hook", signed(body, SECRET))).json();
    assert.deepEqual(ok, { update: { id: "w1", state: "succeeded" } });
    const forged = await (await mf.dispatchFetch("http://localhost/hook", signed(body, "whsec_bm90LXRoZS1zZWNyZXQ="))).json();
    assert.deepEqual(forged, { refused: { status: 401, code: "bad_signature", isWebhookError: true, isTaskError: false } });
    await acrossSizes(mf);
  } finally {
    await mf.dispose();
  }
  // Under `nodejs_compat` node:crypto takes Web Crypto's place for the larger bodies.
  const compat = new Miniflare(workerdOptions(scriptPath, dir, {
    bindings: { WEBHOOK_SECRET: SECRET }, compatibilityDate: "2025-09-01", compatibilityFlags: ["nodejs_compat"],
  }));
  try {
    await acrossSizes(compat);
  } finally {
    await compat.dispose();
  }
});

/** Bodies on both sides of the switch from wasm to Web Crypto or node:crypto (1.25 KiB in
 * workerd), the larger twice (the Web Crypto key is imported once, then reused): each
 * verified, and refused when one byte changes. */
async function acrossSizes(mf) {
  for (const size of [600, 3000, 70_000, 3000]) {
    const big = JSON.stringify({ data: { task_id: `w${size}`, status: "COMPLETED", image: "https://cdn.example/w.png", pad: "x".repeat(size) } });
    const got = await (await mf.dispatchFetch("http://localhost/hook", signed(big, SECRET))).json();
    assert.deepEqual(got, { update: { id: `w${size}`, state: "succeeded" } }, `${size} B`);
    const tampered = signed(big, SECRET);
    tampered.body = big.replace("xxx", "xyx");
    const refused = await (await mf.dispatchFetch("http://localhost/hook", tampered)).json();
    assert.equal(refused.refused?.code, "bad_signature", `${size} B, tampered`);
  }
}
