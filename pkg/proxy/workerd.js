// Cloudflare Workers (workerd) entry of `tasklane/proxy`: the .wasm is imported as a
// module (CompiledWasm), since Workers refuse to compile wasm from bytes at run time.
import module from "./dist/tasklane_proxy_bg.wasm";
import * as glue from "./dist/tasklane_proxy.js";
import { load } from "../load/workerd.js";
import bind from "./shared.js";

load(glue, module);
bind();

export * from "./shared.js";
