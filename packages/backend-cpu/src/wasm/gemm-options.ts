// What a GemmEngine is configured with and reports, the operation options, and the shape constants of the
// kernels' register tile (assembly/gemm.ts).
import type { SimdKind } from "./kernels.js";

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

export function activationCode(activation: GemmActivation | undefined): number {
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

/** Throws a RangeError unless every dimension is a non-negative integer. */
export function checkDims(...dims: number[]): void {
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`GemmEngine: invalid dimension ${d}`);
  }
}
