// The packed B operand of GemmEngine.matmul (made by GemmEngine.packB) and the size of its panels.
import { GEMM_PANEL_WIDTH } from "./gemm-options.js";
import type { WasmHeap } from "./heap.js";

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
