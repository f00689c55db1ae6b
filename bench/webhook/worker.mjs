// The webhook benchmark inside workerd: `?size=&case=&n=` runs contestant `case` n times
// (`&node=1` adds the `hmac: node` contestant, for bench/webhook/sweep.mjs).
import * as tasklane from "tasklane/webhook";
import * as full from "tasklane";
import { Webhook } from "standardwebhooks";
import { makeBody, makeCases } from "./cases.mjs";

const prepared = new Map();

export default {
  async fetch(request) {
    const q = new URL(request.url).searchParams;
    const size = Number(q.get("size"));
    const nodeHmac = q.get("node") === "1";
    const key = `${size} ${nodeHmac}`;
    let cases = prepared.get(key);
    if (!cases) {
      cases = await makeCases({ tasklane, full, Webhook, body: makeBody(size), nodeHmac });
      prepared.set(key, cases);
    }
    const c = cases[Number(q.get("case"))];
    const n = Number(q.get("n"));
    for (let i = 0; i < n; i++) await c.fn();
    return Response.json({ names: cases.map((x) => x.name), n });
  },
};
