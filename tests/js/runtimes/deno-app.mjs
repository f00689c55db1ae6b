// The Deno check: imports `tasklane` as a Deno program would (bare specifier resolved
// from node_modules with the `deno` condition), runs the scenario against the simulator
// URL given as the first argument and prints the summary as JSON.
import * as tasklane from "tasklane";
import { scenario } from "./scenario.mjs";

console.log(JSON.stringify(await scenario(tasklane, Deno.args[0])));
