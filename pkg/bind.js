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
  if (glue.TaskClient) guardFreed(glue.TaskClient);
}

/** `TaskClient`'s methods that answer at once rather than with a promise. */
const SYNC = new Set(["watch", "deliver"]);

/**
 * A method called on a client after `free()` fails with a `TaskError` naming the mistake
 * (a rejected promise, or a throw for the two methods that answer at once), where
 * wasm-bindgen's own check would throw a bare `Error: null pointer passed to rust`; a
 * second `free()` does nothing.
 */
function guardFreed(TaskClient) {
  const proto = TaskClient.prototype;
  // A second free() does nothing (wasm-bindgen's would throw on the freed pointer).
  const free = proto.free;
  proto.free = function () {
    if (this.__wbg_ptr !== 0) free.call(this);
  };
  if (Symbol.dispose) proto[Symbol.dispose] = proto.free;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const method = proto[name];
    if (name === "constructor" || name === "free" || name.startsWith("__") || typeof method !== "function") continue;
    proto[name] = function (...args) {
      if (this.__wbg_ptr !== 0) return method.apply(this, args);
      const e = new errors.TaskError("invalid_argument", `TaskClient.${name}(): this client was freed (free()); make a new one`);
      if (SYNC.has(name)) throw e;
      return Promise.reject(e);
    };
  }
}
