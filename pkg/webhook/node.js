// Node entry of `tasklane/webhook`: reads the .wasm next to this file and instantiates it
// synchronously.
import * as glue from "./dist/tasklane_webhook.js";
import { load } from "../load/node.js";
import bind from "./shared.js";

load(glue, new URL("./dist/tasklane_webhook_bg.wasm", import.meta.url));
bind();

export * from "./shared.js";
