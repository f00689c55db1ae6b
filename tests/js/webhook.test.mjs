// Webhook receiving in Node against the built package: interop with the real
// `standardwebhooks` package both ways, every dialect's body, the bad-input corpus through
// the handler (each refused with its status, nothing reaching onUpdate), duplicates (in
// memory, concurrent, and across instances through a shared store), onUpdate failures.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { verifyWebhook, createWebhookHandler, signWebhook, WebhookError, TaskError } from "tasklane";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SECRET = "whsec_c2VjcmV0LW9mLXNvbWVvbmUtZWxzZQ==";
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

/** A terminal webhook body of each dialect, and what it normalizes to. */
const BODIES = {
  mirako: [{ data: { task_id: "m1", status: "COMPLETED", image: PNG } }, { id: "m1", state: "succeeded" }],
  apixo: [
    { code: 200, msg: "success", data: { taskId: "a1", state: "success", resultJson: JSON.stringify({ resultUrls: ["https://cdn.example/a.png"] }), costTime: 1200 } },
    { id: "a1", state: "succeeded" },
  ],
  mindproxy: [{ task_id: "d1", status: 5, error_code: "NSFW", error_message: "blocked" }, { id: "d1", state: "failed" }],
  queue: [
    { status: "COMPLETED", request_id: "q1", payload: { images: [{ url: "https://cdn.example/q.png" }] } },
    { id: "q1", state: "succeeded" },
  ],
};

const nowSec = () => Math.floor(Date.now() / 1000);

function post(body, headers = {}, init = {}) {
  return new Request("http://127.0.0.1/webhooks", { method: "POST", headers: { "content-type": "application/json", ...headers }, body, ...init });
}

function signed(body, opts = {}) {
  return post(body, signWebhook(body, { secret: SECRET, ...opts }));
}

/** A handler whose onUpdate records what it was given. */
function recording(options = {}) {
  const calls = [];
  const handler = createWebhookHandler({
    provider: "mirako",
    secret: SECRET,
    onUpdate: (update) => { calls.push(update); },
    ...options,
  });
  return { handler, calls };
}

