import { spawn } from "node:child_process";

/**
 * Dawn (the WebGPU backend in Node) writes warnings about the adapter's limits — "Warning:
 * maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 ..." — straight to file
 * descriptor 2 from native code, where no JavaScript can catch them. Node cannot redirect a descriptor of its
 * own, so a command that may create a WebGPU device runs as a child of this process, with its stderr piped
 * through `isDawnNoise`. `--verbose` lets everything through.
 */
const DAWN_NOISE = /Warning: \w+ artificially reduced from \d+ to \d+[^\n]*\n?$/;
const NOISE_START = "Warning: ";

/** Set in the child so it neither filters again nor spawns another child. */
const CHILD_ENV = "DEBERTA_CLI_STDERR_FILTERED";
/** Tells the child that the stderr it writes to reaches a terminal (its own is a pipe to the filter). */
const TTY_ENV = "DEBERTA_CLI_STDERR_TTY";

export function isDawnNoise(line: string): boolean {
  return DAWN_NOISE.test(line);
}

/** A line without its Dawn warning (which can follow a progress bar's "\r" on the same line). */
function withoutNoise(line: string): string {
  return line.replace(DAWN_NOISE, "");
}

/** Whether a partial line may still turn into a Dawn warning, so it must wait for its newline. */
function couldBecomeNoise(partial: string): boolean {
  if (partial.includes(NOISE_START)) return true;
  for (let k = 1; k < NOISE_START.length && k <= partial.length; k++) {
    if (NOISE_START.startsWith(partial.slice(-k))) return true;
  }
  return false;
}

/** Whether stderr reaches a terminal, also in the filtered child (whose own stderr is a pipe). */
export function stderrIsTerminal(): boolean {
  return process.stderr.isTTY === true || process.env[TTY_ENV] === "1";
}

/** `env` always probes WebGPU; `run` and `bench` when asked for it. Help and usage errors never need it. */
export function mayCreateWebGpuDevice(argv: readonly string[]): boolean {
  if (process.env[CHILD_ENV] === "1") return false;
  if (argv.includes("--verbose") || argv.includes("-h") || argv.includes("--help")) return false;
  if (argv[0] === "env") return true;
  const device = argv.findIndex((a) => a === "--device" || a.startsWith("--device="));
  if (device < 0) return false;
  const value = argv[device]!.includes("=") ? argv[device]!.split("=")[1] : argv[device + 1];
  return value?.startsWith("webgpu") === true;
}

/**
 * Runs this CLI again as a child with the same arguments, stdin and stdout, and its stderr filtered line by
 * line; resolves with the child's exit code. Signals that stop this process are passed on to the child.
 */
export function runWithFilteredStderr(
  argv: readonly string[],
  {
    script = process.argv[1]!,
    sink = process.stderr,
  }: { script?: string; sink?: NodeJS.WritableStream } = {},
): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
    stdio: ["inherit", "inherit", "pipe"],
    env: { ...process.env, [CHILD_ENV]: "1", ...(process.stderr.isTTY ? { [TTY_ENV]: "1" } : {}) },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, forward);
  // Progress bars redraw with "\r" and no newline: pass partial lines through as they come, holding back
  // only what could still become a noise line.
  let pending = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      const line = pending.slice(0, newline + 1);
      pending = pending.slice(newline + 1);
      const kept = withoutNoise(line);
      if (kept !== "") sink.write(kept);
      newline = pending.indexOf("\n");
    }
    if (pending !== "" && !couldBecomeNoise(pending)) {
      sink.write(pending);
      pending = "";
    }
  });
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      const kept = withoutNoise(pending);
      if (kept !== "") sink.write(kept);
      for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.off(s, forward);
      resolve(code ?? (signal === null ? 1 : 128 + signalNumber(signal)));
    });
    child.on("error", (error) => {
      sink.write(`deberta: could not start the CLI's worker process: ${error.message}\n`);
      resolve(1);
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return { SIGHUP: 1, SIGINT: 2, SIGTERM: 15, SIGKILL: 9 }[signal as string] ?? 1;
}
