// `tasklane/proxy`: `createProxyHandler` alone, a build without the polling client and the
// webhook receiver. The declarations are those of the full package (../index.d.ts).
export {
  createProxyHandler, TaskError, profiles, ready,
} from "../index.js";
export type {
  Json, TaskErrorCode, DialectName, ProviderProfile, ProxyOptions,
} from "../index.js";
