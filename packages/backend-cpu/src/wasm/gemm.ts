import { sharedMemorySupported, WasmHeap } from "./heap.js";
import {
  type GemmExports,
  gemmVariant,
  gemmWasmBytes,
  relaxedSimdSupported,
  type SimdKind,
  wasmSimdSupported,
} from "./kernels.js";
import { COMMANDS, SLOT_FIELDS, SLOT_INTS, STATUS } from "./protocol.js";

/** Rows of the kernels' register tile (row shares are multiples of it). */
export const GEMM_TILE_ROWS = 6;
/** Columns of a packed-B panel (column shares are multiples of it). */
export const GEMM_PANEL_WIDTH = 8;
/** Default cap on the thread count when `threads` is not given. */
export const DEFAULT_MAX_THREADS = 8;

export interface GemmEngineOptions {
  /**
   * Threads taking part in each product, the calling thread included (so `threads - 1` workers).
   * Default: `navigator.hardwareConcurrency` or `os.availableParallelism()`, capped at 8. Forced to 1 where
   * a shared WebAssembly.Memory cannot be created (no SharedArrayBuffer, e.g. a page that is not
   * cross-origin isolated).
   */
  threads?: number;
  /**
   * "auto" (default): the relaxed-SIMD FMA kernels where `WebAssembly.validate` accepts them, else SIMD128.
   * true: require relaxed SIMD (create() rejects where it does not validate). false: always SIMD128.
   */
  relaxedSimd?: "auto" | boolean;
  /** Initial heap size in bytes (default 16 MiB; the heap grows on demand up to 4 GiB). */
  initialHeapBytes?: number;
  /**
   * Microseconds a waiting thread polls with Atomics.load before it sleeps in Atomics.wait (workers waiting
   * for the next product, the caller waiting for the workers). Polling burns the core while it lasts but
   * avoids the wake-up latency of Atomics.wait (tens of microseconds; ~70 µs measured in a VM). Default 500.
   */
  spinMicros?: number;
  /**
   * Products with fewer multiply-adds (M * N * K) run on the calling thread alone. Default 65536.
   */
  minParallelWork?: number;
  /**
   * Where the worker script is. Default: `gemm-worker.js` next to this module
   * (`new URL("./gemm-worker.js", import.meta.url)`; `__dirname` in the CommonJS build).
   */
  workerUrl?: string | URL;
  /** Milliseconds to wait for the workers to start (default 30000). */
  startTimeoutMs?: number;
}

/** What a GemmEngine runs on. */
export interface GemmInfo {
  /** Kernel instruction set: "relaxed-simd" (f32x4.relaxed_madd, FMA) or "simd128" (mul + add). */
  simd: SimdKind;
  /** Threads per product, the calling thread included. */
  threads: number;
  /** Whether the heap is a shared WebAssembly.Memory (true whenever threads > 1). */
  shared: boolean;
  /**
   * How the calling thread waits for the workers: "atomics-wait" (Node, workers: spin, then Atomics.wait),
   * "spin" (browser main thread, where Atomics.wait throws: Atomics.load busy-wait), "none" (1 thread).
   */
  wait: "atomics-wait" | "spin" | "none";
  /** Register tile rows x panel width of the kernels. */
  tile: { rows: number; cols: number };
}

/**
 * Activation fused into the GEMM's epilogue (applied to every finished tile of C after bias / accumulation,
 * on the thread that computed it) or applied in place:
 * - "gelu": exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (error <= ~1.3e-7·max(1, |x|); x for x >= 12, 0 for
 *   x <= -12),
 * - "gelu-tanh": 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))),
 * - "relu": max(x, 0).
 */
export type GemmActivation = "gelu" | "gelu-tanh" | "relu";

/** Kernel codes of the activations (assembly/vmath.ts ACT_*). */
const ACTIVATION_CODES: Readonly<Record<GemmActivation, number>> = { gelu: 1, relu: 2, "gelu-tanh": 3 };

