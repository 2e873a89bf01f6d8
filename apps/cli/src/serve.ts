import { type Pooling, runServer, ServeError } from "@deberta/serve";
import { UsageError } from "./errors.js";
import { deviceError } from "./run.js";

export const SERVE_HELP = `Usage: deberta serve --model <folder|org/name|url> [options]

Serves one model over HTTP with text-embeddings-inference's API, until SIGTERM or SIGINT (then it stops
taking requests, answers every request it holds within --grace-period-ms, and exits 0; 1 if time ran out).
  POST /predict              text classification: {"inputs": "..." | ["text", "text_pair"] | [...], "raw_scores": false}
  POST /embed                embeddings: {"inputs": "..." | [...], "normalize": true, "truncate": false}
  POST /rerank               {"query": "...", "texts": [...], "raw_scores": false, "return_text": false}
  POST /pipelines/{task}     one JSON object as "deberta run" reads it, answered as it writes it
  GET  /health  /info  /metrics (Prometheus)  /openapi.json
Logs are JSON lines on stdout.

Options:
  --model <ref>                  model folder, Hub id or URL
  --task <task>                  the task to load it for (default: from its config; the other tasks its head can
                                 run are served too)
  --device <name>                cpu (default), webgpu, 0 / cuda / cuda:N
  --revision <rev>               Hub revision
  --tokenizer <ref>              tokenizer folder or Hub id, when the model's folder has none
  --host <address>               interface to listen on (default 127.0.0.1: this machine only)
  --port <n>                     port (default 8080; 0: any free port, see the log)
  --max-batch-tokens <n>         rows x longest row per forward (default 8192)
  --max-batch-requests <n>       rows per forward (default 64)
  --max-batch-wait-ms <n>        how long a batch waits for more inputs while the model is idle (default 2)
  --max-queue <n>                rows waiting before requests get 429 with Retry-After (default 1024)
  --max-client-batch-size <n>    inputs per request (default 32)
  --max-input-length <n>         tokens per input (default and upper bound: the model's)
  --auto-truncate                cut over-long inputs when a request does not say (default: 413)
  --pooling <mean|cls>           pooling of /embed (default mean)
  --payload-limit <bytes>        request body size (default 2000000; larger: 413)
  --request-timeout-ms <n>       per request (default 60000; then 504)
  --grace-period-ms <n>          after SIGTERM (default 30000)
  --log-level <level>            fatal, error, warn, info (default), debug, silent
  --verbose                      let the GPU driver's own warnings through to stderr
  -h, --help                     this help

Exit codes: 0 stopped by a signal after answering everything, 1 the model failed to load or the grace
period ran out, 2 bad usage, 3 the --device cannot be used here.`;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export interface ServeFlags {
  [flag: string]: string | boolean | undefined;
}

function integer(values: ServeFlags, name: string): number | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new UsageError(`--${name} must be a non-negative integer, got "${String(value)}"`);
  return n;
}

/** `deberta serve`: the flags checked here (exit 2), then @deberta/serve's runServer. */
export async function serveCommand(values: ServeFlags): Promise<number> {
  const model = values.model;
  if (typeof model !== "string") throw new UsageError("serve needs --model");
  const pooling = values.pooling;
  if (pooling !== undefined && pooling !== "mean" && pooling !== "cls")
    throw new UsageError(`--pooling must be mean or cls, got "${String(pooling)}"`);
  const level = (values["log-level"] as string | undefined) ?? "info";
  if (!LOG_LEVELS.includes(level))
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got "${level}"`);
  const device = (values.device as string | undefined) ?? "cpu";
  const options = {
    model,
    task: values.task as string | undefined,
    device,
    revision: values.revision as string | undefined,
    tokenizer: values.tokenizer as string | undefined,
    host: values.host as string | undefined,
    port: integer(values, "port"),
    maxBatchTokens: integer(values, "max-batch-tokens"),
    maxBatchRequests: integer(values, "max-batch-requests"),
    maxBatchWaitMs: integer(values, "max-batch-wait-ms"),
    maxQueue: integer(values, "max-queue"),
    maxClientBatchSize: integer(values, "max-client-batch-size"),
    maxInputLength: integer(values, "max-input-length"),
    payloadLimit: integer(values, "payload-limit"),
    requestTimeoutMs: integer(values, "request-timeout-ms"),
    gracePeriodMs: integer(values, "grace-period-ms"),
    pooling: pooling as Pooling | undefined,
    autoTruncate: values["auto-truncate"] === true,
    logger: level === "silent" ? false : { level },
  };
  try {
    return await runServer(options);
  } catch (error) {
    // A bad option value is a usage error; a device that cannot be created here, exit code 3.
    if (error instanceof ServeError && error.code === "SERVE_OPTION") throw new UsageError(error.message);
    throw deviceError(device, error) ?? error;
  }
}
