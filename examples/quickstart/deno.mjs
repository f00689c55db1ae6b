// Quick start, Deno: `deno run --allow-net --allow-read --allow-env examples/quickstart/deno.mjs`
// (with tasklane in node_modules; or import from "npm:tasklane").
import { TaskClient } from "tasklane";

const client = new TaskClient({
  provider: "mindproxy",
  baseUrl: Deno.env.get("TASKLANE_BASE_URL") ?? "http://127.0.0.1:8787/mindproxy",
  apiKey: Deno.env.get("TASKLANE_API_KEY"),
});

const done = await client.run({ taskType: "async_image", model: "flux-dev", input: { prompt: "a lighthouse at dusk" } });
console.log(done.state, done.outputs?.[0]?.url);
