// What every build's wasm gets once its runtime entry has instantiated it, and what comes
// out of it. Shared by the four builds (`tasklane`, `tasklane/client`, `tasklane/webhook`,
// `tasklane/proxy`), so an app that imports several of them still has one `TaskError`
// class and one `profiles` object.
import * as errors from "./errors.js";

/** The four built-in dialects as plain profile objects (read from the first build bound). */
export let profiles;

/**
 * @internal Called once per build, right after its wasm (`glue`, the wasm-bindgen module)
 * is instantiated and before any user code runs. `indexedDBStore` only for the builds
 * with `TaskClient`: `store: "indexedDB"` builds this same store inside the wasm.
 */
export function bindBuild(glue, indexedDBStore) {
  glue.__setErrorClasses(errors);
  if (indexedDBStore) glue.__setIndexedDBStore(indexedDBStore);
  profiles ??= Object.freeze(glue.__profiles());
}
