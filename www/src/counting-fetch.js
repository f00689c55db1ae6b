// A `fetch` to pass as TaskClient's `fetch` option: it calls the real one and reports every
// request (method, URL, when, and later its HTTP status) to `onRequest`. This is how the page
// counts the requests a task took, without touching the library.

/**
 * @param {(r: {method: string, url: string, t: number}) => void} onRequest
 *   called when a request starts
 * @param {(r: {method: string, url: string, t: number, status: number}) => void} [onResponse]
 *   called with the same record when its answer (or a network error: status 0) arrives
 */
export function countingFetch(onRequest, onResponse) {
  return async function (input, init) {
    const isReq = typeof Request !== "undefined" && input instanceof Request;
    const url = isReq ? input.url : String(input);
    const method = String(init?.method ?? (isReq ? input.method : "GET")).toUpperCase();
    // One record per request: what onRequest attaches to it (e.g. the task it belongs to)
    // is still there when onResponse sees it.
    const rec = { method, url, t: performance.now(), status: undefined };
    onRequest(rec);
    try {
      const res = await globalThis.fetch(input, init);
      rec.status = res.status;
      onResponse?.(rec);
      return res;
    } catch (e) {
      rec.status = 0;
      onResponse?.(rec);
      throw e;
    }
  };
}
