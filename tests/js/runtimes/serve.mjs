// A tiny static file server on 127.0.0.1 (a free port) for the browser checks: serves
// one directory with the right MIME types, and stops when asked.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";

const types = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };

/** Serves `dir`; resolves `{url, close()}`. */
export async function serveDir(dir) {
  const server = createServer(async (req, res) => {
    const p = path.join(dir, decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (!p.startsWith(dir)) { res.writeHead(403).end(); return; }
    try {
      const body = await readFile(p.endsWith("/") ? path.join(p, "index.html") : p);
      res.writeHead(200, { "content-type": types[path.extname(p)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}
