// The test Worker: imports `tasklane` as a Worker would (the `workerd` condition) and
// answers every request with the scenario's summary as JSON.
import * as tasklane from "tasklane";
import { scenario } from "./scenario.mjs";

export default {
  async fetch(request, env) {
    try {
      return Response.json(await scenario(tasklane, env.SIM_URL));
    } catch (e) {
      return Response.json({ error: String(e?.stack ?? e), code: e?.code }, { status: 500 });
    }
  },
};
