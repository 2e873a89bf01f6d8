import {
  type Activation,
  type Backend,
  BackendError,
  type FusedKernels,
  int64ToInt32,
  type MemoryInfo,
  type OpAttrs,
  type OpInputs,
  type OpOutput,
  type PrimitiveOpName,
  type PrimitiveOps,
  Tensor,
  type TensorHandle,
} from "@deberta/tensor";
import { asCpu, CpuTensor } from "./cpu-tensor.js";
import { type Gemm, jsGemm } from "./gemm.js";
import type { CpuContext } from "./kernels/context.js";
import {
  activation,
  disentangledAttention,
  disentangledAttentionNative,
  disentangledAttentionWasm,
  layerNorm,
  linear,
  maskedSoftmax,
  type PrimitiveKernels,
  primitiveKernels,
} from "./kernels/index.js";
import { NativeGemm } from "./native/native-gemm.js";
import type { GemmEngine } from "./wasm/gemm.js";

/** A GEMM engine that can also keep Linear weights packed (the WebAssembly one). */
export interface PackingGemm extends Gemm {
  /** Packs W [out, in] once; returns something that computes x·Wᵀ for `rows` rows of x, and frees itself. */
  packLinearWeight(weight: Float32Array, outFeatures: number, inFeatures: number): PackedLinear;
  close?(): void;
}

/** What may follow a Linear's product inside the GEMM: the bias row and an activation. */
export interface LinearEpilogue {
  bias?: Float32Array;
  activation?: Activation;
}

export interface PackedLinear {
  readonly bytes: number;
  /**
   * out = x·Wᵀ for `rows` rows of x; with an epilogue, also + bias and the activation, returning true when it
   * applied them (false: the caller still has to).
   */
  apply(x: Float32Array, rows: number, out: Float32Array, epilogue?: LinearEpilogue): boolean;
  dispose(): void;
}

export interface CpuBackendOptions {
  /** The matrix multiply to use; the plain-JavaScript one when absent. */
  gemm?: Gemm | PackingGemm;
  name?: string;
  /** Why the native engine is not the one in use (recorded by createCpuBackend). */
  fallbackReason?: string;
}

/** Which matrix-multiply engine a CPU backend runs and, when it is not the native one, why. */
export interface CpuEngineInfo {
  /** The GEMM's name, e.g. "native-avx512-2-threads", "wasm-relaxed-2-threads", "js". */
  readonly name: string;
  readonly fallbackReason?: string;
}

/** Recycled output arrays kept for reuse, at most (a forward's working set is far below this). */
const MAX_POOLED_BYTES = 256 * 2 ** 20;

const isPacking = (g: Gemm): g is PackingGemm => typeof (g as PackingGemm).packLinearWeight === "function";

/**
 * The CPU backend: tensors are typed arrays, primitives and fused ops are JavaScript kernels (one per file
 * in `kernels/`), and every matrix product goes through the `Gemm` given (WebAssembly SIMD, or JS).
 */
export class CpuBackend implements Backend {
  readonly name: string;
  readonly fused: FusedKernels;
  readonly gemm: Gemm;
  readonly engine: CpuEngineInfo;
  private readonly ctx: CpuContext;
  private live = new Set<CpuTensor>();
  private bytes = 0;
  private peak = 0;
  private closed = false;
  /** Arrays of disposed outputs by length, reused by later outputs: less garbage, lower peak memory. */
  private readonly pool = new Map<number, Float32Array[]>();
  private pooledBytes = 0;

  constructor(options: CpuBackendOptions = {}) {
    this.name = options.name ?? "cpu";
    this.gemm = options.gemm ?? jsGemm;
    this.engine = {
      name: this.gemm.name,
      ...(options.fallbackReason === undefined ? {} : { fallbackReason: options.fallbackReason }),
    };
    const gemm = this.gemm;
    const engine = (gemm as { engine?: GemmEngine }).engine;
    const native = gemm instanceof NativeGemm ? gemm : undefined;
    this.ctx = {
      gemm,
      ...(engine === undefined ? {} : { engine }),
      ...(native === undefined ? {} : { native }),
      track: (t) => this.track(t),
      takeFloats: (n) => {
        const free = this.pool.get(n)?.pop();
        if (free === undefined) return new Float32Array(n);
        this.pooledBytes -= free.byteLength;
        return free;
      },
      packedLinear: (x, rows, weight, out, epilogue) => {
        const packed = weight.packed as PackedLinear | undefined;
        if (packed === undefined) return "none";
        return packed.apply(x, rows, out, epilogue) ? "fused" : "product";
      },
    };
    const ctx = this.ctx;
    this.fused = {
      linear: (inputs, attrs) => linear(ctx, inputs, attrs),
      layerNorm: (inputs, attrs) => layerNorm(ctx, inputs, attrs),
      activation: (inputs, attrs) => activation(ctx, inputs, attrs),
      maskedSoftmax: (inputs) => maskedSoftmax(ctx, inputs),
      disentangledAttention: (inputs, attrs) =>
        ctx.native !== undefined
          ? disentangledAttentionNative(ctx, ctx.native, inputs, attrs)
          : ctx.engine === undefined
            ? disentangledAttention(ctx, inputs, attrs)
            : disentangledAttentionWasm(ctx, ctx.engine, inputs, attrs),
    };
  }

