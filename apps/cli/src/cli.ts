import { parseArgs } from "node:util";
import { benchCommand } from "./bench.js";
import { downloadCommand } from "./download.js";
import { envCommand } from "./env.js";
import { DeviceUnavailableError, describeError, EXIT, UsageError } from "./errors.js";
import { mayCreateWebGpuDevice, runWithFilteredStderr } from "./native-stderr.js";
import { type OnError, runCommand } from "./run.js";
import { SERVE_HELP, serveCommand } from "./serve.js";
import { TASK_INPUTS } from "./task-inputs.js";

const VERSION = "0.0.0";

const HELP: Record<string, string> = {
  main: `Usage: deberta <command> [options]

DeBERTa in TypeScript, on the command line.

Commands:
  run        Run a pipeline on JSON lines (stdin or --input), one JSON result per line on stdout
  serve      Serve a model over HTTP (text-embeddings-inference's API, the pipelines, metrics)
  download   Download a model from the Hugging Face Hub into the cache and print its folder
  env        Show the runtime and which backends are available (and why not)
  bench      Time a model's forward pass on the CPU backend

Run "deberta <command> --help" for a command's options.
Options: --help, --version`,
  run: `Usage: deberta run --task <task> --model <folder|org/name|url> [options]

Reads one JSON value per line: an object of the task's inputs and call options, or a bare string.
  text-classification       {"text": "...", "text_pair": "...", "top_k": 2}
  zero-shot-classification  {"text": "...", "candidate_labels": ["a", "b"], "multi_label": false}
  fill-mask                 {"text": "The capital of France is [MASK].", "top_k": 5}
  token-classification      {"text": "...", "aggregation_strategy": "simple"}
  question-answering        {"question": "...", "context": "..."}
  feature-extraction        {"text": "...", "pooling": "mean", "normalize": true}
Writes one JSON result per input line, in order.

Options:
  --task <task>          ${Object.keys(TASK_INPUTS).join(", ")}
  --model <ref>          model folder, Hub id (e.g. microsoft/deberta-base-mnli) or URL
  --revision <rev>       Hub revision (branch, tag or commit; default main)
  --device <name>        cpu (default); webgpu (the GPU; in Node through Dawn, which needs Vulkan);
                         0, cuda or cuda:N (NVIDIA GPU N through @deberta/backend-cuda; 0 is the first)
  --batch-size <n>       lines per forward (default 1)
  --input <file>         read lines from a file instead of stdin
  --on-error <mode>      stop (default): stop at the first bad line, exit 1;
                         skip: report it on stderr and go on, exit 1 at the end;
                         report: also write {"error": {"line", "message"}} in its place on stdout
  --verbose              let the GPU driver's own warnings through to stderr (hidden by default)
  -h, --help             this help

Exit codes: 0 all lines done, 1 a line or the model failed, 2 bad usage, 3 the --device cannot be used
here (the reason is printed; "deberta env" shows what this machine offers).`,
  serve: SERVE_HELP,
  download: `Usage: deberta download <org/name> [--revision <rev>]

Downloads config, tokenizer and weight files into the Hugging Face cache ($HF_HUB_CACHE, $HF_HOME/hub or
~/.cache/huggingface/hub, shared with Python), with a progress bar on a terminal, and prints the folder.`,
  env: `Usage: deberta env [--verbose]

Prints the runtime (Node, CPU, WebAssembly SIMD, SharedArrayBuffer) and every backend with whether it can
be created here and, if not, why — as JSON. For CUDA: the GPUs (name, compute capability, memory), the
driver (release and CUDA version) and the cuBLASLt found, or why not. --verbose lets the GPU driver's own warnings through to stderr.`,
  bench: `Usage: deberta bench --model <ref> [--batch <n>] [--length <n>] [--threads <n>] [--repeats <n>]

Prints load time and median milliseconds per forward on the CPU backend as JSON
(defaults: batch 1, length 128, repeats 5). The repository's "pnpm bench" compares with onnxruntime.`,
};

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    (command === undefined ? process.stderr : process.stdout).write(`${HELP.main}\n`);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === "-v" || command === "--version") {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const help = HELP[command];
  if (help === undefined) throw new UsageError(`unknown command "${command}"`);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: command === "download",
    options: {
      help: { type: "boolean", short: "h" },
      // Read before parsing (native-stderr.ts); declared so that it is accepted.
      verbose: { type: "boolean" },
      task: { type: "string" },
      model: { type: "string" },
      revision: { type: "string" },
      device: { type: "string" },
      "batch-size": { type: "string" },
      input: { type: "string" },
      "on-error": { type: "string" },
      batch: { type: "string" },
      length: { type: "string" },
      threads: { type: "string" },
      repeats: { type: "string" },
      // serve
      tokenizer: { type: "string" },
      host: { type: "string" },
      port: { type: "string" },
      "max-batch-tokens": { type: "string" },
      "max-batch-requests": { type: "string" },
      "max-batch-wait-ms": { type: "string" },
      "max-queue": { type: "string" },
      "max-client-batch-size": { type: "string" },
      "max-input-length": { type: "string" },
      "auto-truncate": { type: "boolean" },
      pooling: { type: "string" },
      "payload-limit": { type: "string" },
      "request-timeout-ms": { type: "string" },
      "grace-period-ms": { type: "string" },
      "log-level": { type: "string" },
    },
  });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return EXIT.ok;
  }
  switch (command) {
    case "run": {
      if (values.task === undefined) throw new UsageError("run needs --task");
      if (!(values.task in TASK_INPUTS))
        throw new UsageError(`unknown task "${values.task}"; tasks: ${Object.keys(TASK_INPUTS).join(", ")}`);
      if (values.model === undefined) throw new UsageError("run needs --model");
      const onError = values["on-error"] ?? "stop";
      if (onError !== "stop" && onError !== "skip" && onError !== "report") {
        throw new UsageError(`--on-error must be stop, skip or report, got "${onError}"`);
      }
      return runCommand(
        {
          task: values.task,
          model: values.model,
          device: values.device ?? "cpu",
          batchSize: positiveInteger(values["batch-size"], "batch-size", 1),
          revision: values.revision,
          input: values.input,
          onError: onError as OnError,
        },
        process.stdout,
        process.stderr,
      );
    }
    case "serve":
      return serveCommand(values);
    case "download": {
      const reference = positionals[0];
      if (reference === undefined)
        throw new UsageError("download needs a model id, e.g. deberta download microsoft/deberta-base");
      process.stdout.write(`${await downloadCommand(reference, values.revision)}\n`);
      return EXIT.ok;
    }
    case "env":
      process.stdout.write(`${JSON.stringify(await envCommand(), null, 2)}\n`);
      return EXIT.ok;
    case "bench": {
      if (values.model === undefined) throw new UsageError("bench needs --model");
      const result = await benchCommand({
        model: values.model,
        batch: positiveInteger(values.batch, "batch", 1),
        length: positiveInteger(values.length, "length", 128),
        threads: values.threads === undefined ? undefined : positiveInteger(values.threads, "threads", 1),
        repeats: positiveInteger(values.repeats, "repeats", 5),
        revision: values.revision,
      });
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return EXIT.ok;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

const argv = process.argv.slice(2);
(mayCreateWebGpuDevice(argv) ? runWithFilteredStderr(argv) : main(argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof DeviceUnavailableError) {
      process.stderr.write(`deberta: ${error.message}\n`);
      process.exitCode = EXIT.device;
    } else if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      process.stderr.write(`deberta: ${(error as Error).message}\nRun "deberta --help" for usage.\n`);
      process.exitCode = EXIT.usage;
    } else {
      process.stderr.write(`deberta: ${describeError(error)}\n`);
      process.exitCode = EXIT.failure;
    }
  },
);
