import { type Activation, BackendError } from "@deberta/tensor";
import type { PackedLinear, PackingGemm } from "./cpu-backend.js";
import { jsGemm } from "./gemm.js";
import { type GemmActivation, GemmEngine } from "./wasm/gemm.js";
import { wasmSimdSupported } from "./wasm/kernels.js";

/** transformers' activation names → the GEMM epilogue's (null: the identity; absent: not in the engine). */
const ENGINE_ACTIVATIONS: Partial<Record<Activation, GemmActivation | null>> = {
  gelu: "gelu",
  gelu_new: "gelu-tanh",
  gelu_pytorch_tanh: "gelu-tanh",
  relu: "relu",
  linear: null,
};

/** Products smaller than this many multiply-adds run in JavaScript: copying into WebAssembly costs more. */
const SMALL_PRODUCT = 8192;

/**
 * The WebAssembly SIMD engine behind the backend's `Gemm` interface. Operands are copied into the engine's
 * heap and results copied out (O(M·K + K·N + M·N) against O(M·N·K) work); Linear weights are packed once
 * into the heap and stay there.
 */
export class WasmGemm implements PackingGemm {
  readonly name: string;
  private scratch: { ptr: number; floats: number }[] = [];

  constructor(readonly engine: GemmEngine) {
    this.name = `wasm-${engine.info.simd}-${engine.info.threads}-thread${engine.info.threads === 1 ? "" : "s"}`;
  }

  /** Three reusable heap buffers (A, B, C), grown on demand. */
  private buffers(sizes: [number, number, number]): [number, number, number] {
    const heap = this.engine.heap;
    return sizes.map((floats, i) => {
      const held = this.scratch[i];
      if (held !== undefined && held.floats >= floats) return held.ptr;
      if (held !== undefined) heap.free(held.ptr);
      const grown = Math.max(floats, (held?.floats ?? 0) * 2, 16);
      const ptr = heap.alloc(grown * 4);
      this.scratch[i] = { ptr, floats: grown };
      return ptr;
    }) as [number, number, number];
  }

  matmul(
    a: Float32Array,
    aOffset: number,
    b: Float32Array,
    bOffset: number,
    c: Float32Array,
    cOffset: number,
    m: number,
    n: number,
    k: number,
    transposeB: boolean,
  ): void {
    if (m * n * k < SMALL_PRODUCT) {
      jsGemm.matmul(a, aOffset, b, bOffset, c, cOffset, m, n, k, transposeB);
      return;
    }
    const [aPtr, bPtr, cPtr] = this.buffers([m * k, k * n, m * n]);
    const heap = this.engine.heap;
    heap.f32(aPtr, m * k).set(a.subarray(aOffset, aOffset + m * k));
    heap.f32(bPtr, k * n).set(b.subarray(bOffset, bOffset + k * n));
    this.engine.matmulUnpacked(aPtr, m, k, bPtr, n, transposeB, cPtr);
    c.set(heap.f32(cPtr, m * n), cOffset);
  }

  packLinearWeight(weight: Float32Array, outFeatures: number, inFeatures: number): PackedLinear {
    const packed = this.engine.packB(weight, inFeatures, outFeatures, true);
    return {
      bytes: packed.bytes,
      apply: (x, rows, out, epilogue = {}) => {
        const activation =
          epilogue.activation === undefined ? undefined : ENGINE_ACTIVATIONS[epilogue.activation];
        // An activation the engine lacks: the caller applies bias and activation itself.
        const fuse = epilogue.activation === undefined || activation !== undefined;
        const [aPtr, bPtr, cPtr] = this.buffers([
          rows * inFeatures,
          fuse && epilogue.bias ? outFeatures : 0,
          rows * outFeatures,
        ]);
        const heap = this.engine.heap;
        heap.f32(aPtr, rows * inFeatures).set(x.subarray(0, rows * inFeatures));
        if (fuse && epilogue.bias !== undefined) heap.f32(bPtr, outFeatures).set(epilogue.bias);
        this.engine.matmul(aPtr, rows, inFeatures, packed, cPtr, {
          ...(fuse && epilogue.bias !== undefined ? { biasPtr: bPtr } : {}),
          ...(fuse && activation !== null && activation !== undefined ? { activation } : {}),
        });
        out.set(heap.f32(cPtr, rows * outFeatures));
        return fuse;
      },
      dispose: () => packed.dispose(),
    };
  }

  close(): void {
    void this.engine.close();
  }
}

/**
 * The WebAssembly SIMD GEMM, or undefined when this runtime has no WebAssembly SIMD (`required` makes that an
 * error naming the reason).
 */
export async function createWasmGemm(
  threads: number | undefined,
  required: boolean,
): Promise<PackingGemm | undefined> {
  if (!wasmSimdSupported()) {
    if (required)
      throw new BackendError(
        "BACKEND_UNAVAILABLE",
        "cpu: this runtime has no WebAssembly SIMD (fixed-width SIMD128)",
      );
    return undefined;
  }
  return new WasmGemm(await GemmEngine.create(threads === undefined ? {} : { threads }));
}
