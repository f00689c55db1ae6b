// The test Worker for `tasklane/proxy`: imports the proxy build as a Worker would (the
// `workerd` condition) and is a proxy for one dialect, apixo, at /api/tasklane/apixo (the
// vendor and its key come from the bindings APIXO_BASE_URL and APIXO_API_KEY). GET /bad
// answers whether bad options throw the package's TaskError in workerd.
import { createProxyHandler, TaskError } from "tasklane/proxy";

let proxy;

export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/bad") {
      try {
        createProxyHandler({ provider: "apixo", apiKey: env.APIXO_API_KEY });
        return Response.json({ thrown: false });
      } catch (e) {
        return Response.json({ isTaskError: e instanceof TaskError, code: e.code });
      }
    }
    proxy ??= createProxyHandler({ provider: "apixo", baseUrl: env.APIXO_BASE_URL, apiKey: env.APIXO_API_KEY });
    return proxy(request, env, ctx);
  },
};
