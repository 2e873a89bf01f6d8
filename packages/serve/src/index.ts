export {
  type BatchEntry,
  Batcher,
  type BatcherEvents,
  type BatcherLimits,
  type BatchRunner,
  type BatchStats,
  type DropReason,
} from "./batcher.js";
export { type ErrorBody, ServeError, type ServeErrorCode, type ServeErrorType } from "./errors.js";
export { ServeMetrics } from "./metrics.js";
export {
  type LoggerOption,
  type Pooling,
  type ResolvedServeOptions,
  resolveServeOptions,
  SERVE_DEFAULTS,
  type ServeOptions,
} from "./options.js";
export { type RunServerOptions, runServer } from "./run.js";
export { type RerankScore, ServedModel, taskOfArchitecture } from "./served-model.js";
export { ClientGone, DebertaServer, type ServerState, VERSION } from "./server.js";
