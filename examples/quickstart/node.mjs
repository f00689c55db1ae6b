// Quick start, Node 18+: `node examples/quickstart/node.mjs`
// Set TASKLANE_BASE_URL and TASKLANE_API_KEY (e.g. the local simulator:
// TASKLANE_BASE_URL=http://127.0.0.1:8787/queue TASKLANE_API_KEY=sim-key).
import { TaskClient, TaskError } from "tasklane";

const client = new TaskClient({
  provider: "queue",
  baseUrl: process.env.TASKLANE_BASE_URL ?? "http://127.0.0.1:8787/queue",
  apiKey: process.env.TASKLANE_API_KEY,
});

try {
  const done = await client.run(
    { endpoint: "fal-ai/flux/dev", input: { prompt: "a lighthouse at dusk" } },
    { onUpdate: (u) => console.log(u.state, u.queuePosition ?? "") },
  );
  console.log(done.outputs[0].url);
} catch (e) {
  if (e instanceof TaskError) console.error(`task ended: ${e.code}: ${e.message}`);
  process.exitCode = 1;
}