describe("interop with the standardwebhooks package", () => {
  test("signWebhook output verifies with standardwebhooks", () => {
    const body = JSON.stringify(BODIES.mirako[0]);
    const headers = signWebhook(body, { secret: SECRET });
    assert.match(headers["webhook-id"], /^msg_/);
    assert.ok(Math.abs(Number(headers["webhook-timestamp"]) - nowSec()) <= 1);
    const payload = new Webhook(SECRET).verify(body, headers);
    assert.equal(payload.data.task_id, "m1");
  });

  test("signWebhook matches standardwebhooks byte for byte for a given id and timestamp", () => {
    const body = '{"test": 2432232314}';
    const ours = signWebhook(body, { secret: SECRET, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330 });
    const theirs = new Webhook(SECRET).sign("msg_p5jXN8AQM9LWM0D4loKWxJek", new Date(1614265330 * 1000), body);
    assert.equal(ours["webhook-signature"], theirs);
    assert.equal(ours["webhook-signature"], "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    const fromDate = signWebhook(body, { secret: SECRET, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: new Date(1614265330 * 1000) });
    assert.equal(fromDate["webhook-signature"], theirs);
  });

  test("standardwebhooks signatures verify with verifyWebhook (Request and plain object)", async () => {
    const wh = new Webhook(SECRET);
    for (const [provider, [raw, expected]] of Object.entries(BODIES)) {
      const body = JSON.stringify(raw);
      const id = `msg_${provider}`;
      const ts = new Date();
      const headers = { "webhook-id": id, "webhook-timestamp": String(Math.floor(ts.getTime() / 1000)), "webhook-signature": wh.sign(id, ts, body) };
      const u = await verifyWebhook(post(body, headers), { provider, secret: SECRET });
      assert.equal(u.id, expected.id);
      assert.equal(u.state, expected.state);
      assert.deepEqual(u.raw, raw);
      const u2 = await verifyWebhook({ headers, body }, { provider, secret: SECRET });
      assert.equal(u2.id, expected.id);
    }
  });

  test("a header with several signatures (key rotation) verifies when any matches", async () => {
    const body = JSON.stringify(BODIES.apixo[0]);
    const h = signWebhook(body, { secret: SECRET });
    const old = signWebhook(body, { secret: OTHER_SECRET, id: h["webhook-id"], timestamp: Number(h["webhook-timestamp"]) });
    h["webhook-signature"] = `${old["webhook-signature"]} v1a,ignored ${h["webhook-signature"]}`;
    const u = await verifyWebhook(post(body, h), { provider: "apixo", secret: SECRET });
    assert.equal(u.id, "a1");
  });

  test("signatures sent as several webhook-signature header lines verify whichever line matches", async () => {
    // Headers (and Node's, Deno's and workerd's HTTP layers) join repeated lines with ", ".
    const body = JSON.stringify(BODIES.apixo[0]);
    const h = signWebhook(body, { secret: SECRET });
    const old = signWebhook(body, { secret: OTHER_SECRET, id: h["webhook-id"], timestamp: Number(h["webhook-timestamp"]) });
    for (const lines of [[h["webhook-signature"], old["webhook-signature"]], [old["webhook-signature"], h["webhook-signature"]]]) {
      const headers = new Headers({ "webhook-id": h["webhook-id"], "webhook-timestamp": h["webhook-timestamp"] });
      for (const line of lines) headers.append("webhook-signature", line);
      const u = await verifyWebhook(new Request("http://127.0.0.1/webhooks", { method: "POST", headers, body }), { provider: "apixo", secret: SECRET });
      assert.equal(u.id, "a1");
      const plain = { method: "POST", headers: Object.fromEntries(headers), body };
      assert.equal((await verifyWebhook(plain, { provider: "apixo", secret: SECRET })).id, "a1");
    }
    // Only the other key's signature, in two lines: still refused.
    const headers = new Headers({ "webhook-id": h["webhook-id"], "webhook-timestamp": h["webhook-timestamp"] });
    headers.append("webhook-signature", old["webhook-signature"]);
    headers.append("webhook-signature", old["webhook-signature"]);
    const req = new Request("http://127.0.0.1/webhooks", { method: "POST", headers, body });
    await assert.rejects(verifyWebhook(req, { provider: "apixo", secret: SECRET }), { status: 401, code: "bad_signature" });
  });
});

describe("verifyWebhook", () => {
  test("normalizes every dialect's body", async () => {
    const outputs = {
      mirako: (o) => assert.match(o[0].url, /^data:image\/png;base64,/),
      apixo: (o) => assert.equal(o[0].url, "https://cdn.example/a.png"),
      mindproxy: (o) => assert.equal(o, undefined),
      queue: (o) => assert.equal(o[0].url, "https://cdn.example/q.png"),
    };
    for (const [provider, [raw, expected]] of Object.entries(BODIES)) {
      const u = await verifyWebhook(signed(JSON.stringify(raw)), { provider, secret: SECRET });
      assert.equal(u.id, expected.id, provider);
      assert.equal(u.state, expected.state, provider);
      outputs[provider](u.outputs);
    }
    const failed = await verifyWebhook(signed(JSON.stringify(BODIES.mindproxy[0])), { provider: "mindproxy", secret: SECRET });
    assert.deepEqual(failed.error, { code: "NSFW", message: "blocked" });
  });

  test("bearer token (mirako's auth_token)", async () => {
    const body = JSON.stringify(BODIES.mirako[0]);
    const u = await verifyWebhook(post(body, { authorization: "Bearer tok-123" }), { provider: "mirako", authToken: "tok-123" });
    assert.equal(u.state, "succeeded");
    for (const auth of [undefined, "Bearer tok-12", "Bearer tok-1234", "Basic tok-123", "tok-123"]) {
      const err = await verifyWebhook(post(body, auth ? { authorization: auth } : {}), { provider: "mirako", authToken: "tok-123" }).then(() => null, (e) => e);
      assert.ok(err instanceof WebhookError, String(auth));
      assert.equal(err.name, "WebhookError");
      assert.equal(err.status, 401, String(auth));
    }
  });

  test("both checks when both are configured", async () => {
    const body = JSON.stringify(BODIES.mirako[0]);
    const opts = { provider: "mirako", authToken: "tok", secret: SECRET };
    const h = signWebhook(body, { secret: SECRET });
    assert.equal((await verifyWebhook(post(body, { ...h, authorization: "Bearer tok" }), opts)).id, "m1");
    await assert.rejects(verifyWebhook(post(body, h), opts), { name: "WebhookError", status: 401, code: "missing_header" });
    await assert.rejects(verifyWebhook(post(body, { authorization: "Bearer tok" }), opts), { status: 401, code: "missing_header" });
  });

  test("an apixo success whose resultJson is not JSON text is refused (400), not passed on without its results", async () => {
    const opts = { provider: "apixo", secret: SECRET };
    const body = (resultJson) => JSON.stringify({ code: 200, msg: "success", data: { taskId: "a9", state: "success", resultJson } });
    const signedBody = (b) => ({ method: "POST", headers: signWebhook(b, { secret: SECRET }), body: b });
    const err = await verifyWebhook(signedBody(body("{not json")), opts).then(() => null, (e) => e);
    assert.ok(err instanceof WebhookError, String(err));
    assert.equal(err.status, 400);
    assert.equal(err.code, "unrecognized_body");
    assert.match(err.message, /data\.resultJson.*not JSON/);
    // An empty resultJson is no result, not damage.
    const u = await verifyWebhook(signedBody(body("")), opts);
    assert.equal(u.state, "succeeded");
    assert.equal(u.outputs, undefined);
  });

  test("bad options are invalid_argument TaskErrors naming the option", async () => {
    const req = () => signed("{}");
    const cases = [
      [{ provider: "mirako" }, /authToken.*secret/],
      [{ provider: "nope", secret: SECRET }, /options\.provider/],
      [{ secret: SECRET }, /options\.provider/],
      [{ provider: "mirako", secret: "whsec_not base64!" }, /options\.secret.*base64/],
      [{ provider: "mirako", secret: "whsec_" }, /options\.secret/],
      [{ provider: "mirako", secret: SECRET, toleranceSec: -1 }, /options\.toleranceSec/],
      [{ provider: "mirako", secret: SECRET, maxBodyBytes: "big" }, /options\.maxBodyBytes/],
      [{ provider: "mirako", secret: SECRET, hmac: "fast" }, /options\.hmac/],
      [{ provider: "mirako", secret: SECRET, hmac: 5 }, /options\.hmac.*string/],
      // A misspelled option is named, not ignored (a looser check than the one written).
      [{ provider: "mirako", secret: SECRET, toleranceSecs: 10 }, /options\.toleranceSecs.*unknown option/],
      [{ provider: "mirako", authtoken: "t", secret: SECRET }, /options\.authtoken.*unknown option/],
    ];
    for (const [opts, message] of cases) {
      const err = await verifyWebhook(req(), opts).then(() => null, (e) => e);
      assert.ok(err instanceof TaskError, JSON.stringify(opts));
      assert.equal(err.code, "invalid_argument");
      assert.match(err.message, message);
    }
  });

  test("signWebhook refuses bad arguments", () => {
    assert.throws(() => signWebhook("{}", {}), { name: "TaskError", code: "invalid_argument", message: /options\.secret/ });
    assert.throws(() => signWebhook("{}", { secret: "whsec_###" }), { code: "invalid_argument", message: /base64/ });
    assert.throws(() => signWebhook(42, { secret: SECRET }), { code: "invalid_argument", message: /body/ });
    assert.throws(() => signWebhook("{}", { secret: SECRET, timestamp: -5 }), { code: "invalid_argument", message: /timestamp/ });
    assert.throws(() => signWebhook("{}", { secret: SECRET, timestamp: new Date(NaN) }), { code: "invalid_argument" });
    // Milliseconds (Date.now()) signed as seconds would be ~56,000 years ahead: every
    // verifier refuses such a delivery, so the mistake is named here instead.
    assert.throws(() => signWebhook("{}", { secret: SECRET, timestamp: Date.now() }), { code: "invalid_argument", message: /options\.timestamp.*milliseconds/ });
    // An id no HTTP header can carry would only fail later, in `new Headers(...)` or fetch.
    for (const id of ["a\nb", "a\rb", "tab\there", " padded ", "日本"]) {
      assert.throws(() => signWebhook("{}", { secret: SECRET, id }), { code: "invalid_argument", message: /options\.id/ }, JSON.stringify(id));
    }
    const latest = signWebhook("{}", { secret: SECRET, timestamp: 253402300799 }); // 9999-12-31T23:59:59Z
    assert.equal(latest["webhook-timestamp"], "253402300799");
    const bytes = signWebhook(new TextEncoder().encode("{}"), { secret: SECRET, id: "x", timestamp: 5 });
    assert.equal(bytes["webhook-signature"], signWebhook("{}", { secret: SECRET, id: "x", timestamp: 5 })["webhook-signature"]);
  });
});

describe("verifyWebhook on a plain {headers, body} (checked without a Request)", () => {
  const body = JSON.stringify(BODIES.queue[0]);

  test("the same TaskUpdate as from a Request, for a string, Uint8Array, ArrayBuffer and Headers", async () => {
    const opts = { provider: "queue", secret: SECRET };
    const h = signWebhook(body, { secret: SECRET });
    const expected = await verifyWebhook(post(body, h), opts);
    const bytes = new TextEncoder().encode(body);
    const forms = {
      string: { headers: h, body },
      bytes: { headers: h, body: bytes },
      arrayBuffer: { headers: h, body: bytes.buffer },
      headersObject: { method: "POST", headers: new Headers(h), body },
      capitalized: { headers: Object.fromEntries(Object.entries(h).map(([k, v]) => [k.replace(/\b\w/g, (c) => c.toUpperCase()), v])), body },
    };
    for (const [name, req] of Object.entries(forms)) {
      assert.deepEqual(await verifyWebhook(req, opts), expected, name);
    }
    assert.deepEqual(Object.keys(expected), ["id", "state", "rawStatus", "outputs", "raw"]);
  });

  test("`raw` is parsed on first read and then behaves as a plain property", async () => {
    const opts = { provider: "queue", secret: SECRET };
    const deliver = () => verifyWebhook({ headers: signWebhook(body, { secret: SECRET }), body }, opts);
    const u = await deliver();
    assert.equal(Object.getOwnPropertyDescriptor(u, "raw").get !== undefined, true, "not parsed before it is read");
    // Every way of reading the object sees the parsed body.
    assert.deepEqual(JSON.parse(JSON.stringify(await deliver())).raw, BODIES.queue[0]);
    assert.deepEqual({ ...(await deliver()) }.raw, BODIES.queue[0]);
    assert.deepEqual(structuredClone(await deliver()).raw, BODIES.queue[0]);
    assert.deepEqual(u.raw, BODIES.queue[0]);
    const d = Object.getOwnPropertyDescriptor(u, "raw");
    assert.deepEqual([d.get, d.writable, d.enumerable], [undefined, true, true], "an ordinary property once read");
    assert.equal(u.raw, u.raw, "parsed once");
    // Assigning before reading replaces it (no setter trap, no parse).
    const v = await deliver();
    v.raw = "mine";
    assert.equal(v.raw, "mine");
    assert.equal(delete v.raw, true);
    // A plain object: Object.prototype, no symbols, equal to its own fields written out.
    const w = await deliver();
    assert.equal(Object.getPrototypeOf(w), Object.prototype);
    assert.deepEqual(Object.getOwnPropertySymbols(w), []);
    assert.deepStrictEqual(w, { id: "q1", state: "succeeded", rawStatus: "COMPLETED", outputs: [{ url: "https://cdn.example/q.png", kind: "image" }], raw: BODIES.queue[0] });
    // Read through an object inheriting from an update, `raw` is the body too.
    assert.deepEqual(Object.create(await deliver()).raw, BODIES.queue[0]);
  });

  test("the update has TaskUpdate's keys in its order, absent ones left out, text of any script intact", async () => {
    const cases = [
      [
        "queue",
        { status: "COMPLETED", request_id: "q-😀-ü", payload: { images: [{ url: "https://cdn.example/狐.png" }, "https://cdn.example/b.webm"], seed: 1 }, metrics: { inference_time: 1.5 } },
        { id: "q-😀-ü", state: "succeeded", rawStatus: "COMPLETED", outputs: [{ url: "https://cdn.example/狐.png", kind: "image" }, { url: "https://cdn.example/b.webm", kind: "image" }], costMs: 1500 },
      ],
      ["queue", { status: "IN_QUEUE", request_id: "q2", queue_position: 3 }, { id: "q2", state: "queued", rawStatus: "IN_QUEUE", queuePosition: 3 }],
      [
        "mindproxy",
        { task_id: "d-é", status: 5, error_code: "NSFW ✗", error_message: "заблокировано 😀" },
        { id: "d-é", state: "failed", rawStatus: "5", error: { code: "NSFW ✗", message: "заблокировано 😀" } },
      ],
      ["mirako", { data: { task_id: "m9", status: "IN_PROGRESS" } }, { id: "m9", state: "running", rawStatus: "IN_PROGRESS" }],
      [
        "apixo",
        { code: 200, data: { taskId: "a9", state: "failed", failCode: "", failMsg: "", costTime: 20 } },
        { id: "a9", state: "failed", rawStatus: "failed", error: { code: "failed", message: "task ended failed (status failed)" }, costMs: 20 },
      ],
    ];
    for (const [provider, raw, expected] of cases) {
      const body = JSON.stringify(raw);
      const u = await verifyWebhook({ headers: signWebhook(body, { secret: SECRET }), body }, { provider, secret: SECRET });
      // JSON.stringify shows the keys in order and reads `raw`, which comes last.
      assert.equal(JSON.stringify(u), JSON.stringify({ ...expected, raw }), provider);
    }
  });

  test("a non-ASCII body is signed and parsed as its UTF-8 bytes", async () => {
    const raw = { status: "COMPLETED", request_id: "q-ü", payload: { prompt: "ein Fuchs im Schnee ❄️ — 狐", images: [{ url: "https://cdn.example/ü.png" }] } };
    const text = JSON.stringify(raw);
    const u = await verifyWebhook({ headers: signWebhook(text, { secret: SECRET }), body: text }, { provider: "queue", secret: SECRET });
    assert.equal(u.id, "q-ü");
    assert.deepEqual(u.raw, raw);
    assert.equal(u.outputs[0].url, "https://cdn.example/ü.png");
    // Signed over other bytes (Latin-1 instead of UTF-8): refused.
    const latin1 = Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
    const err = await verifyWebhook({ headers: signWebhook(latin1, { secret: SECRET }), body: text }, { provider: "queue", secret: SECRET }).then(() => null, (e) => e);
    assert.equal(err?.code, "bad_signature");
  });

  test("headers are read the same whether ASCII and short (one call) or not (one by one)", async () => {
    // The receiver reads the three headers in one call when they are ASCII and under 1 KiB
    // in all, else one by one: both ways must check the same bytes.
    // A live update: the handler deduplicates it by webhook-id (a terminal one by task).
    const body = JSON.stringify({ status: "IN_PROGRESS", request_id: "q1" });
    const opts = { provider: "queue", secret: SECRET };
    const wrong = signWebhook(body, { secret: OTHER_SECRET })["webhook-signature"];
    const cases = {
      "ascii": signWebhook(body, { secret: SECRET, id: "msg_ascii" }),
      // signWebhook sends only printable ASCII ids; another sender may not.
      "a Latin-1 id": (() => {
        const at = nowSec();
        const sig = new Webhook(SECRET).sign("msg_été", new Date(at * 1000), body);
        return { "webhook-id": "msg_été", "webhook-timestamp": String(at), "webhook-signature": sig };
      })(),
      "a 1.2 KiB signature header": (() => {
        const h = signWebhook(body, { secret: SECRET, id: "msg_long" });
        h["webhook-signature"] = Array(24).fill(wrong).concat(h["webhook-signature"]).join(" ");
        assert.ok(h["webhook-signature"].length > 1024);
        return h;
      })(),
    };
    for (const [name, headers] of Object.entries(cases)) {
      for (const form of [headers, new Headers(headers)]) {
        const u = await verifyWebhook({ headers: form, body }, opts);
        assert.deepEqual([u.id, u.state], ["q1", "running"], name);
        // Tampering with any signed part is refused either way.
        const tampered = { ...headers, "webhook-id": headers["webhook-id"] + "x" };
        const e1 = await verifyWebhook({ headers: tampered, body }, opts).then(() => null, (e) => e.code);
        assert.equal(e1, "bad_signature", name);
        const older = { ...headers, "webhook-timestamp": String(Number(headers["webhook-timestamp"]) - 1) };
        const e2 = await verifyWebhook({ headers: older, body }, opts).then(() => null, (e) => e.code);
        assert.equal(e2, "bad_signature", name);
      }
      const e3 = await verifyWebhook({ headers: { ...headers, "webhook-signature": wrong }, body }, opts).then(() => null, (e) => e.code);
      assert.equal(e3, "bad_signature", name);
    }
    // A handler deduplicates by the id either way.
    const { handler, calls } = recording({ provider: "queue" });
    for (const headers of Object.values(cases)) {
      for (let i = 0; i < 2; i++) assert.equal((await handler(post(body, headers))).status, 200);
    }
    assert.equal(calls.length, 3);
  });

  test("every HMAC path (wasm, Web Crypto, node:crypto) gives the same answers at every size", async () => {
    const webhook = await import("tasklane/webhook");
    for (const build of [{ verifyWebhook }, webhook]) {
      for (const hmac of ["wasm", "webcrypto", "node", "auto"]) {
        for (const size of [100, 3000, 70_000]) {
          const raw = { status: "COMPLETED", request_id: `q${size}`, payload: { images: [{ url: "https://cdn.example/q.png" }], pad: "y".repeat(size) } };
          const body = JSON.stringify(raw);
          const opts = { provider: "queue", secret: SECRET, hmac };
          const where = `${hmac}, ${size} B`;
          // Twice: the first imports the Web Crypto key, the second reuses it.
          for (let i = 0; i < 2; i++) {
            const u = await build.verifyWebhook({ headers: signWebhook(body, { secret: SECRET }), body }, opts);
            assert.deepEqual([u.id, u.state], [`q${size}`, "succeeded"], where);
          }
          const e1 = await build.verifyWebhook({ headers: signWebhook(body, { secret: SECRET }), body: body.replace("yyy", "yzy") }, opts).then(() => null, (e) => e.code);
          assert.equal(e1, "bad_signature", where);
          const e2 = await build.verifyWebhook({ headers: signWebhook(body, { secret: OTHER_SECRET }), body }, opts).then(() => null, (e) => e.code);
          assert.equal(e2, "bad_signature", where);
        }
      }
    }
  });

  test("deliveries keep verifying after wasm memory grew under them", async () => {
    // The snippets keep a view of wasm memory; a large body grows the memory (detaching
    // that view), and the next small delivery must be read through a fresh one.
    const webhook = await import("tasklane/webhook");
    for (const build of [{ verifyWebhook }, webhook]) {
      for (const size of [50, 4_000_000, 50, 8_000_000, 50]) {
        const body = JSON.stringify({ status: "COMPLETED", request_id: `g${size}`, pad: "z".repeat(size) });
        const opts = { provider: "queue", secret: SECRET, maxBodyBytes: 16 * 1024 * 1024 };
        const u = await build.verifyWebhook({ headers: signWebhook(body, { secret: SECRET, id: `msg_${size}` }), body }, opts);
        assert.equal(u.id, `g${size}`);
        const e = await build.verifyWebhook({ headers: signWebhook(body, { secret: OTHER_SECRET }), body }, opts).then(() => null, (e) => e.code);
        assert.equal(e, "bad_signature");
      }
    }
  });

  test("refusals keep their order: headers before size, size before signature, signature before shape", async () => {
    const opts = { provider: "queue", secret: SECRET, maxBodyBytes: 64 };
    const big = JSON.stringify({ ...BODIES.queue[0], pad: "x".repeat(100) });
    const cases = [
      [{ headers: {}, body: big }, 401, "missing_header"],
      [{ headers: signWebhook(big, { secret: SECRET, timestamp: nowSec() - 400 }), body: big }, 401, "timestamp_too_old"],
      [{ headers: signWebhook(big, { secret: OTHER_SECRET }), body: big }, 413, "body_too_large"],
      [{ headers: signWebhook("{}", { secret: OTHER_SECRET }), body: "{}" }, 401, "bad_signature"],
      [{ headers: signWebhook("{}", { secret: SECRET }), body: "{}" }, 400, "unrecognized_body"],
      [{ method: "GET", headers: {}, body: big }, 405, "method_not_allowed"],
    ];
    for (const [req, status, code] of cases) {
      const err = await verifyWebhook(req, opts).then(() => null, (e) => e);
      assert.ok(err instanceof WebhookError, code);
      assert.deepEqual([err.status, err.code], [status, code]);
    }
    // A body of more UTF-16 units than the limit allows bytes is refused unread; one just under is read.
    const edge = "{}" + " ".repeat(62);
    const ok = await verifyWebhook({ headers: signWebhook(edge, { secret: SECRET }), body: edge }, opts).then(() => null, (e) => e.code);
    assert.equal(ok, "unrecognized_body");
    const over = edge + " ";
    const tooBig = await verifyWebhook({ headers: signWebhook(over, { secret: SECRET }), body: over }, opts).then(() => null, (e) => e.code);
    assert.equal(tooBig, "body_too_large");
    // Multi-byte characters count as their UTF-8 bytes: 22 "€" are 22 units but 66 bytes.
    const euros = JSON.stringify("€".repeat(22));
    const euroErr = await verifyWebhook({ headers: signWebhook(euros, { secret: SECRET }), body: euros }, opts).then(() => null, (e) => e.code);
    assert.equal(euroErr, "body_too_large");
  });

  test("errors are rejections, never synchronous throws", () => {
    const p = verifyWebhook({ headers: {}, body: "{}" }, { provider: "nope", secret: SECRET });
    assert.ok(p instanceof Promise);
    return assert.rejects(p, { code: "invalid_argument" });
  });

  test("changed options are honoured at once (the parsed options are reused only while unchanged)", async () => {
    const apixo = JSON.stringify(BODIES.apixo[0]);
    const deliver = (text, secret) => ({ headers: signWebhook(text, { secret }), body: text });
    const opts = { provider: "apixo", secret: SECRET };
    assert.equal((await verifyWebhook(deliver(apixo, SECRET), opts)).id, "a1");
    // The same object, mutated: a rotated secret.
    opts.secret = OTHER_SECRET;
    await assert.rejects(verifyWebhook(deliver(apixo, SECRET), opts), { code: "bad_signature" });
    assert.equal((await verifyWebhook(deliver(apixo, OTHER_SECRET), opts)).id, "a1");
    // Another provider on the same object.
    opts.provider = "queue";
    await assert.rejects(verifyWebhook(deliver(apixo, OTHER_SECRET), opts), { code: "unrecognized_body" });
    assert.equal((await verifyWebhook(deliver(body, OTHER_SECRET), opts)).id, "q1");
    // A fresh object with a tolerance that refuses a delivery the previous options accepted.
    const old = { headers: signWebhook(body, { secret: OTHER_SECRET, timestamp: nowSec() - 60 }), body };
    assert.equal((await verifyWebhook(old, opts)).id, "q1");
    await assert.rejects(verifyWebhook(old, { ...opts, toleranceSec: 30 }), { code: "timestamp_too_old" });
    // A smaller body limit, and an auth token added.
    await assert.rejects(verifyWebhook(deliver(body, OTHER_SECRET), { ...opts, maxBodyBytes: 10 }), { code: "body_too_large" });
    await assert.rejects(verifyWebhook(deliver(body, OTHER_SECRET), { ...opts, authToken: "t" }), { code: "missing_header" });
    // And back: the first options verify again.
    assert.equal((await verifyWebhook(deliver(apixo, SECRET), { provider: "apixo", secret: SECRET })).id, "a1");
  });
});

/** A body stream of `n` bytes in 16 KiB chunks, with no Content-Length; records whether it was cancelled. */
function streamOf(n) {
  const state = { pulled: 0, cancelled: false };
  const chunk = new Uint8Array(16 * 1024).fill(0x20);
  const stream = new ReadableStream({
    pull(c) {
      if (state.pulled >= n) return c.close();
      state.pulled += chunk.length;
      c.enqueue(chunk);
    },
    cancel() { state.cancelled = true; },
  });
  return { stream, state };
}

describe("createWebhookHandler: the bad-input corpus", () => {
  const body = JSON.stringify(BODIES.mirako[0]);
  const h = () => signWebhook(body, { secret: SECRET });
  const without = (name) => { const x = h(); delete x[name]; return x; };
  const big = JSON.stringify({ data: { task_id: "m9", status: "COMPLETED", image: "A".repeat(2048) } });

  /** [name, request, status, code, handler options] */
  const cases = [
    ["tampered body", () => post(body.replace("m1", "m2"), h()), 401, "bad_signature"],
    ["wrong secret", () => post(body, signWebhook(body, { secret: OTHER_SECRET })), 401, "bad_signature"],
    ["stale timestamp", () => post(body, signWebhook(body, { secret: SECRET, timestamp: nowSec() - 301 })), 401, "timestamp_too_old"],
    ["future timestamp", () => post(body, signWebhook(body, { secret: SECRET, timestamp: nowSec() + 301 })), 401, "timestamp_in_future"],
    ["tolerance option", () => post(body, signWebhook(body, { secret: SECRET, timestamp: nowSec() - 30 })), 401, "timestamp_too_old", { toleranceSec: 10 }],
    ["missing webhook-id", () => post(body, without("webhook-id")), 401, "missing_header"],
    ["missing webhook-timestamp", () => post(body, without("webhook-timestamp")), 401, "missing_header"],
    ["missing webhook-signature", () => post(body, without("webhook-signature")), 401, "missing_header"],
    ["no headers at all", () => post(body), 401, "missing_header"],
    ["malformed signature header", () => post(body, { ...h(), "webhook-signature": "garbage-without-version" }), 401, "malformed_signature_header"],
    ["signature of the wrong length", () => post(body, { ...h(), "webhook-signature": "v1,AAAA" }), 401, "malformed_signature_header"],
    ["non-numeric timestamp", () => post(body, { ...h(), "webhook-timestamp": "soon" }), 401, "malformed_timestamp"],
    ["timestamp that does not match the signed one", () => { const x = h(); x["webhook-timestamp"] = String(Number(x["webhook-timestamp"]) - 1); return post(body, x); }, 401, "bad_signature"],
    ["oversize with Content-Length", () => post(big, { ...signWebhook(big, { secret: SECRET }), "content-length": String(big.length) }), 413, "body_too_large", { maxBodyBytes: 1024 }],
    ["oversize streamed without Content-Length", () => post(big, signWebhook(big, { secret: SECRET })), 413, "body_too_large", { maxBodyBytes: 1024 }],
    ["malformed Content-Length", () => post(body, { ...h(), "content-length": "12abc" }), 400, "malformed_content_length"],
    ["malformed JSON", () => { const b = "{\"data\": {"; return post(b, signWebhook(b, { secret: SECRET })); }, 400, "malformed_json"],
    ["JSON of another shape", () => { const b = JSON.stringify(BODIES.apixo[0]); return post(b, signWebhook(b, { secret: SECRET })); }, 400, "unrecognized_body"],
    ["unknown status value", () => { const b = JSON.stringify({ data: { task_id: "m1", status: "EXPLODED" } }); return post(b, signWebhook(b, { secret: SECRET })); }, 400, "unrecognized_body"],
    ["empty body", () => post("", signWebhook("", { secret: SECRET })), 400, "empty_body"],
    ["not UTF-8", () => { const b = new Uint8Array([0xff, 0xfe, 0x7b]); return post(b, signWebhook(b, { secret: SECRET })); }, 400, "malformed_json"],
    ["GET", () => new Request("http://127.0.0.1/webhooks", { headers: h() }), 405, "method_not_allowed"],
    ["PUT", () => new Request("http://127.0.0.1/webhooks", { method: "PUT", headers: h(), body }), 405, "method_not_allowed"],
    ["missing bearer token", () => post(body, h()), 401, "missing_header", { authToken: "tok" }],
    ["wrong bearer token", () => post(body, { ...h(), authorization: "Bearer nope" }), 401, "bad_auth_token", { authToken: "tok" }],
  ];

  for (const [name, make, status, code, options] of cases) {
    test(`${name} → ${status} ${code}`, async () => {
      const { handler, calls } = recording(options);
      const res = await handler(make());
      assert.equal(res.status, status);
      assert.match(res.headers.get("content-type"), /application\/json/);
      // RFC 9110: a 405 says which method the handler takes.
      assert.equal(res.headers.get("allow"), status === 405 ? "POST" : null);
      const json = await res.json();
      assert.equal(json.error.code, code, JSON.stringify(json));
      assert.equal(typeof json.error.message, "string");
      assert.equal(calls.length, 0, "nothing reaches onUpdate");
      // verifyWebhook refuses it the same way.
      const err = await verifyWebhook(make(), { provider: "mirako", secret: SECRET, ...options }).then(() => null, (e) => e);
      assert.ok(err instanceof WebhookError, name);
      assert.equal(err.status, status);
      assert.equal(err.code, code);
      // And so does the plain {method, headers, body} form of the same request (a plain body
      // is measured directly: its Content-Length header is not consulted).
      if (name === "malformed Content-Length") return;
      const req = make();
      const plain = { method: req.method, headers: Object.fromEntries(req.headers), body: new Uint8Array(await req.arrayBuffer()) };
      const perr = await verifyWebhook(plain, { provider: "mirako", secret: SECRET, ...options }).then(() => null, (e) => e);
      assert.ok(perr instanceof WebhookError, `${name} (plain)`);
      assert.deepEqual([perr.status, perr.code], [status, code], `${name} (plain)`);
    });
  }

  test("an oversize stream is cancelled, not read to the end", async () => {
    const { handler, calls } = recording({ maxBodyBytes: 64 * 1024 });
    const { stream, state } = streamOf(10 * 1024 * 1024);
    const req = new Request("http://127.0.0.1/webhooks", { method: "POST", headers: signWebhook("x", { secret: SECRET }), body: stream, duplex: "half" });
    const res = await handler(req);
    assert.equal(res.status, 413);
    assert.ok(state.pulled < 1024 * 1024, `read ${state.pulled} bytes of a 10 MiB body`);
    assert.equal(calls.length, 0);
  });

  test("a body streamed in many chunks is read whole and verifies; a chunk that is not bytes is refused", async () => {
    const body = JSON.stringify({ data: { task_id: "m7", status: "COMPLETED", image: "é€".repeat(3000) } });
    const bytes = new TextEncoder().encode(body);
    const chunked = (parts) => new ReadableStream({
      start(c) {
        for (let at = 0; at < bytes.length; at += 997) c.enqueue(bytes.slice(at, at + 997));
        for (const p of parts) c.enqueue(p);
        c.close();
      },
    });
    const post = (stream) => new Request("http://127.0.0.1/webhooks", { method: "POST", headers: signWebhook(body, { secret: SECRET }), body: stream, duplex: "half" });
    const update = await verifyWebhook(post(chunked([])), { provider: "mirako", secret: SECRET });
    assert.equal(update.id, "m7");
    assert.equal(update.raw.data.image, "é€".repeat(3000));
    // A limit of exactly the body's length still accepts it; one byte less refuses it.
    await verifyWebhook(post(chunked([])), { provider: "mirako", secret: SECRET, maxBodyBytes: bytes.length });
    await assert.rejects(verifyWebhook(post(chunked([])), { provider: "mirako", secret: SECRET, maxBodyBytes: bytes.length - 1 }), { status: 413, code: "body_too_large" });
    // A stream's reader hands out whatever was enqueued: a string chunk is not a body.
    const { handler, calls } = recording();
    const res = await handler(post(chunked(["{}"])));
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.code, "unreadable_body");
    assert.equal(calls.length, 0);
  });

  test("a handler without authToken or secret is refused (invalid_argument)", () => {
    assert.throws(() => createWebhookHandler({ provider: "mirako", onUpdate() {} }), { name: "TaskError", code: "invalid_argument" });
    assert.throws(() => createWebhookHandler({ provider: "mirako", secret: "whsec_%%%", onUpdate() {} }), { code: "invalid_argument", message: /secret/ });
    assert.throws(() => createWebhookHandler({ provider: "mirako", secret: SECRET }), { code: "invalid_argument", message: /onUpdate/ });
    assert.throws(() => createWebhookHandler({ provider: "mirako", secret: SECRET, onUpdate() {}, store: {} }), { code: "invalid_argument", message: /store/ });
  });
});

