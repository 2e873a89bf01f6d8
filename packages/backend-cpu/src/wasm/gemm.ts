// GemmEngine: the WebAssembly GEMM (and softmax / GELU) engine. Its options and the packed operand are in
// gemm-options.ts and packed-matrix.ts, the worker pool in worker-pool.ts, the job hand-off in gemm-job.ts.
import { awaitShare, emptyJob, type Job, matmulJob, postShare, runShare } from "./gemm-job.js";
import {
  checkDims,
  DEFAULT_MAX_THREADS,
  GEMM_PANEL_WIDTH,
  GEMM_TILE_ROWS,
  type GemmEngineOptions,
  type GemmInfo,
  type MatmulOptions,
  type MatmulUnpackedOptions,
  type SoftmaxOptions,
} from "./gemm-options.js";
import { sharedMemorySupported, WasmHeap } from "./heap.js";
import {
  type GemmExports,
  gemmVariant,
  gemmWasmBytes,
  relaxedSimdSupported,
  type SimdKind,
  wasmSimdSupported,
} from "./kernels.js";
import { PackedMatrix, packedBFloats } from "./packed-matrix.js";
import { COMMANDS, SLOT_FIELDS, SLOT_INTS } from "./protocol.js";
import {
  atomicsWaitAllowed,
  defaultThreadCount,
  defaultWorkerUrl,
  type PoolState,
  type PoolWorker,
  startWorkers,
} from "./worker-pool.js";

export {
  DEFAULT_MAX_THREADS,
  GEMM_PANEL_WIDTH,
  GEMM_TILE_ROWS,
  type GemmActivation,
  type GemmEngineOptions,
  type GemmInfo,
  type MatmulOptions,
  type MatmulUnpackedOptions,
  type SoftmaxOptions,
} from "./gemm-options.js";
export { PackedMatrix, packedBFloats } from "./packed-matrix.js";

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
  readonly #pool: PoolState;

  private constructor(init: {
    heap: WasmHeap;
    info: GemmInfo;
    exports: GemmExports;
    module: WebAssembly.Module;
    workers: PoolWorker[];
    ctlPtr: number;
    pool: PoolState;
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

    let workers: PoolWorker[] = [];
    const pool: PoolState = { dead: null, closing: false };
    let ctlPtr = 0;
    if (shared) {
      const nWorkers = threads - 1;
      ctlPtr = heap.alloc(nWorkers * SLOT_INTS * 4);
      heap.i32(ctlPtr, nWorkers * SLOT_INTS).fill(0);
      workers = await startWorkers({
        count: nWorkers,
        url: options.workerUrl ?? defaultWorkerUrl(),
        module,
        memory: heap.memory,
        ctlPtr,
        spinMicros,
        timeoutMs: options.startTimeoutMs ?? 30000,
        pool,
      });
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
    const job = matmulJob(aPtr, M, K, N, cPtr, options, (what, ptr, floats) =>
      this.#checkRange(what, ptr, floats),
    );
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
    const job = matmulJob(aPtr, M, K, N, cPtr, options, (what, ptr, floats) =>
      this.#checkRange(what, ptr, floats),
    );
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
    const job = emptyJob(COMMANDS.SOFTMAX);
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

  /** Packs B on all threads (column shares). */
  #pack(src: number, ld: number, K: number, N: number, transposed: boolean, dst: number): void {
    const job = emptyJob(COMMANDS.PACK);
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
      runShare(this.#w, job, 0, job.M, 0, job.N);
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
        if (byColumns) runShare(this.#w, job, 0, job.M, lo, job.N);
        else runShare(this.#w, job, lo, job.M, 0, job.N);
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
    for (let t = 0; t < threads - 1; t++) {
      const seq = (this.#seq[t]! + 1) | 0;
      this.#seq[t] = seq;
      postShare(ctl, ctlF, (this.#ctlPtr >> 2) + t * SLOT_INTS, job, share(t), seq);
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
      if (!awaitShare(ctl, base, this.#seq[t]!, this.#canWait, this.#spinMs) && failed < 0) failed = t;
    }
    this.#poolIdleSince = performance.now();
    if (mainError !== undefined) throw mainError;
    if (failed >= 0) {
      throw new Error(
        `GemmEngine: worker ${failed} failed (status ${ctl[(this.#ctlPtr >> 2) + failed * SLOT_INTS + SLOT_FIELDS.STATUS]})`,
      );
    }
  }
}
