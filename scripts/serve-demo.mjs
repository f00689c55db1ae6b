// The demo's build step and its small static server, used by `make demo` (scripts/demo.sh)
// and by tests/js/demo.test.mjs. No framework: node:http, esbuild and the npm package.
//
// - buildDemo() bundles www/src/main.js into www/dist/app.js, importing "tasklane" exactly as
//   a user's app does. The package's browser entry loads its wasm with
//   `new URL("./dist/tasklane_bg.wasm", import.meta.url)`, a pattern esbuild leaves as it is,
//   so the .wasm files of pkg/dist are copied to www/dist/dist/, next to the bundle.
// - startDemoServer() serves www/ (with `application/wasm` for .wasm), a generated
//   /config.json that tells the page where the simulator is, and — when the package has
//   createWebhookHandler — /webhook/{dialect} endpoints for the simulator's deliveries,
//   relayed to the page as server-sent events on /events.
//
// CLI: node scripts/serve-demo.mjs --sim http://127.0.0.1:8787 [--port 8080] [--no-build]
import http from "node:http";
import fs from "node:fs/promises";
import { createReadStream } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { randomBytes } from "node:crypto";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const wwwDir = path.join(root, "www");
export const distDir = path.join(wwwDir, "dist");

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".map": "application/json; charset=utf-8",
};

/**
 * Bundles the page from www/src into `outDir` (default www/dist; the tests use their own so
 * a running `make demo` is left alone). Returns the list of files written.
 */
export async function buildDemo({ minify = true, outDir = distDir } = {}) {
  const esbuild = await import("esbuild");
  await fs.rm(outDir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [path.join(wwwDir, "src/main.js")],
    outfile: path.join(outDir, "app.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify,
    sourcemap: true,
    logLevel: "warning",
    // wasm-bindgen's glue lists one snippet module under the same key twice (same module,
    // so harmless); keep the demo's build output quiet about it.
    logOverride: { "duplicate-object-key": "silent" },
    // Whatever the package imports as a file (if a future entry does `import url from "x.wasm"`).
    loader: { ".wasm": "file" },
  });
  // The browser entry resolves `./dist/*.wasm` against the bundle's own URL (see above).
  const pkgDist = path.join(root, "pkg/dist");
  const copied = [];
  for (const name of await fs.readdir(pkgDist).catch(() => [])) {
    if (!name.endsWith(".wasm")) continue;
    await fs.mkdir(path.join(outDir, "dist"), { recursive: true });
    await fs.copyFile(path.join(pkgDist, name), path.join(outDir, "dist", name));
    copied.push(`dist/${name}`);
  }
  if (copied.length === 0) throw new Error("no .wasm in pkg/dist: run `bash scripts/build-pkg.sh` first");
  return ["app.js", ...copied];
}

/** Reads a request body, refusing more than `limit` bytes. */
function readBody(req, limit = 2 * 1024 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > limit) { reject(Object.assign(new Error("too large"), { status: 413 })); req.destroy(); return; }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * Builds the webhook side: one createWebhookHandler per dialect that sends webhooks, each
 * relaying verified updates to the page's event stream. Returns null when the package has no
 * createWebhookHandler yet (the page then hides its webhook mode).
 */
async function makeWebhooks({ authToken, secret, broadcast }) {
  let tl;
  try {
    tl = await import("tasklane");
  } catch (e) {
    console.warn(`demo: cannot import tasklane in Node (${e.message}); webhook mode off`);
    return null;
  }
  if (typeof tl.createWebhookHandler !== "function") return null;
  const handlers = {};
  // The two dialects that send webhooks (API.md): mirako carries its auth_token as a Bearer
  // header; apixo's callback is verified by the Standard Webhooks signature the simulator
  // adds when it has a secret (it signs mirako's deliveries too).
  const options = {
    mirako: { authToken, ...(secret ? { secret } : {}) },
    apixo: secret ? { secret } : null,
  };
  for (const [provider, opts] of Object.entries(options)) {
    if (!opts) continue;
    try {
      handlers[provider] = tl.createWebhookHandler({
        provider,
        ...opts,
        onUpdate: (update) => {
          // `raw` can be large (mirako's base64 image); the page needs the normalized fields.
          const { id, state, rawStatus, queuePosition, etaMs, error, outputs, costMs } = update;
          broadcast({ dialect: provider, update: { id, state, rawStatus, queuePosition, etaMs, error, outputs, costMs } });
        },
      });
    } catch (e) {
      console.warn(`demo: no webhook handler for ${provider}: ${e.message}`);
    }
  }
  return Object.keys(handlers).length ? handlers : null;
}

