import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { BackendResolutionError, HeadError, pipeline, toJsonValue as toJson } from "deberta";
import { DeviceUnavailableError, describeError, EXIT } from "./errors.js";
import { ProgressBar } from "./progress.js";
import { lineToCall, TASK_INPUTS } from "./task-inputs.js";

export type OnError = "stop" | "skip" | "report";

export interface RunOptions {
  task: string;
  model: string;
  device: string;
  batchSize: number;
  revision: string | undefined;
  input: string | undefined;
  onError: OnError;
}

interface Pending {
  lineNumber: number;
  input: unknown;
}

/**
 * The CLI's error for a `--device` whose backend cannot be created (the registry's BackendResolutionError,
 * or heads' HEAD_NO_BACKEND when no backend of that name is registered), or undefined for any other error.
 */
export function deviceError(device: string, error: unknown): DeviceUnavailableError | undefined {
  if (error instanceof BackendResolutionError && error.failures.length > 0)
    return new DeviceUnavailableError(
      device,
      error.failures.map((f) => `backend "${f.name}": ${f.reason}`).join("; "),
      { cause: error },
    );
  if (error instanceof HeadError && error.code === "HEAD_NO_BACKEND")
    return new DeviceUnavailableError(device, error.message.replace(/^device: /, ""), { cause: error });
  return undefined;
}

/**
 * `deberta run`: one pipeline, JSON lines in (stdin or --input), one JSON result per line out, in order.
 * Consecutive lines with the same options go through the pipeline together, up to --batch-size of them.
 */
export async function runCommand(
  options: RunOptions,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): Promise<number> {
  const spec = TASK_INPUTS[options.task]!;
  // Downloads of a Hub model show a progress bar on a terminal's stderr (nothing when piped).
  const bar = new ProgressBar();
  const pipe = await pipeline(options.task as "text-classification", options.model, {
    device: options.device,
    batch_size: options.batchSize,
    ...(options.revision === undefined ? {} : { revision: options.revision }),
    onProgress: (e: { file: string; loaded: number; total?: number | undefined }) =>
      bar.update(e.file, e.loaded, e.total),
  })
    .catch((error: unknown) => {
      throw deviceError(options.device, error) ?? error;
    })
    .finally(() => bar.done());
  let failures = 0;
  let stop = false;
  const fail = (lineNumber: number, message: string) => {
    failures++;
    stderr.write(`deberta run: line ${lineNumber}: ${message}\n`);
    if (options.onError === "report")
      stdout.write(`${JSON.stringify({ error: { line: lineNumber, message } })}\n`);
    if (options.onError === "stop") stop = true;
  };
  let pending: Pending[] = [];
  let pendingOptions: Record<string, unknown> = {};
  let pendingKey = "";
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    // Batchable tasks always get an array (even of one line), so a line's output never depends on
    // how many lines shared its call.
    const call = (inputs: Pending[]) =>
      spec.batchable
        ? pipe(inputs.map((p) => p.input) as never, pendingOptions as never)
        : pipe(inputs[0]!.input as never, pendingOptions as never);
    try {
      const result = await call(batch);
      const results = spec.batchable ? (result as unknown[]) : [result];
      for (const r of results) stdout.write(`${JSON.stringify(toJson(r))}\n`);
    } catch (error) {
      if (batch.length === 1) fail(batch[0]!.lineNumber, describeError(error));
      else {
        // One by one, so that the failing line is named and the others still get their result.
        for (const p of batch) {
          if (stop) break;
          try {
            stdout.write(`${JSON.stringify(toJson(((await call([p])) as unknown[])[0]))}\n`);
          } catch (inner) {
            fail(p.lineNumber, describeError(inner));
          }
        }
      }
    }
  };
  const source = options.input === undefined ? process.stdin : createReadStream(options.input, "utf8");
  const lines = createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  for await (const raw of lines) {
    lineNumber++;
    if (raw.trim().length === 0) continue;
    let call: ReturnType<typeof lineToCall>;
    try {
      call = lineToCall(options.task, raw);
    } catch (error) {
      await flush();
      fail(lineNumber, (error as Error).message);
      if (stop) break;
      continue;
    }
    const joinable =
      spec.batchable &&
      pending.length > 0 &&
      call.optionsKey === pendingKey &&
      pending.length < options.batchSize;
    if (!joinable) await flush();
    if (stop) break;
    pending.push({ lineNumber, input: call.input });
    pendingOptions = call.options;
    pendingKey = call.optionsKey;
    if (!spec.batchable || pending.length >= options.batchSize) await flush();
    if (stop) break;
  }
  if (!stop) await flush();
  lines.close();
  pipe.dispose();
  return failures > 0 ? EXIT.failure : EXIT.ok;
}
