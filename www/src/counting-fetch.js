// A `fetch` to pass as TaskClient's `fetch` option: it calls the real one and reports every
// request (method, URL, when, and later its HTTP status) to `onRequest`. This is how the page
// counts the requests a task took, without touching the library.

/**
 * @param {(r: {method: string, url: string, t: number, status?: number, ok?: boolean}) => void} onRequest
 *   called when a request starts
 * @param {(r: {method: string, url: string, t: number, status: number}) => void} [onResponse]
 *   called when its answer (or a network error, status 0) arrives
 */
export function countingFetch(onRequest, onResponse) {
  return async function (input, init) {
    const isReq = typeof Request !== "undefined" && input instanceof Request;
    const url = isReq ? input.url : String(input);
    const method = String(init?.method ?? (isReq ? input.method : "GET")).toUpperCase();
    const rec = { method, url, t: performance.now() };
    onRequest(rec);
    try {
      const res = await globalThis.fetch(input, init);
      onResponse?.({ ...rec, status: res.status });
      return res;
    } catch (e) {
      onResponse?.({ ...rec, status: 0 });
      throw e;
    }
  };
}