describe("createWebhookHandler: delivery, failures and duplicates", () => {
  test("2xx only after onUpdate resolved, with the update, request, env and ctx", async () => {
    let resolveIt;
    const seen = [];
    const handler = createWebhookHandler({
      provider: "apixo",
      secret: SECRET,
      onUpdate: (u, req, env, ctx) => { seen.push([u, req, env, ctx]); return new Promise((r) => { resolveIt = r; }); },
    });
    const body = JSON.stringify(BODIES.apixo[0]);
    const req = signed(body);
    let answered = false;
    const p = handler(req, { ENV: 1 }, { waitUntil() {} }).then((r) => { answered = true; return r; });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(answered, false, "no answer before onUpdate resolved");
    assert.equal(seen.length, 1);
    assert.equal(seen[0][0].id, "a1");
    assert.equal(seen[0][1], req);
    assert.deepEqual(seen[0][2], { ENV: 1 });
    assert.equal(typeof seen[0][3].waitUntil, "function");
    resolveIt();
    const res = await p;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true });
  });

  test("a live update without a webhook-id whose onUpdate throws is answered 500, not a rejected promise", async () => {
    for (const fail of [() => { throw new Error("sync"); }, async () => { throw new Error("async"); }]) {
      const handler = createWebhookHandler({ provider: "mirako", authToken: "tok", onUpdate: fail });
      const body = JSON.stringify({ data: { task_id: "m9", status: "IN_PROGRESS" } });
      const origError = console.error;
      console.error = () => {};
      const res = await handler(post(body, { authorization: "Bearer tok" })).finally(() => { console.error = origError; });
      assert.equal(res.status, 500);
      assert.equal((await res.json()).error.code, "handler_failed");
    }
  });

  test("onUpdate throwing or rejecting → 500, and the retry is handled again", async () => {
    for (const fail of [() => { throw new Error("sync"); }, async () => { throw new Error("async"); }]) {
      let n = 0;
      const handler = createWebhookHandler({
        provider: "mirako",
        secret: SECRET,
        onUpdate: (u) => { n += 1; if (n === 1) return fail(); },
      });
      const body = JSON.stringify(BODIES.mirako[0]);
      const h = signWebhook(body, { secret: SECRET });
      const origError = console.error;
      console.error = () => {};
      const first = await handler(post(body, h)).finally(() => { console.error = origError; });
      assert.equal(first.status, 500);
      assert.equal((await first.json()).error.code, "handler_failed");
      const retry = await handler(post(body, h));
      assert.equal(retry.status, 200);
      assert.deepEqual(await retry.json(), { ok: true });
      assert.equal(n, 2);
      const dup = await handler(post(body, h));
      assert.deepEqual(await dup.json(), { ok: true, duplicate: true });
      assert.equal(n, 2);
    }
  });

  test("duplicates by webhook-id are acknowledged and not passed on", async () => {
    const { handler, calls } = recording();
    const body = JSON.stringify(BODIES.mirako[0]);
    const h = signWebhook(body, { secret: SECRET });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await (await handler(post(body, h))).json());
    assert.deepEqual(answers, [{ ok: true }, { ok: true, duplicate: true }, { ok: true, duplicate: true }]);
    assert.equal(calls.length, 1);
    // The same end under another message id (a sender that re-sends a completion as a new
    // message) is the same completion: acknowledged as a duplicate, not passed on again.
    assert.deepEqual(await (await handler(signed(body))).json(), { ok: true, duplicate: true });
    assert.equal(calls.length, 1);
    // A live update under another message id is another delivery.
    const live = JSON.stringify({ data: { task_id: "m1", status: "IN_PROGRESS" } });
    await handler(signed(live));
    await handler(signed(live));
    assert.equal(calls.length, 3);
  });

  test("concurrent duplicates reach onUpdate once", async () => {
    let n = 0;
    const handler = createWebhookHandler({
      provider: "mirako",
      secret: SECRET,
      onUpdate: async () => { n += 1; await new Promise((r) => setTimeout(r, 30)); },
    });
    const body = JSON.stringify(BODIES.mirako[0]);
    const h = signWebhook(body, { secret: SECRET });
    const res = await Promise.all([1, 2, 3, 4].map(() => handler(post(body, h))));
    assert.deepEqual(res.map((r) => r.status), [200, 200, 200, 200]);
    assert.equal(n, 1);
  });

  test("without webhook-id: same task and terminal state is a duplicate; live updates pass", async () => {
    const calls = [];
    const handler = createWebhookHandler({ provider: "mirako", authToken: "tok", onUpdate: (u) => { calls.push(u.state); } });
    const auth = { authorization: "Bearer tok" };
    const running = JSON.stringify({ data: { task_id: "m5", status: "IN_PROGRESS" } });
    const done = JSON.stringify({ data: { task_id: "m5", status: "FAILED", error: "boom" } });
    for (const b of [running, running, done, done]) assert.equal((await handler(post(b, auth))).status, 200);
    assert.deepEqual(calls, ["running", "running", "failed"]);
  });

  test("a shared store dedupes across handler instances, with a TTL", async () => {
    const kv = new Map();
    const puts = [];
    let gets = 0;
    const store = {
      async get(key) { gets += 1; return kv.has(key) ? kv.get(key) : null; },
      async put(key, value, opts) { puts.push([key, value, opts]); kv.set(key, value); },
    };
    const counts = [0, 0];
    const make = (i) => createWebhookHandler({ provider: "queue", secret: SECRET, store, dedupeTtlSec: 3600, onUpdate: () => { counts[i] += 1; } });
    const [a, b] = [make(0), make(1)];
    const body = JSON.stringify(BODIES.queue[0]);
    const h = signWebhook(body, { secret: SECRET });
    assert.deepEqual(await (await a(post(body, h))).json(), { ok: true });
    assert.deepEqual(await (await b(post(body, h))).json(), { ok: true, duplicate: true });
    assert.deepEqual(counts, [1, 0]);
    // b now remembers it too: a third copy is answered from memory, without the store.
    const getsBefore = gets;
    assert.deepEqual(await (await b(post(body, h))).json(), { ok: true, duplicate: true });
    assert.equal(gets, getsBefore);
    assert.equal(puts.length, 1);
    assert.equal(puts[0][0], "tasklane:wh:queue:task:q1:succeeded");
    assert.deepEqual(JSON.parse(puts[0][1]), { id: "q1", state: "succeeded" });
    assert.deepEqual(puts[0][2], { expirationTtl: 3600 });
  });

  test("a long webhook-id or task id still fits a Workers KV key (512 bytes)", async () => {
    const kv = new Map();
    // Workers KV refuses longer keys; such a refusal answered every delivery 500.
    const limited = (key) => { if (new TextEncoder().encode(key).length > 512) throw new Error("KV key too long"); };
    const store = {
      async get(key) { limited(key); return kv.get(key) ?? null; },
      async put(key, value) { limited(key); kv.set(key, value); },
    };
    let n = 0;
    const handler = createWebhookHandler({ provider: "queue", secret: SECRET, store, onUpdate: () => { n += 1; } });
    const live = JSON.stringify({ status: "IN_PROGRESS", request_id: "q1" });
    const longId = (c) => `msg_${c.repeat(600)}`;
    for (const id of [longId("a"), longId("a"), longId("b")]) {
      const res = await handler(post(live, signWebhook(live, { secret: SECRET, id })));
      assert.equal(res.status, 200, await res.clone().text());
    }
    assert.equal(n, 2, "the same long id is one delivery, another long id another");
    const done = JSON.stringify({ status: "COMPLETED", request_id: "r".repeat(700), payload: {} });
    assert.equal((await handler(post(done, signWebhook(done, { secret: SECRET })))).status, 200);
    assert.ok([...kv.keys()].every((k) => k.length <= 480), [...kv.keys()].map((k) => k.length).join());
  });

  test("a failing store.get answers 500 without calling onUpdate", async () => {
    const origError = console.error;
    console.error = () => {};
    try {
      const { handler, calls } = recording({ store: { get: async () => { throw new Error("kv down"); }, put: async () => {} } });
      const res = await handler(signed(JSON.stringify(BODIES.mirako[0])));
      assert.equal(res.status, 500);
      assert.equal((await res.json()).error.code, "store_failed");
      assert.equal(calls.length, 0);
    } finally {
      console.error = origError;
    }
  });
});
