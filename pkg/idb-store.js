// A `TaskStore` in IndexedDB, for browsers (and any runtime with `indexedDB`): the records
// survive a page reload, like the "localStorage" store, but without its 5 MB quota or its
// synchronous writes on the main thread. One object store, "tasks", keyed by task id.

/** The IndexedDB store of `TaskClient`: `new TaskClient({..., store: indexedDBStore()})`. */
export function indexedDBStore({ name = "tasklane" } = {}) {
  if (typeof indexedDB === "undefined") {
    throw new TypeError("indexedDBStore: this runtime has no indexedDB");
  }
  let opened;
  const db = () => (opened ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => req.result.createObjectStore("tasks");
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => { opened = undefined; reject(req.error); };
  }));
  // Settles when the transaction commits, so a resolved put() is durable.
  const run = async (mode, fn) => {
    const tx = (await db()).transaction("tasks", mode);
    const req = fn(tx.objectStore("tasks"));
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  };
  return {
    get: (id) => run("readonly", (s) => s.get(id)).then((r) => r ?? null),
    put: (id, record) => run("readwrite", (s) => s.put(record, id)).then(() => undefined),
    delete: (id) => run("readwrite", (s) => s.delete(id)).then(() => undefined),
    list: () => run("readonly", (s) => s.getAll()),
  };
}
