// Quick start, Cloudflare Worker: `wrangler dev` with this file as `main`, and vars
// TASKLANE_BASE_URL / TASKLANE_API_KEY (a secret). GET /?prompt=... runs one task and
// answers with its result; the key never leaves the Worker.
import { TaskClient } from "tasklane";

export default {
  async fetch(request, env) {
    const prompt = new URL(request.url).searchParams.get("prompt") ?? "a lighthouse at dusk";
    const client = new TaskClient({ provider: "apixo", baseUrl: env.TASKLANE_BASE_URL, apiKey: env.TASKLANE_API_KEY });
    try {
      const done = await client.run({ model: "flux-dev", input: { prompt } });
      return Response.json({ state: done.state, outputs: done.outputs });
    } catch (e) {
      return Response.json({ code: e.code, message: e.message }, { status: 502 });
    }
  },
};