  private track(t: CpuTensor): CpuTensor {
    this.ensureOpen();
    this.live.add(t);
    this.bytes += t.bytes;
    if (this.bytes > this.peak) this.peak = this.bytes;
    return t;
  }

  private ensureOpen(): void {
    if (this.closed) throw new BackendError("BACKEND_DISPOSED", `${this.name}: the backend was closed`);
  }

  /**
   * Wraps a Tensor. float32 data is used in place, not copied (a weight is not held twice): do not mutate
   * it afterwards. Integers become Int32Array (ids beyond ±2³¹ are rejected); float16 is widened.
   */
  upload(tensor: Tensor): TensorHandle {
    this.ensureOpen();
    const shape = [...tensor.dims];
    switch (tensor.type) {
      case "float32":
        return this.track(new CpuTensor("float32", shape, tensor.data as Float32Array));
      case "int32":
        return this.track(new CpuTensor("int32", shape, tensor.data as Int32Array));
      case "int64":
        return this.track(
          new CpuTensor("int64", shape, int64ToInt32(tensor.data as BigInt64Array, this.name)),
        );
      case "bool":
      case "uint8":
      case "int8": {
        const src = tensor.data as Uint8Array;
        return this.track(new CpuTensor("int32", shape, Int32Array.from(src)));
      }
      default:
        throw new BackendError("BACKEND_DTYPE", `${this.name}: cannot upload a ${tensor.type} tensor`);
    }
  }

  async download(handle: TensorHandle): Promise<Tensor> {
    const t = asCpu(handle, "download");
    if (t.dtype === "int64")
      return new Tensor(
        "int64",
        BigInt64Array.from(t.data as Int32Array, (v) => BigInt(v)),
        [...t.shape],
      );
    if (t.dtype === "int32") return new Tensor("int32", (t.data as Int32Array).slice(), [...t.shape]);
    return new Tensor("float32", t.f32.slice(), [...t.shape]);
  }

  /** The data of a CPU tensor without copying (read-only use). */
  read(handle: TensorHandle): Float32Array | Int32Array {
    return asCpu(handle, "read").data;
  }

  dispose(handle: TensorHandle): void {
    const t = asCpu(handle, "dispose");
    if (!this.live.delete(t)) return;
    this.bytes -= t.bytes + ((t.packed as PackedLinear | undefined)?.bytes ?? 0);
    if (t.recyclable && t.alive && this.pooledBytes + t.bytes <= MAX_POOLED_BYTES) {
      const data = t.f32;
      const list = this.pool.get(data.length);
      if (list === undefined) this.pool.set(data.length, [data]);
      else list.push(data);
      this.pooledBytes += data.byteLength;
    }
    t.release();
  }

  memory(): MemoryInfo {
    return { bytesInUse: this.bytes, peakBytes: this.peak, tensors: this.live.size };
  }

  run<K extends PrimitiveOpName>(
    op: K,
    inputs: OpInputs<PrimitiveOps, K>,
    attrs: OpAttrs<PrimitiveOps, K>,
  ): OpOutput<PrimitiveOps, K> {
    this.ensureOpen();
    const kernel: PrimitiveKernels[K] = primitiveKernels[op];
    return kernel(this.ctx, inputs, attrs);
  }

  prepareLinearWeight(weight: TensorHandle, options: { exclusive?: boolean } = {}): void {
    const w = asCpu(weight, "prepareLinearWeight");
    if (w.packed !== undefined || !isPacking(this.gemm) || w.shape.length !== 2) return;
    const [outFeatures, inFeatures] = w.shape as [number, number];
    const packed = this.gemm.packLinearWeight(w.f32, outFeatures, inFeatures);
    w.packed = packed;
    this.bytes += packed.bytes;
    if (options.exclusive) {
      // The packed panels are now the weight: the host array (often a view of a file read) can go.
      this.bytes -= w.bytes;
      w.dropHostCopy();
    }
    if (this.bytes > this.peak) this.peak = this.bytes;
  }

  async sync(): Promise<void> {}

  close(): void {
    if (this.closed) return;
    for (const t of this.live) t.release();
    this.live.clear();
    this.pool.clear();
    this.pooledBytes = 0;
    this.bytes = 0;
    this.closed = true;
    if (isPacking(this.gemm)) this.gemm.close?.();
  }
}
