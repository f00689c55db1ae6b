// An example Cloudflare Worker: receives task webhooks of the four dialects with
// tasklane's createWebhookHandler and keeps each task's final result in KV, and is the
// edge proxy (createProxyHandler) that lets a browser use the vendors without their keys.
//
//   POST /webhooks/{mirako|apixo|mindproxy|queue}   a provider's webhook delivery
//   GET  /results/{provider}/{taskId}                the stored result (404 until it arrived)
//   *    /api/tasklane/{provider}/...                the edge proxy: a browser's TaskClient uses
//        baseUrl "<worker>/api/tasklane/{provider}" and no apiKey
//
// Bindings (wrangler.toml): KV namespaces RESULTS and WEBHOOK_DEDUPE; secrets
// WEBHOOK_SECRET (Standard Webhooks, whsec_...) and MIRAKO_WEBHOOK_TOKEN (the auth_token
// given to mirako at submit; mirako authenticates its webhooks with it, not a signature);
// for the proxy, {PROVIDER}_BASE_URL and {PROVIDER}_API_KEY (e.g. APIXO_BASE_URL), APP_SESSION
// (what the app's pages send as `x-app-session`), ALLOW_ORIGINS (comma-separated) and
// optionally PROXY_ALLOW (JSON of the `allow` lists), PROXY_RATE_LIMIT (`N/SECONDS`: N
// requests per caller in each window of that many seconds) and PROXY_UPSTREAM_TIMEOUT_MS.
import { createWebhookHandler, createProxyHandler } from "tasklane";

const DIALECTS = new Set(["mirako", "apixo", "mindproxy", "queue"]);
const TERMINAL = new Set(["succeeded", "failed", "canceled", "timed_out"]);

/** One handler per dialect, built on first use (bindings are only known at request time). */
const handlers = new Map();

function handlerFor(provider, env) {
  let handler = handlers.get(provider);
  if (!handler) {
    handler = createWebhookHandler({
      provider,
      ...(provider === "mirako"
        ? { authToken: env.MIRAKO_WEBHOOK_TOKEN }
        : { secret: env.WEBHOOK_SECRET }),
      // Duplicates are acknowledged without reaching onUpdate, across Worker instances too.
      store: env.WEBHOOK_DEDUPE,
      onUpdate: async (update, _request, env) => {
        // A live update arriving late (out of order) must not replace a final result.
        if (!TERMINAL.has(update.state)) return;
        const key = `result:${provider}:${update.id}`;
        const previous = await env.RESULTS.get(key, "json");
        // `writes` shows each result was stored exactly once.
        await env.RESULTS.put(key, JSON.stringify({ update, writes: (previous?.writes ?? 0) + 1 }));
      },
    });
    handlers.set(provider, handler);
  }
  return handler;
}

/**
 * A per-caller limit of `spec` ("N/SECONDS") as a `rateLimit` hook: N requests per fixed
 * window, counted in this isolate's memory. That is a sketch: Workers run many isolates, so
 * production code would count in a rate-limiting binding or a Durable Object per caller.
 * The caller here is what the page says in `x-app-user`; a real app takes it from its
 * verified session.
 */
function rateLimiter(spec) {
  const [limit, seconds] = spec.split("/").map(Number);
  const windows = new Map();
  return (request) => {
    const caller = request.headers.get("x-app-user") ?? "anonymous";
    const now = Date.now();
    let w = windows.get(caller);
    if (!w || now - w.start >= seconds * 1000) windows.set(caller, (w = { start: now, count: 0 }));
    w.count += 1;
    // true: go ahead; a number: refused, retry after that many seconds (429 + Retry-After).
    return w.count <= limit || (w.start + seconds * 1000 - now) / 1000;
  };
}

/** One proxy per dialect, built on first use. */
const proxies = new Map();

function proxyFor(provider, env) {
  let proxy = proxies.get(provider);
  if (!proxy) {
    const upper = provider.toUpperCase();
    proxy = createProxyHandler({
      provider,
      baseUrl: env[`${upper}_BASE_URL`],
      apiKey: env[`${upper}_API_KEY`],
      // Who may spend the key: here, pages that carry the app's session token. A real app
      // would check its own session cookie or JWT.
      authorize: (request) => env.APP_SESSION !== undefined && request.headers.get("x-app-session") === env.APP_SESSION,
      allow: env.PROXY_ALLOW ? JSON.parse(env.PROXY_ALLOW) : undefined,
      allowOrigins: (env.ALLOW_ORIGINS ?? "").split(",").filter(Boolean),
      maxBodyBytes: 256 * 1024,
      rateLimit: env.PROXY_RATE_LIMIT ? rateLimiter(env.PROXY_RATE_LIMIT) : undefined,
      upstreamTimeoutMs: env.PROXY_UPSTREAM_TIMEOUT_MS ? Number(env.PROXY_UPSTREAM_TIMEOUT_MS) : undefined,
    });
    proxies.set(provider, proxy);
  }
  return proxy;
}

export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    const [, section, provider, id] = pathname.split("/");
    if (section === "webhooks" && DIALECTS.has(provider) && id === undefined) {
      return handlerFor(provider, env)(request, env, ctx);
    }
    if (section === "api" && provider === "tasklane" && DIALECTS.has(id)) {
      return proxyFor(id, env)(request, env, ctx);
    }
    if (section === "results" && DIALECTS.has(provider) && id && request.method === "GET") {
      const stored = await env.RESULTS.get(`result:${provider}:${decodeURIComponent(id)}`);
      return stored
        ? new Response(stored, { headers: { "content-type": "application/json" } })
        : Response.json({ error: { code: "not_found", message: "no result yet" } }, { status: 404 });
    }
    return Response.json({ error: { code: "not_found", message: `no route ${pathname}` } }, { status: 404 });
  },
};
