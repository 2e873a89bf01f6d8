// The GEMM worker pool: spawning the workers (worker_threads in Node, Web Workers elsewhere) and starting
// them on the engine's module and shared memory. Products are then handed out through the control block
// (protocol.ts, gemm-job.ts), not by message.
import { COMMANDS, SLOT_FIELDS, SLOT_INTS } from "./protocol.js";

export interface PoolWorker {
  post(msg: unknown): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<void>;
}

/** Shared with the workers' error handlers: why the pool died (null while alive), and whether it is closing. */
export interface PoolState {
  dead: string | null;
  closing: boolean;
}

const isNode =
  typeof process !== "undefined" && typeof process.versions === "object" && !!process.versions?.node;

/**
 * A Node built-in, imported through a variable specifier: bundlers targeting browsers then neither resolve
 * nor polyfill it (a literal `import("node:worker_threads")` breaks esbuild's and webpack's browser builds).
 */
function importNodeBuiltin<T>(specifier: string): Promise<T> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ specifier) as Promise<T>;
}

export async function defaultThreadCount(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav && typeof nav.hardwareConcurrency === "number" && nav.hardwareConcurrency > 0) {
    return nav.hardwareConcurrency;
  }
  if (isNode) {
    try {
      const os = await importNodeBuiltin<typeof import("node:os")>("node:os");
      return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
    } catch {
      return 1;
    }
  }
  return 1;
}

export function defaultWorkerUrl(): string | URL {
  // import.meta.url is undefined in the CommonJS build (dist/index.cjs), where __dirname exists.
  const here = (import.meta as { url?: string }).url;
  if (typeof here === "string" && here.length > 0) return new URL("./gemm-worker.js", here);
  if (typeof __dirname === "string") return `${__dirname}/gemm-worker.js`;
  throw new Error("GemmEngine: cannot locate gemm-worker.js; pass the workerUrl option");
}

/** Whether this thread may block in Atomics.wait (false on a browser's main thread). */
export function atomicsWaitAllowed(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

export async function spawnWorker(
  url: string | URL,
  index: number,
  onMessage: (msg: unknown) => void,
  onError: (err: unknown) => void,
): Promise<PoolWorker> {
  if (isNode) {
    const { Worker } = await importNodeBuiltin<typeof import("node:worker_threads")>("node:worker_threads");
    // execArgv: [] — the worker needs no Node options, and inheriting them breaks under
    // `node --input-type=module -e` (ERR_INPUT_TYPE_NOT_ALLOWED). V8 flags such as
    // --experimental-wasm-relaxed-simd are process-wide and still apply.
    const w = new Worker(url, { name: `deberta-gemm-${index}`, execArgv: [] });
    w.on("message", onMessage);
    w.on("error", onError);
    w.on("exit", (code) => {
      if (code !== 0) onError(new Error(`GEMM worker ${index} exited with code ${code}`));
    });
    return {
      post: (msg) => w.postMessage(msg),
      ref: () => w.ref(),
      unref: () => w.unref(),
      terminate: async () => {
        await w.terminate();
      },
    };
  }
  const WorkerCtor = (globalThis as { Worker?: typeof Worker }).Worker;
  if (!WorkerCtor) throw new Error("GemmEngine: no Worker constructor in this environment");
  const w = new WorkerCtor(url, { type: "module", name: `deberta-gemm-${index}` });
  w.onmessage = (ev) => onMessage(ev.data);
  w.onerror = (ev) => onError(new Error(ev.message || "GEMM worker failed to load"));
  return {
    post: (msg) => w.postMessage(msg),
    ref: () => {},
    unref: () => {},
    terminate: async () => w.terminate(),
  };
}

/**
 * Starts `count` workers on `module` and the shared `memory`, worker i on the control slot at byte offset
 * `ctlPtr + i * SLOT_INTS * 4`; resolves once every one reported ready. If one fails or does not start within
 * `timeoutMs`, all are terminated and the error is thrown. A worker error later marks `pool` dead (unless
 * it is closing). Idle workers do not keep a Node process alive.
 */
export async function startWorkers(init: {
  count: number;
  url: string | URL;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctlPtr: number;
  spinMicros: number;
  timeoutMs: number;
  pool: PoolState;
}): Promise<PoolWorker[]> {
  const { count: nWorkers, url, module, ctlPtr, spinMicros, timeoutMs, pool } = init;
  const workers: PoolWorker[] = [];
  try {
    await Promise.all(
      Array.from({ length: nWorkers }, async (_, i) => {
        let settle: { resolve: () => void; reject: (e: unknown) => void } | undefined;
        const ready = new Promise<void>((resolve, reject) => {
          settle = { resolve, reject };
        });
        ready.catch(() => {}); // observed below through Promise.race; never an unhandled rejection
        const worker = await spawnWorker(
          url,
          i,
          (msg) => {
            const m = msg as { type?: string; message?: string };
            if (m?.type === "ready") settle?.resolve();
            else if (m?.type === "error") settle?.reject(new Error(`GEMM worker ${i}: ${m.message}`));
          },
          (err) => {
            settle?.reject(err);
            if (!pool.closing)
              pool.dead ??= `worker ${i}: ${err instanceof Error ? err.message : String(err)}`;
          },
        );
        workers[i] = worker;
        worker.post({
          type: "init",
          module,
          memory: init.memory,
          slot: ctlPtr + i * SLOT_INTS * 4,
          spinMicros,
          fields: SLOT_FIELDS,
          commands: COMMANDS,
        });
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`GemmEngine: worker ${i} did not start within ${timeoutMs} ms`)),
            timeoutMs,
          );
        });
        try {
          await Promise.race([ready, timeout]);
        } finally {
          clearTimeout(timer);
        }
      }),
    );
  } catch (err) {
    pool.closing = true;
    await Promise.allSettled(workers.filter(Boolean).map((w) => w.terminate()));
    throw err;
  }
  // Idle workers must not keep a Node process alive (close() still terminates them).
  for (const w of workers) w.unref();
  return workers;
}
