// The webhook benchmark's contestants, shared by the Node run and the workerd run: each is
// an async function verifying one delivery and returning its parsed body. Every contestant
// gets the same inputs: the raw body text and the three Standard Webhooks headers.

export const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** A queue-dialect webhook body (status + payload) padded to about `size` bytes. */
export function makeBody(size) {
  const base = {
    status: "COMPLETED",
    request_id: "req_01hxyz0123456789",
    response_url: "https://queue.example/requests/req_01hxyz0123456789",
    payload: {
      images: [{ url: "https://cdn.example/out/0.png", width: 1024, height: 1024, content_type: "image/png" }],
      seed: 42,
      has_nsfw_concepts: [false],
      prompt: "",
    },
  };
  const empty = JSON.stringify(base).length;
  base.payload.prompt = "a watercolor fox in the snow, ".repeat(Math.ceil(size / 30)).slice(0, Math.max(0, size - empty));
  return JSON.stringify(base);
}

function b64(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function keyBytes(secret) {
  return Uint8Array.from(atob(secret.slice("whsec_".length)), (c) => c.charCodeAt(0));
}

/** Constant-time comparison of two base64 strings of equal length (as a careful bare implementation would). */
function safeEqual(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

/**
 * The contestants for one body: `{name, fn}` where `fn()` verifies and parses once.
 * `tasklane` is the webhook receiver build (`tasklane/webhook`), `full` the full build
 * (`tasklane`, compiled for size), `Webhook` the standardwebhooks class, `nodeCrypto`
 * node:crypto when running in Node (else undefined).
 */
export async function makeCases({ tasklane, full, Webhook, nodeCrypto, body, nodeHmac = false }) {
  const headers = tasklane.signWebhook(body, { secret: SECRET });
  const id = headers["webhook-id"];
  const ts = headers["webhook-timestamp"];
  const sig = headers["webhook-signature"].slice(3);
  const wh = new Webhook(SECRET);
  const key = await crypto.subtle.importKey("raw", keyBytes(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const enc = new TextEncoder();
  const opts = (hmac) => ({ provider: "queue", secret: SECRET, hmac });
  const cases = [
    { name: "standardwebhooks verify", fn: async () => wh.verify(body, headers) },
    {
      name: "bare Web Crypto HMAC + JSON.parse",
      fn: async () => {
        const mac = await crypto.subtle.sign("HMAC", key, enc.encode(`${id}.${ts}.${body}`));
        if (!safeEqual(b64(new Uint8Array(mac)), sig)) throw new Error("bad signature");
        return JSON.parse(body);
      },
    },
  ];
  // Bounds, not verifiers: the HMAC of the message with each runtime's native primitives,
  // over message bytes encoded before the timing starts, and nothing else (no header
  // checks, no parse, no encoding). Any verifier must at least compute that HMAC, so its
  // time is a floor for every contestant's, and its × standardwebhooks a ceiling.
  const message = enc.encode(`${id}.${ts}.${body}`);
  cases.push({
    name: "bound: Web Crypto HMAC alone (no parse)",
    fn: async () => new Uint8Array(await crypto.subtle.sign("HMAC", key, message)),
  });
  if (nodeCrypto) {
    const raw = keyBytes(SECRET);
    const expected = Buffer.from(sig, "base64");
    cases.push({
      name: "bound: node:crypto createHmac alone (no parse)",
      fn: async () => nodeCrypto.createHmac("sha256", raw).update(message).digest(),
    });
    if (typeof nodeCrypto.hash === "function") {
      // HMAC by its two hashes (RFC 2104) with the one-shot `hash`: the key blocks and the
      // inner block followed by the message prepared beforehand too.
      const block = new Uint8Array(64);
      block.set(raw.length > 64 ? nodeCrypto.hash("sha256", raw, "buffer") : raw);
      const inner = new Uint8Array(64 + message.length);
      const outer = new Uint8Array(96);
      for (let i = 0; i < 64; i++) {
        inner[i] = block[i] ^ 0x36;
        outer[i] = block[i] ^ 0x5c;
      }
      inner.set(message, 64);
      cases.push({
        name: "bound: node:crypto hash ×2 alone (no parse)",
        fn: async () => {
          outer.set(nodeCrypto.hash("sha256", inner, "buffer"), 64);
          return nodeCrypto.hash("sha256", outer, "buffer");
        },
      });
    }
    cases.push({
      name: "node:crypto HMAC + JSON.parse (reference)",
      fn: async () => {
        const mac = nodeCrypto.createHmac("sha256", raw).update(`${id}.${ts}.${body}`).digest();
        if (!nodeCrypto.timingSafeEqual(mac, expected)) throw new Error("bad signature");
        return JSON.parse(body);
      },
    });
  }
  // `node` only where asked (the sweep under workerd's nodejs_compat): in Node it is what
  // `auto` does, and without node:crypto it falls back to wasm.
  for (const hmac of ["auto", "wasm", "webcrypto", ...(nodeHmac ? ["node"] : [])]) {
    cases.push({
      name: `tasklane verifyWebhook (hmac: ${hmac})`,
      fn: () => tasklane.verifyWebhook({ headers, body }, opts(hmac)),
    });
  }
  cases.push({
    name: "tasklane verifyWebhook, full build (hmac: auto)",
    fn: () => full.verifyWebhook({ headers, body }, opts("auto")),
  });
  // `raw` (the body as parsed JSON) is parsed on first read: the same delivery with that read.
  cases.push({
    name: "tasklane verifyWebhook, then read `raw` (hmac: auto)",
    fn: async () => {
      const u = await tasklane.verifyWebhook({ headers, body }, opts("auto"));
      if (u.raw.request_id !== u.id) throw new Error("raw is not the body");
      return u;
    },
  });
  // End to end from a web Request (what a fetch handler gets): the body is read too. A
  // delivery over HTTP carries Content-Length (every sender we know posts a fixed body), so
  // the runtime bounds the body by it; the chunked form (no length) is read as a stream.
  const length = { "content-length": String(enc.encode(body).length) };
  for (const [how, extra] of [["", length], [", chunked", {}]]) {
    const init = { method: "POST", headers: { ...headers, ...extra }, body };
    cases.push({
      name: `Request${how} → standardwebhooks (await text(), verify)`,
      fn: async () => {
        const req = new Request("http://127.0.0.1/hook", init);
        return wh.verify(await req.text(), Object.fromEntries(req.headers));
      },
    });
    cases.push({
      name: `Request${how} → tasklane verifyWebhook`,
      fn: () => tasklane.verifyWebhook(new Request("http://127.0.0.1/hook", init), opts("auto")),
    });
  }
  // Every contestant must accept the body before it is timed.
  for (const c of cases) {
    const out = await c.fn();
    if (c.name.startsWith("bound:")) {
      if (!safeEqual(b64(new Uint8Array(out)), sig)) throw new Error(`${c.name} computed another HMAC`);
      continue;
    }
    const ok = out?.request_id === "req_01hxyz0123456789" || out?.id === "req_01hxyz0123456789";
    if (!ok) throw new Error(`${c.name} did not verify the body`);
  }
  return cases;
}