/**
 * Starts the demo's static server on 127.0.0.1.
 * `simUrl` is the simulator's base URL; `webhookSecret` the secret the simulator signs
 * deliveries with (Standard Webhooks), if it was started with one.
 * `outDir` is where buildDemo() put the bundle (served as /dist/).
 * Resolves to `{ url, webhooks: boolean, close() }`.
 */
export async function startDemoServer({ simUrl, port = 0, host = "127.0.0.1", apiKey = "sim-key", webhookSecret, outDir = distDir } = {}) {
  if (!simUrl) throw new Error("startDemoServer: simUrl is required");
  const clients = new Set();
  const broadcast = (msg) => {
    const line = `data: ${JSON.stringify(msg)}\n\n`;
    for (const res of clients) res.write(line);
  };
  const authToken = "demo-" + randomBytes(12).toString("hex");
  const webhooks = await makeWebhooks({ authToken, secret: webhookSecret, broadcast });
  let base = "";

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, "http://localhost");
      if (url.pathname === "/config.json") {
        return send(res, 200, MIME[".json"], JSON.stringify({
          simUrl,
          apiKey,
          webhook: webhooks ? { base: `${base}/webhook`, authToken, dialects: Object.keys(webhooks) } : null,
        }));
      }
      if (url.pathname === "/events") {
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
        res.write(": tasklane demo events\n\n");
        clients.add(res);
        req.on("close", () => clients.delete(res));
        return;
      }
      const hook = url.pathname.match(/^\/webhook\/([a-z]+)$/);
      if (hook) {
        const handler = webhooks?.[hook[1]];
        if (!handler) return send(res, 404, "text/plain", "no webhook handler for this dialect");
        const body = req.method === "GET" || req.method === "HEAD" ? undefined : await readBody(req);
        const request = new Request(`${base}${req.url}`, { method: req.method, headers: req.headers, body });
        const answer = await handler(request);
        res.writeHead(answer.status, Object.fromEntries(answer.headers));
        return res.end(Buffer.from(await answer.arrayBuffer()));
      }
      if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "method not allowed");
      return serveStatic(url.pathname, req, res, outDir);
    } catch (e) {
      if (!res.headersSent) send(res, e.status ?? 500, "text/plain", String(e.message ?? e));
      else res.destroy();
    }
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  base = `http://${host}:${server.address().port}`;
  return {
    url: base + "/",
    webhooks: !!webhooks,
    close: () => new Promise((resolve) => {
      for (const res of clients) res.end();
      clients.clear();
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

function send(res, status, type, body) {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}

async function serveStatic(pathname, req, res, outDir) {
  let rel;
  try { rel = decodeURIComponent(pathname); } catch { return send(res, 400, "text/plain", "bad path"); }
  if (rel.endsWith("/")) rel += "index.html";
  rel = path.posix.normalize(rel);
  // /dist/ is the bundle; everything else comes from www/. Never anything above either.
  const base = rel.startsWith("/dist/") ? outDir : wwwDir;
  const file = path.join(base, rel.startsWith("/dist/") ? rel.slice("/dist".length) : rel);
  if (!file.startsWith(base + path.sep)) return send(res, 403, "text/plain", "forbidden");
  const st = await fs.stat(file).catch(() => null);
  if (!st || !st.isFile()) return send(res, 404, "text/plain", "not found");
  res.writeHead(200, {
    "content-type": MIME[path.extname(file)] ?? "application/octet-stream",
    "content-length": st.size,
    "cache-control": "no-store",
  });
  if (req.method === "HEAD") return res.end();
  createReadStream(file).pipe(res);
}

// CLI: build (unless --no-build), serve, print the URL, stop on Ctrl-C.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
  const simUrl = opt("--sim", process.env.TASKLANE_SIM_URL ?? "http://127.0.0.1:8787");
  const port = Number(opt("--port", process.env.DEMO_PORT ?? 8080));
  if (!args.includes("--no-build")) await buildDemo();
  let srv;
  try {
    srv = await startDemoServer({ simUrl, port, apiKey: opt("--api-key", "sim-key"), webhookSecret: opt("--webhook-secret", undefined) });
  } catch (e) {
    if (e.code !== "EADDRINUSE") throw e;
    srv = await startDemoServer({ simUrl, port: 0, apiKey: opt("--api-key", "sim-key"), webhookSecret: opt("--webhook-secret", undefined) });
  }
  console.log(`\n  tasklane demo:  ${srv.url}\n  simulator:      ${simUrl}\n  webhook mode:   ${srv.webhooks ? "on" : "off (package has no createWebhookHandler)"}\n\n  Ctrl-C to stop.\n`);
  const stop = async () => { await srv.close(); process.exit(0); };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
