// Node entry of `tasklane/client`: reads the .wasm next to this file and instantiates it
// synchronously.
import * as glue from "./dist/tasklane_client.js";
import { load } from "../load/node.js";
import bind from "./shared.js";

load(glue, new URL("./dist/tasklane_client_bg.wasm", import.meta.url));
bind();

export * from "./shared.js";