function activationCode(activation: GemmActivation | undefined): number {
  if (activation === undefined) return 0;
  const code = Object.hasOwn(ACTIVATION_CODES, activation) ? ACTIVATION_CODES[activation] : undefined;
  if (code === undefined)
    throw new RangeError(`GemmEngine: unknown activation ${JSON.stringify(activation)}`);
  return code;
}

export interface MatmulOptions {
  /** Pointer to N floats added to every row of C (0 or absent: no bias). */
  biasPtr?: number;
  /** C += A·B (+ bias) instead of C = A·B (+ bias). */
  accumulate?: boolean;
  /** Leading dimension of A in floats (default K). */
  lda?: number;
  /** Leading dimension of C in floats (default N). */
  ldc?: number;
  /**
   * C = act(A·B + bias) (with `accumulate`: act(C + A·B + bias)), fused into the kernel's epilogue. Default:
   * none.
   */
  activation?: GemmActivation | undefined;
}

export interface MatmulUnpackedOptions extends MatmulOptions {
  /** Leading dimension of B in floats (default N, or K when transposedB). */
  ldb?: number;
}

export interface SoftmaxOptions {
  /** Leading dimension of the rows in floats (default `cols`). */
  ld?: number;
  /**
   * Split the rows over the worker pool: true, false (the calling thread alone) or "auto" (default): the pool
   * when its workers are still polling after the previous product (they finished it less than
   * `spinMicros / 2` ago), so that no sleeping worker has to be woken (~2x faster for 24 heads x 128 x 128
   * right after a GEMM; waking sleeping workers took 0.05-1.1 ms in a VM, up to 3x the whole call). Calls
   * with fewer than `minParallelWork / 8` elements always run on the calling thread.
   */
  threads?: boolean | "auto";
}

/** A B operand packed into the kernels' panel layout, owning its heap block. */
export class PackedMatrix {
  /** Byte offset of the packed panels in the engine's heap. */
  readonly ptr: number;
  /** Rows of B (the reduction dimension). */
  readonly K: number;
  /** Columns of B (columns of the product). */
  readonly N: number;
  /** Bytes of the packed panels (ceil(N / 8) * 8 * K floats). */
  readonly bytes: number;
  readonly #heap: WasmHeap;
  #disposed = false;

