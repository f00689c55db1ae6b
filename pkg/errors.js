// The package's two error classes, defined once for all of its builds: the wasm of each
// entry (`tasklane`, `tasklane/client`, `tasklane/webhook`, `tasklane/proxy`) is handed
// these very classes when it is bound (bind.js), so `err instanceof TaskError` holds
// whichever entry the class was imported from and whichever threw. Declared in index.d.ts.

/** The error class of every failed task operation (see index.d.ts). */
export class TaskError extends Error {
  constructor(code, message, taskId, httpStatus, update) {
    super(message);
    this.name = "TaskError";
    this.code = code;
    if (taskId != null) this.taskId = taskId;
    if (httpStatus != null) this.httpStatus = httpStatus;
    if (update != null) this.update = update;
  }
}

/** The error class of a refused webhook delivery (see index.d.ts). */
export class WebhookError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "WebhookError";
    this.status = status;
    this.code = code;
  }
}
