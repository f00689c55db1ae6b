// An example Cloudflare Worker: receives task webhooks of the four dialects with
// tasklane's createWebhookHandler and keeps each task's final result in KV.
//
//   POST /webhooks/{mirako|apixo|mindproxy|queue}   a provider's webhook delivery
//   GET  /results/{provider}/{taskId}                the stored result (404 until it arrived)
//
// Bindings (wrangler.toml): KV namespaces RESULTS and WEBHOOK_DEDUPE; secrets
// WEBHOOK_SECRET (Standard Webhooks, whsec_...) and MIRAKO_WEBHOOK_TOKEN (the auth_token
// given to mirako at submit; mirako authenticates its webhooks with it, not a signature).
import { createWebhookHandler } from "tasklane";

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

export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    const [, section, provider, id] = pathname.split("/");
    if (section === "webhooks" && DIALECTS.has(provider) && id === undefined) {
      return handlerFor(provider, env)(request, env, ctx);
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