  /** @internal Use GemmEngine.packB. */
  constructor(heap: WasmHeap, ptr: number, K: number, N: number, bytes: number) {
    this.#heap = heap;
    this.ptr = ptr;
    this.K = K;
    this.N = N;
    this.bytes = bytes;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** @internal */
  belongsTo(heap: WasmHeap): boolean {
    return this.#heap === heap;
  }

  /** Frees the heap block (idempotent). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#heap.free(this.ptr);
  }
}

/** Number of floats of a packed K x N operand. */
export function packedBFloats(K: number, N: number): number {
  return Math.ceil(N / GEMM_PANEL_WIDTH) * GEMM_PANEL_WIDTH * K;
}

interface PoolWorker {
  post(msg: unknown): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<void>;
}

interface Job {
  cmd: number;
  a: number;
  lda: number;
  pb: number;
  c: number;
  ldc: number;
  M: number;
  N: number;
  K: number;
  bias: number;
  beta: number;
  src: number;
  ldb: number;
  trans: number;
  act: number;
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

async function defaultThreadCount(): Promise<number> {
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

function defaultWorkerUrl(): string | URL {
  // import.meta.url is undefined in the CommonJS build (dist/index.cjs), where __dirname exists.
  const here = (import.meta as { url?: string }).url;
  if (typeof here === "string" && here.length > 0) return new URL("./gemm-worker.js", here);
  if (typeof __dirname === "string") return `${__dirname}/gemm-worker.js`;
  throw new Error("GemmEngine: cannot locate gemm-worker.js; pass the workerUrl option");
}

/** Whether this thread may block in Atomics.wait (false on a browser's main thread). */
function atomicsWaitAllowed(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

async function spawnWorker(
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
 * Float32 matrix multiplication on WebAssembly SIMD kernels (assembly/gemm.ts), multi-threaded over a
 * persistent worker pool that shares the heap's WebAssembly.Memory.
 *
 * All matrices live in `heap` (pointers are byte offsets). Each product is split into one block of columns
 * (multiples of 8, the panel width) or rows (multiples of 6) per thread; the calling thread computes one
 * share itself. Work is handed out through a control block in the shared memory (Atomics.store / notify;
 * workers poll, then sleep in Atomics.wait): no message is posted per product.
 */
export class GemmEngine {
  readonly heap: WasmHeap;
  readonly info: GemmInfo;
  readonly #w: GemmExports;
  readonly #module: WebAssembly.Module;
  readonly #workers: PoolWorker[];
  readonly #ctlPtr: number;
  readonly #seq: number[];
  readonly #spinMs: number;
  readonly #minParallelWork: number;
  readonly #canWait: boolean;
  #ctl: Int32Array | null;
  #ctlF: Float32Array | null;
  #scratchPtr = 0;
  #scratchBytes = 0;
  #closed = false;
  /** performance.now() when the workers last finished a job (-Infinity: never). */
  #poolIdleSince = Number.NEGATIVE_INFINITY;
  readonly #pool: { dead: string | null; closing: boolean };

  private constructor(init: {
    heap: WasmHeap;
    info: GemmInfo;
    exports: GemmExports;
    module: WebAssembly.Module;
    workers: PoolWorker[];
    ctlPtr: number;
    pool: { dead: string | null; closing: boolean };
    spinMicros: number;
    minParallelWork: number;
    canWait: boolean;
  }) {
    this.heap = init.heap;
    this.info = init.info;
    this.#w = init.exports;
    this.#module = init.module;
    this.#workers = init.workers;
    this.#ctlPtr = init.ctlPtr;
    this.#pool = init.pool;
    this.#seq = init.workers.map(() => 0);
    this.#spinMs = init.spinMicros / 1000;
    this.#minParallelWork = init.minParallelWork;
    this.#canWait = init.canWait;
    this.#ctl = init.ctlPtr ? new Int32Array(init.heap.memory.buffer) : null;
    this.#ctlF = init.ctlPtr ? new Float32Array(init.heap.memory.buffer) : null;
  }

  /** Compiles the kernels, creates the heap and starts `threads - 1` workers. */
  static async create(options: GemmEngineOptions = {}): Promise<GemmEngine> {
    if (!wasmSimdSupported()) {
      throw new Error("GemmEngine: this WebAssembly engine has no SIMD128 support");
    }
    const relaxedOpt = options.relaxedSimd ?? "auto";
    const relaxedOk = relaxedSimdSupported();
    if (relaxedOpt === true && !relaxedOk) {
      throw new Error(
        "GemmEngine: relaxed SIMD requested but not supported here (Node 20: --experimental-wasm-relaxed-simd)",
      );
    }
    const simd: SimdKind = relaxedOpt === false || !relaxedOk ? "simd128" : "relaxed-simd";
    let threads = options.threads ?? Math.min(await defaultThreadCount(), DEFAULT_MAX_THREADS);
    threads = Math.max(1, Math.min(64, Math.floor(threads)));
    if (threads > 1 && !sharedMemorySupported()) threads = 1;
    const shared = threads > 1;
    const canWait = shared && atomicsWaitAllowed();
    const spinMicros = Math.max(0, options.spinMicros ?? 500);

    const heap = new WasmHeap({ shared, initialBytes: options.initialHeapBytes ?? 16 * 1024 * 1024 });
    const module = await WebAssembly.compile(gemmWasmBytes(gemmVariant(simd, shared)));
    const instance = await WebAssembly.instantiate(module, { env: { memory: heap.memory } });
    const exports = instance.exports as unknown as GemmExports;
    if (exports.tileRows() !== GEMM_TILE_ROWS || exports.panelWidth() !== GEMM_PANEL_WIDTH) {
      throw new Error("GemmEngine: kernel tile shape does not match this runtime (rebuild the package)");
    }

    const workers: PoolWorker[] = [];
    const pool = { dead: null as string | null, closing: false };
    let ctlPtr = 0;
    if (shared) {
      const nWorkers = threads - 1;
      ctlPtr = heap.alloc(nWorkers * SLOT_INTS * 4);
      heap.i32(ctlPtr, nWorkers * SLOT_INTS).fill(0);
      const url = options.workerUrl ?? defaultWorkerUrl();
      const timeoutMs = options.startTimeoutMs ?? 30000;
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
              memory: heap.memory,
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
    }

    const engine = new GemmEngine({
      heap,
      info: {
        simd,
        threads,
        shared,
        wait: !shared ? "none" : canWait ? "atomics-wait" : "spin",
        tile: { rows: GEMM_TILE_ROWS, cols: GEMM_PANEL_WIDTH },
      },
      exports,
      module,
      workers,
      ctlPtr,
      pool,
      spinMicros,
      minParallelWork: Math.max(0, options.minParallelWork ?? 65536),
      canWait,
    });
    return engine;
  }

  /** The compiled kernel module (the variant in use). */
  get module(): WebAssembly.Module {
    return this.#module;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Number of floats `packB` allocates for a K x N operand. */
  packedSize(K: number, N: number): number {
    return packedBFloats(K, N);
  }

  /**
   * Packs B (K x N; or N x K row-major when `transposed`, which is how PyTorch stores Linear weights
   * [out, in]) into a new heap block. `weight` is a Float32Array (copied in) or a heap pointer.
   */
  packB(weight: Float32Array | number, K: number, N: number, transposed = false): PackedMatrix {
    this.#assertOpen();
    checkDims(K, N);
    const bytes = packedBFloats(K, N) * 4;
    const dst = this.heap.alloc(bytes);
    try {
      let src: number;
      let tmp = 0;
      if (typeof weight === "number") {
        src = weight;
        this.#checkRange("weight", src, K * N);
      } else {
        if (weight.length < K * N) {
          throw new RangeError(`GemmEngine.packB: weight has ${weight.length} floats, need ${K * N}`);
        }
        tmp = this.heap.alloc(K * N * 4);
        this.heap.f32(tmp, K * N).set(weight.length === K * N ? weight : weight.subarray(0, K * N));
        src = tmp;
      }
      try {
        this.#pack(src, transposed ? K : N, K, N, transposed, dst);
      } finally {
        if (tmp) this.heap.free(tmp);
      }
    } catch (err) {
      this.heap.free(dst);
      throw err;
    }
    return new PackedMatrix(this.heap, dst, K, N, bytes);
  }

  /**
   * C[M x N] = A[M x K] · B (+ bias) (C += ... with `accumulate`), B packed by `packB`, then the optional
   * `activation` on every element of C (fused into the kernel). All pointers are byte offsets into `heap`; A
   * and C are row-major with leading dimensions `lda` / `ldc` (floats).
   */
  matmul(
    aPtr: number,
    M: number,
    K: number,
    packed: PackedMatrix,
    cPtr: number,
    options: MatmulOptions = {},
  ): void {
    this.#assertOpen();
    if (packed.disposed) throw new Error("GemmEngine.matmul: the packed matrix was disposed");
    if (!packed.belongsTo(this.heap)) throw new Error("GemmEngine.matmul: packed matrix of another engine");
    if (K !== packed.K)
      throw new RangeError(`GemmEngine.matmul: K = ${K} but the packed matrix has K = ${packed.K}`);
    const N = packed.N;
    const job = this.#job(aPtr, M, K, N, cPtr, options);
    if (M === 0 || N === 0) return;
    job.pb = packed.ptr;
    job.cmd = COMMANDS.GEMM;
    this.#run(job);
  }

  /**
   * C[M x N] = A[M x K] · B for an unpacked B in the heap: K x N row-major, or N x K row-major when
   * `transposedB` (e.g. attention scores Q·Kᵀ with B = K [seq, headDim]). B is packed into a scratch block
   * (in parallel: each thread packs the panels it multiplies) and the scratch is reused by the next call.
   */
  matmulUnpacked(
    aPtr: number,
    M: number,
    K: number,
    bPtr: number,
    N: number,
    transposedB: boolean,
    cPtr: number,
    options: MatmulUnpackedOptions = {},
  ): void {
    this.#assertOpen();
    const job = this.#job(aPtr, M, K, N, cPtr, options);
    if (M === 0 || N === 0) return;
    const ldb = options.ldb ?? (transposedB ? K : N);
    if (K > 0) {
      if (transposedB) this.#checkRange("B", bPtr, (N - 1) * ldb + K);
      else this.#checkRange("B", bPtr, (K - 1) * ldb + N);
    }
    const bytes = packedBFloats(K, N) * 4;
    if (bytes > this.#scratchBytes) {
      if (this.#scratchPtr) this.heap.free(this.#scratchPtr);
      this.#scratchPtr = 0;
      this.#scratchBytes = 0;
      this.#scratchPtr = this.heap.alloc(bytes);
      this.#scratchBytes = bytes;
    }
    job.pb = this.#scratchPtr;
    job.src = bPtr;
    job.ldb = ldb;
    job.trans = transposedB ? 1 : 0;
    job.cmd = COMMANDS.PACK | COMMANDS.GEMM;
    this.#run(job);
  }

  /**
   * Softmax in place over `rows` rows of `cols` floats at `ptr` (row r at `ptr + 4·r·ld`): x = exp(x − max) / Σ,
   * with the kernels' SIMD exp (relative error ~1e-7). Entries at float32's lowest value (masked) or −∞ give
   * exactly 0; a row that is entirely the lowest value gives 1 / cols everywhere; a NaN makes its row NaN.
   */
  softmaxRows(ptr: number, rows: number, cols: number, options: SoftmaxOptions = {}): void {
    this.#assertOpen();
    checkDims(rows, cols);
    const ld = options.ld ?? cols;
    if (!Number.isInteger(ld) || ld < cols) {
      throw new RangeError("GemmEngine.softmaxRows: leading dimension smaller than the row length");
    }
    if (rows === 0 || cols === 0) return;
    this.#checkRange("softmax rows", ptr, (rows - 1) * ld + cols);
    const mode = options.threads ?? "auto";
    const warm = mode === "auto" && performance.now() - this.#poolIdleSince < this.#spinMs / 2;
    let threads = mode === true || warm ? this.#workers.length + 1 : 1;
    if (rows * cols < this.#minParallelWork / 8) threads = 1;
    threads = Math.min(threads, rows);
    if (threads === 1) {
      this.#w.softmaxRows(ptr, rows, cols, ld);
      return;
    }
    const job = this.#emptyJob(COMMANDS.SOFTMAX);
    job.a = ptr;
    job.lda = ld;
    job.M = rows;
    job.N = cols;
    const bounds = (t: number) => Math.round((rows * t) / threads);
    this.#dispatch(
      job,
      threads,
      (t) => [bounds(t), bounds(t + 1), 0, cols],
      () => {
        const r0 = bounds(threads - 1);
        this.#w.softmaxRows(ptr + 4 * r0 * ld, rows - r0, cols, ld);
      },
    );
  }

  /**
   * Exact GELU in place over `n` floats at `ptr` (x·Φ(x), the same SIMD code as the `"gelu"` epilogue), on the
   * calling thread.
   */
  gelu(ptr: number, n: number): void {
    this.#assertOpen();
    checkDims(n);
    if (n === 0) return;
    this.#checkRange("gelu input", ptr, n);
    this.#w.geluInPlace(ptr, n);
  }

  /** Frees the scratch block of `matmulUnpacked` (it is re-created on demand). */
  releaseScratch(): void {
    if (this.#scratchPtr) this.heap.free(this.#scratchPtr);
    this.#scratchPtr = 0;
    this.#scratchBytes = 0;
  }

  /**
   * Stops and terminates the workers. The heap stays readable; further products throw.
   * Resolves when every worker has exited.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#pool.closing = true;
    const ctl = this.#ctl;
    if (ctl) {
      for (let i = 0; i < this.#workers.length; i++) {
        const base = (this.#ctlPtr >> 2) + i * SLOT_INTS;
        ctl[base + SLOT_FIELDS.CMD] = COMMANDS.EXIT;
        const seq = (this.#seq[i]! + 1) | 0;
        this.#seq[i] = seq;
        Atomics.store(ctl, base + SLOT_FIELDS.SEQ, seq);
        Atomics.notify(ctl, base + SLOT_FIELDS.SEQ);
      }
    }
    await Promise.allSettled(this.#workers.map((w) => w.terminate()));
  }

  // ---------------------------------------------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closed) throw new Error("GemmEngine: closed");
    if (this.#pool.dead) throw new Error(`GemmEngine: a worker died: ${this.#pool.dead}`);
  }

  #checkRange(what: string, ptr: number, floats: number): void {
    if (!Number.isInteger(ptr) || ptr <= 0 || ptr % 4 !== 0) {
      throw new RangeError(`GemmEngine: ${what} pointer ${ptr} is not a 4-byte aligned heap address`);
    }
    if (ptr + floats * 4 > this.heap.capacity) {
      throw new RangeError(`GemmEngine: ${what} (${floats} floats at ${ptr}) lies outside the heap`);
    }
  }

  #job(aPtr: number, M: number, K: number, N: number, cPtr: number, options: MatmulOptions): Job {
    checkDims(M, K);
    checkDims(N, 1);
    const lda = options.lda ?? K;
    const ldc = options.ldc ?? N;
    if (lda < K || ldc < N) throw new RangeError("GemmEngine: leading dimension smaller than the row length");
    const bias = options.biasPtr ?? 0;
    const act = activationCode(options.activation);
    if (M > 0 && N > 0) {
      if (K > 0) this.#checkRange("A", aPtr, (M - 1) * lda + K);
      this.#checkRange("C", cPtr, (M - 1) * ldc + N);
      if (bias !== 0) this.#checkRange("bias", bias, N);
    }
    return {
      cmd: 0,
      a: aPtr,
      lda,
      pb: 0,
      c: cPtr,
      ldc,
      M,
      N,
      K,
      bias,
      beta: options.accumulate ? 1 : 0,
      src: 0,
      ldb: 0,
      trans: 0,
      act,
    };
  }

  #emptyJob(cmd: number): Job {
    return {
      cmd,
      a: 0,
      lda: 0,
      pb: 0,
      c: 0,
      ldc: 0,
      M: 0,
      N: 0,
      K: 0,
      bias: 0,
      beta: 0,
      src: 0,
      ldb: 0,
      trans: 0,
      act: 0,
    };
  }

  /** Packs B on all threads (column shares). */
  #pack(src: number, ld: number, K: number, N: number, transposed: boolean, dst: number): void {
    const job = this.#emptyJob(COMMANDS.PACK);
    job.pb = dst;
    job.N = N;
    job.K = K;
    job.src = src;
    job.ldb = ld;
    job.trans = transposed ? 1 : 0;
    this.#run(job);
  }

  /** Splits a job into shares, hands all but the last to the workers and runs the last here. */
  #run(job: Job): void {
    const w = this.#w;
    const packOnly = job.cmd === COMMANDS.PACK;
    const work = packOnly ? job.K * job.N : job.M * job.N * job.K;
    const panels = Math.ceil(job.N / GEMM_PANEL_WIDTH);
    let threads = this.#workers.length + 1;
    if (work < (packOnly ? 1 << 18 : this.#minParallelWork)) threads = 1;
    // Column shares (whole panels) when there are enough panels; else row shares (whole tiles), which need
    // B packed up front by this thread.
    const byColumns = packOnly || panels >= threads;
    const units = byColumns ? panels : Math.ceil(job.M / GEMM_TILE_ROWS);
    threads = Math.max(1, Math.min(threads, units));
    if (threads === 1) {
      this.#runShare(job, 0, job.M, 0, job.N);
      return;
    }
    if (!byColumns && job.cmd & COMMANDS.PACK) {
      w.packBStrided(job.src, job.ldb, job.K, job.N, job.trans, job.pb);
      job.cmd &= ~COMMANDS.PACK;
    }
    const unit = byColumns ? GEMM_PANEL_WIDTH : GEMM_TILE_ROWS;
    const extent = byColumns ? job.N : job.M;
    const bounds = (t: number) => Math.min(extent, Math.round((units * t) / threads) * unit);
    this.#dispatch(
      job,
      threads,
      (t) => (byColumns ? [0, job.M, bounds(t), bounds(t + 1)] : [bounds(t), bounds(t + 1), 0, job.N]),
      () => {
        const lo = bounds(threads - 1);
        if (byColumns) this.#runShare(job, 0, job.M, lo, job.N);
        else this.#runShare(job, lo, job.M, 0, job.N);
      },
    );
  }

  /**
   * Hands shares 0 .. threads - 2 of `job` to the workers (`share(t)` = [R0, R1, C0, C1] of worker t), runs
   * `own` (the last share) on this thread, then waits for every worker.
   */
  #dispatch(
    job: Job,
    threads: number,
    share: (t: number) => [number, number, number, number],
    own: () => void,
  ): void {
    const ctl = this.#ctl!;
    const ctlF = this.#ctlF!;
    const F = SLOT_FIELDS;
    for (let t = 0; t < threads - 1; t++) {
      const [r0, r1, c0, c1] = share(t);
      const base = (this.#ctlPtr >> 2) + t * SLOT_INTS;
      ctl[base + F.CMD] = job.cmd;
      ctl[base + F.A] = job.a;
      ctl[base + F.LDA] = job.lda;
      ctl[base + F.PB] = job.pb;
      ctl[base + F.C] = job.c;
      ctl[base + F.LDC] = job.ldc;
      ctl[base + F.M] = job.M;
      ctl[base + F.N] = job.N;
      ctl[base + F.K] = job.K;
      ctl[base + F.BIAS] = job.bias;
      ctlF[base + F.BETA] = job.beta;
      ctl[base + F.R0] = r0;
      ctl[base + F.R1] = r1;
      ctl[base + F.C0] = c0;
      ctl[base + F.C1] = c1;
      ctl[base + F.SRC] = job.src;
      ctl[base + F.LDB] = job.ldb;
      ctl[base + F.TRANS] = job.trans;
      ctl[base + F.ACT] = job.act;
      const seq = (this.#seq[t]! + 1) | 0;
      this.#seq[t] = seq;
      Atomics.store(ctl, base + F.SEQ, seq);
      Atomics.notify(ctl, base + F.SEQ, 1);
    }
    let mainError: unknown;
    try {
      own();
    } catch (err) {
      mainError = err;
    }
    let failed = -1;
    for (let t = 0; t < threads - 1; t++) {
      const base = (this.#ctlPtr >> 2) + t * SLOT_INTS;
      const doneIdx = base + F.DONE;
      const seq = this.#seq[t]!;
      let polls = 0;
      let since = -1;
      let v = Atomics.load(ctl, doneIdx);
      while (v !== seq) {
        if (this.#canWait && (++polls & 1023) === 0) {
          const now = performance.now();
          if (since < 0) since = now;
          else if (now - since > this.#spinMs) {
            Atomics.wait(ctl, doneIdx, v);
            since = -1;
          }
        }
        v = Atomics.load(ctl, doneIdx);
      }
      if (ctl[base + F.STATUS] !== STATUS.OK && failed < 0) failed = t;
    }
    this.#poolIdleSince = performance.now();
    if (mainError !== undefined) throw mainError;
    if (failed >= 0) {
      throw new Error(
        `GemmEngine: worker ${failed} failed (status ${ctl[(this.#ctlPtr >> 2) + failed * SLOT_INTS + F.STATUS]})`,
      );
    }
  }

  #runShare(job: Job, r0: number, r1: number, c0: number, c1: number): void {
    const w = this.#w;
    if (job.cmd & COMMANDS.PACK) {
      const src = job.src + 4 * (job.trans ? c0 * job.ldb : c0);
      w.packBStrided(src, job.ldb, job.K, c1 - c0, job.trans, job.pb + 4 * c0 * job.K);
    }
    if (job.cmd & COMMANDS.GEMM) {
      w.gemm(
        job.a,
        job.lda,
        job.pb,
        job.c,
        job.ldc,
        job.M,
        job.N,
        job.K,
        job.bias,
        job.beta,
        r0,
        r1,
        c0,
        c1,
        job.act,
      );
    }
  }
}

function checkDims(...dims: number[]): void {
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`GemmEngine: invalid dimension ${d}`);
  }
}
