// The browser check's app for `tasklane/client`: the scenario of browser-app.mjs, importing
// the client build only (bundled by esbuild with the `browser` condition).
import * as tasklane from "tasklane/client";
import { scenario } from "./scenario.mjs";

const sim = new URL(location.href).searchParams.get("sim");
scenario(tasklane, sim).then(
  (r) => { globalThis.__result = r; document.body.textContent = JSON.stringify(r); },
  (e) => { globalThis.__error = String(e?.stack ?? e); document.body.textContent = globalThis.__error; },
);
