// Instantiating a build in Node: read the .wasm at `url` (a file: URL) synchronously, so
// the module is ready as soon as it is imported.
import { readFileSync } from "node:fs";

export function load(glue, url) {
  glue.initSync({ module: readFileSync(url) });
}
