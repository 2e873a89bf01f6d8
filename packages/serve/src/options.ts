import { optionError } from "./errors.js";

export type Pooling = "mean" | "cls";

/** Where the server's JSON-lines log goes: fastify's logger options (pino), or false for none. */
export type LoggerOption = boolean | { level?: string; stream?: { write(line: string): void } };

/** Options of the server; each is a `deberta serve` flag (named in brackets). */
export interface ServeOptions {
  /** Model folder, Hub id or URL (`--model`). */
  model: string;
  /** Served task (`--task`); default: from the config's `architectures` (feature-extraction without one). */
  task?: string | undefined;
  /** Backend: cpu (default), webgpu, cuda, cuda:N or N (`--device`). */
  device?: string | undefined;
  /** Hub revision (`--revision`). */
  revision?: string | undefined;
  /** Tokenizer folder or Hub id, when the model's folder has none (`--tokenizer`). */
  tokenizer?: string | undefined;
  /** Interface to listen on (`--host`, default 127.0.0.1: only this machine). */
  host?: string | undefined;
  /** Port (`--port`, default 8080; 0 picks a free one). */
  port?: number | undefined;
  /** Padded tokens (rows x longest row) per forward (`--max-batch-tokens`, default 8192). */
  maxBatchTokens?: number | undefined;
  /** Rows per forward (`--max-batch-requests`, default 64). */
  maxBatchRequests?: number | undefined;
  /** How long the first queued row waits for others while the model is idle (`--max-batch-wait-ms`, default 2). */
  maxBatchWaitMs?: number | undefined;
  /** Rows waiting in the queue before requests get 429 (`--max-queue`, default 1024). */
  maxQueue?: number | undefined;
  /** Inputs in one request (`--max-client-batch-size`, default 32, as text-embeddings-inference). */
  maxClientBatchSize?: number | undefined;
  /** Tokens per input; default and upper bound: the model's (`--max-input-length`). */
  maxInputLength?: number | undefined;
  /** Request body bytes (`--payload-limit`, default 2,000,000 as text-embeddings-inference). */
  payloadLimit?: number | undefined;
  /** Per request, from arrival to response (`--request-timeout-ms`, default 60,000). */
  requestTimeoutMs?: number | undefined;
  /** After SIGTERM, how long queued and in-flight requests may take (`--grace-period-ms`, default 30,000). */
  gracePeriodMs?: number | undefined;
  /** Pooling of POST /embed (`--pooling`, default mean). */
  pooling?: Pooling | undefined;
  /** Truncate over-long inputs when a request does not say (`--auto-truncate`, default false). */
  autoTruncate?: boolean | undefined;
  /** JSON-lines log (fastify's pino logger): default info level on stdout. */
  logger?: LoggerOption | undefined;
}

export type ResolvedServeOptions = Required<
  Omit<ServeOptions, "task" | "revision" | "tokenizer" | "maxInputLength">
> &
  Pick<ServeOptions, "task" | "revision" | "tokenizer" | "maxInputLength">;

export const SERVE_DEFAULTS = {
  device: "cpu",
  host: "127.0.0.1",
  port: 8080,
  maxBatchTokens: 8192,
  maxBatchRequests: 64,
  maxBatchWaitMs: 2,
  maxQueue: 1024,
  maxClientBatchSize: 32,
  payloadLimit: 2_000_000,
  requestTimeoutMs: 60_000,
  gracePeriodMs: 30_000,
  pooling: "mean",
  autoTruncate: false,
} as const;

/** The flag of each numeric option, for errors. */
const FLAGS: Record<string, string> = {
  port: "--port",
  maxBatchTokens: "--max-batch-tokens",
  maxBatchRequests: "--max-batch-requests",
  maxBatchWaitMs: "--max-batch-wait-ms",
  maxQueue: "--max-queue",
  maxClientBatchSize: "--max-client-batch-size",
  maxInputLength: "--max-input-length",
  payloadLimit: "--payload-limit",
  requestTimeoutMs: "--request-timeout-ms",
  gracePeriodMs: "--grace-period-ms",
};

function integer(value: number | undefined, name: string, min: number, fallback: number): number;
function integer(
  value: number | undefined,
  name: string,
  min: number,
  fallback?: undefined,
): number | undefined;
function integer(
  value: number | undefined,
  name: string,
  min: number,
  fallback?: number,
): number | undefined {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min)
    throw optionError(FLAGS[name] ?? name, `must be an integer >= ${min}, got ${value}`);
  return value;
}

/** Defaults filled in and every value checked; a bad one is a ServeError SERVE_OPTION naming its flag. */
export function resolveServeOptions(options: ServeOptions): ResolvedServeOptions {
  if (typeof options.model !== "string" || options.model === "")
    throw optionError("--model", "a model folder, Hub id or URL is needed");
  const pooling = options.pooling ?? SERVE_DEFAULTS.pooling;
  if (pooling !== "mean" && pooling !== "cls")
    throw optionError("--pooling", `must be mean or cls, got ${JSON.stringify(pooling)}`);
  const port = integer(options.port, "port", 0, SERVE_DEFAULTS.port);
  if (port > 65535) throw optionError("--port", `must be at most 65535, got ${port}`);
  return {
    model: options.model,
    task: options.task,
    device: options.device ?? SERVE_DEFAULTS.device,
    revision: options.revision,
    tokenizer: options.tokenizer,
    host: options.host ?? SERVE_DEFAULTS.host,
    port,
    maxBatchTokens: integer(options.maxBatchTokens, "maxBatchTokens", 1, SERVE_DEFAULTS.maxBatchTokens),
    maxBatchRequests: integer(
      options.maxBatchRequests,
      "maxBatchRequests",
      1,
      SERVE_DEFAULTS.maxBatchRequests,
    ),
    maxBatchWaitMs: integer(options.maxBatchWaitMs, "maxBatchWaitMs", 0, SERVE_DEFAULTS.maxBatchWaitMs),
    maxQueue: integer(options.maxQueue, "maxQueue", 1, SERVE_DEFAULTS.maxQueue),
    maxClientBatchSize: integer(
      options.maxClientBatchSize,
      "maxClientBatchSize",
      1,
      SERVE_DEFAULTS.maxClientBatchSize,
    ),
    maxInputLength: integer(options.maxInputLength, "maxInputLength", 3),
    payloadLimit: integer(options.payloadLimit, "payloadLimit", 1, SERVE_DEFAULTS.payloadLimit),
    requestTimeoutMs: integer(
      options.requestTimeoutMs,
      "requestTimeoutMs",
      1,
      SERVE_DEFAULTS.requestTimeoutMs,
    ),
    gracePeriodMs: integer(options.gracePeriodMs, "gracePeriodMs", 0, SERVE_DEFAULTS.gracePeriodMs),
    pooling,
    autoTruncate: options.autoTruncate ?? SERVE_DEFAULTS.autoTruncate,
    logger: options.logger ?? { level: "info" },
  };
}
