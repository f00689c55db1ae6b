// Quick start, browser: bundle with `esbuild app.mjs --bundle --format=esm --outfile=dist/app.js`
// and ship node_modules/tasklane/dist/tasklane_bg.wasm as dist/dist/tasklane_bg.wasm (next
// to the bundle, where the package looks for it). In a browser, point `baseUrl` at your
// edge proxy (createProxyHandler) so the API key stays on the server.
import { TaskClient } from "tasklane";

const params = new URL(location.href).searchParams;
const client = new TaskClient({
  provider: "mirako",
  baseUrl: params.get("baseUrl") ?? "/api/tasklane",
  apiKey: params.get("apiKey") ?? undefined, // only for the local simulator
  store: "localStorage", // survives a reload: see client.resume()
});

const out = document.querySelector("#out");
const done = await client.run(
  { input: { prompt: document.querySelector("#prompt").value } },
  { onUpdate: (u) => { out.textContent = u.state; } },
);
out.innerHTML = `<img alt="result" src="${done.outputs[0].url}">`;
document.body.dataset.state = done.state;
