// The browser check's app: imports `tasklane` (bundled by esbuild with the `browser`
// condition), runs the scenario against the simulator named in the page's query string
// and leaves the summary in `globalThis.__result` (or the error in `__error`).
import * as tasklane from "tasklane";
import { scenario } from "./scenario.mjs";

const sim = new URL(location.href).searchParams.get("sim");
scenario(tasklane, sim).then(
  (r) => { globalThis.__result = r; document.body.textContent = JSON.stringify(r); },
  (e) => { globalThis.__error = String(e?.stack ?? e); document.body.textContent = globalThis.__error; },
);
