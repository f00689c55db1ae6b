// `tasklane/client`: the polling client alone, a build without the webhook verifier and
// the proxy. The declarations are those of the full package (../index.d.ts).
export {
  TaskClient, TaskError, profiles, indexedDBStore, ready,
} from "../index.js";
export type {
  TaskState, Json, Output, TaskUpdate, TaskEvent, TaskErrorCode, DialectName, ProviderProfile,
  PollOptions, Limits, TaskRecord, TaskStore, EstimatesRecord, StoredRecord, TaskClientOptions,
  SubmitRequest, TaskLocator, WaitOptions, EventsOptions,
} from "../index.js";
