// verifyWebhook, createWebhookHandler and signWebhook in Deno (`deno run`, the package's
// `deno` entry), on Deno's own web Request: a signed delivery verifies, a duplicate is
// acknowledged without reaching onUpdate, a tampered body is refused with 401.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { denoRun } from "./runtimes/harness.mjs";
import { outDir } from "./runtimes/paths.mjs";

const SCRIPT = `
import { verifyWebhook, createWebhookHandler, signWebhook } from "tasklane";
const secret = "whsec_ZGVuby13ZWJob29rLXRlc3Q=";
const body = JSON.stringify({ code: 200, msg: "success", data: { taskId: "a1", state: "success", resultJson: JSON.stringify({ resultUrls: ["https://cdn.example/a.png"] }) } });
const headers = signWebhook(body, { secret });
const req = (b = body) => new Request("http://127.0.0.1/hook", { method: "POST", headers, body: b });
const u = await verifyWebhook(req(), { provider: "apixo", secret });
let n = 0;
const handler = createWebhookHandler({ provider: "apixo", secret, onUpdate: () => { n += 1; } });
const first = await handler(req());
const second = await handler(req());
let bad;
try { await verifyWebhook(req(body.replace("a1", "a2")), { provider: "apixo", secret }); } catch (e) { bad = [e.name, e.status, e.code]; }
console.log(JSON.stringify({ id: u.id, state: u.state, url: u.outputs[0].url, statuses: [first.status, second.status], second: await second.json(), n, bad }));
`;

test("webhooks in Deno", async () => {
  const dir = outDir("webhook-deno");
  await mkdir(dir, { recursive: true });
  const script = path.join(dir, "webhook-deno.mjs");
  await writeFile(script, SCRIPT);
  const out = JSON.parse((await denoRun(script)).trim().split("\n").pop());
  assert.deepEqual(out, {
    id: "a1",
    state: "succeeded",
    url: "https://cdn.example/a.png",
    statuses: [200, 200],
    second: { ok: true, duplicate: true },
    n: 1,
    bad: ["WebhookError", 401, "bad_signature"],
  });
});
