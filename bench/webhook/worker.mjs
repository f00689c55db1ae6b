// The webhook benchmark inside workerd: `?size=&case=&n=` runs contestant `case` n times.
import * as tasklane from "tasklane/webhook";
import * as full from "tasklane";
import { Webhook } from "standardwebhooks";
import { makeBody, makeCases } from "./cases.mjs";

const prepared = new Map();

export default {
  async fetch(request) {
    const q = new URL(request.url).searchParams;
    const size = Number(q.get("size"));
    let cases = prepared.get(size);
    if (!cases) {
      cases = await makeCases({ tasklane, full, Webhook, body: makeBody(size) });
      prepared.set(size, cases);
    }
    const c = cases[Number(q.get("case"))];
    const n = Number(q.get("n"));
    for (let i = 0; i < n; i++) await c.fn();
    return Response.json({ names: cases.map((x) => x.name), n });
  },
};
