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
  disentangledAttentionWasm,
  layerNorm,
  linear,
  maskedSoftmax,
  type PrimitiveKernels,
  primitiveKernels,
} from "./kernels/index.js";
import type { NativeExecutor, NativeRunStats } from "./native/executor.js";
import { NativeGemm } from "./native/native-gemm.js";
import {
  type NativeOpContext,
  type NativePrimitiveOps,
  nativeFusedOps,
  nativePrimitiveOps,
} from "./native/ops/index.js";
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

type NativeRecorder<K extends PrimitiveOpName> = (
  ctx: NativeOpContext,
  inputs: OpInputs<PrimitiveOps, K>,
  attrs: OpAttrs<PrimitiveOps, K>,
) => OpOutput<PrimitiveOps, K> | undefined;

const isPacking = (g: Gemm): g is PackingGemm => typeof (g as PackingGemm).packLinearWeight === "function";

/**
 * The CPU backend: tensors are typed arrays, primitives and fused ops are JavaScript kernels (one per file
 * in `kernels/`), and every matrix product goes through the `Gemm` given (WebAssembly SIMD, or JS).
 *
 * With the native engine, the ops a forward uses (src/native/ops/) are recorded instead and run by the addon
 * as one program when a result is downloaded, on a worker thread: the event loop keeps turning during a
 * forward. Any other op, and `read`, first runs what is recorded (synchronously) when it needs a result of it.
 */
export class CpuBackend implements Backend {
  readonly name: string;
  readonly fused: FusedKernels;
  readonly gemm: Gemm;
  readonly engine: CpuEngineInfo;
  private readonly ctx: CpuContext;
  private readonly executor: NativeExecutor | undefined;
  private readonly nativeCtx: NativeOpContext | undefined;
  private live = new Set<CpuTensor>();
  private bytes = 0;
  private peak = 0;
  private closed = false;
  /**
   * Arrays of disposed outputs by length (least recently used lengths first), reused by later outputs: less
   * garbage, lower peak memory.
   */
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
    const executor = native?.executor;
    this.executor = executor;
    const kernelCtx: CpuContext = {
      gemm,
      ...(engine === undefined ? {} : { engine }),
      track: (t) => this.track(t),
      takeFloats: (n) => this.takePooled(n),
      packedLinear: (x, rows, weight, out, epilogue) => {
        const packed = weight.packed as PackedLinear | undefined;
        if (packed === undefined) return "none";
        return packed.apply(x, rows, out, epilogue) ? "fused" : "product";
      },
    };
    // A JavaScript kernel writes its output now: while a native program is recorded or running, a pooled
    // array may still be read or written by it, so such a kernel gets a fresh one. (Recorded ops may reuse
    // pooled arrays: programs run in the order their ops were recorded.)
    this.ctx = {
      ...kernelCtx,
      takeFloats: (n) => (executor?.busy ? new Float32Array(n) : this.takePooled(n)),
    };
    this.nativeCtx =
      native === undefined || executor === undefined ? undefined : { cpu: kernelCtx, executor, gemm: native };
    const ctx = this.ctx;
    const js: FusedKernels = {
      linear: (inputs, attrs) => linear(ctx, inputs, attrs),
      layerNorm: (inputs, attrs) => layerNorm(ctx, inputs, attrs),
      activation: (inputs, attrs) => activation(ctx, inputs, attrs),
      maskedSoftmax: (inputs) => maskedSoftmax(ctx, inputs),
      disentangledAttention: (inputs, attrs) =>
        ctx.engine === undefined
          ? disentangledAttention(ctx, inputs, attrs)
          : disentangledAttentionWasm(ctx, ctx.engine, inputs, attrs),
    };
    const nctx = this.nativeCtx;
    if (nctx === undefined) {
      this.fused = js;
      return;
    }
    // Native first; what an op declines runs in JavaScript once its inputs are computed.
    const n = nativeFusedOps;
    const inJs = <I extends object, R>(inputs: I, kernel: () => R): R => {
      this.settleInputs(inputs);
      return kernel();
    };
    this.fused = {
      linear: (i, a) => n.linear?.(nctx, i, a) ?? inJs(i, () => js.linear!(i, a)),
      layerNorm: (i, a) => n.layerNorm?.(nctx, i, a) ?? inJs(i, () => js.layerNorm!(i, a)),
      activation: (i, a) => n.activation?.(nctx, i, a) ?? inJs(i, () => js.activation!(i, a)),
      maskedSoftmax: (i, a) => n.maskedSoftmax?.(nctx, i, a) ?? inJs(i, () => js.maskedSoftmax!(i, a)),
      disentangledAttention: (i, a) =>
        n.disentangledAttention?.(nctx, i, a) ?? inJs(i, () => js.disentangledAttention!(i, a)),
    };
  }

  private takePooled(n: number): Float32Array {
    const list = this.pool.get(n);
    const free = list?.pop();
    if (free === undefined) return new Float32Array(n);
    this.pooledBytes -= free.byteLength;
    // Most recently used lengths last: the ones evicted first are those no recent pass asked for.
    this.pool.delete(n);
    if (list!.length > 0) this.pool.set(n, list!);
    return free;
  }

  /** Evicts arrays of the least recently used lengths until `bytes` more fit under the pool's cap. */
  private makePoolRoom(bytes: number): void {
    for (const [length, list] of this.pool) {
      if (this.pooledBytes + bytes <= MAX_POOLED_BYTES) return;
      while (list.length > 0 && this.pooledBytes + bytes > MAX_POOLED_BYTES) {
        this.pooledBytes -= list.pop()!.byteLength;
      }
      if (list.length === 0) this.pool.delete(length);
    }
  }

  /** Runs what is recorded when a JavaScript kernel is about to read one of its results. */
  private settleInputs(inputs: object): void {
    const executor = this.executor;
    if (executor === undefined) return;
    for (const value of Object.values(inputs)) {
      for (const t of Array.isArray(value) ? value : [value]) {
        const data = t instanceof CpuTensor ? t.peek() : undefined;
        if (data === undefined) continue;
        executor.checkFailed(data);
        if (executor.isPending(data)) executor.settle();
      }
    }
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
    if (this.executor !== undefined) await this.executor.ready(asCpu(handle, "download").data);
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

  /** The native engine's program counts (undefined on the WebAssembly and JavaScript engines). */
  nativeStats(): NativeRunStats | undefined {
    return this.executor === undefined ? undefined : { ...this.executor.stats };
  }

  /** The data of a CPU tensor without copying (read-only use). */
  read(handle: TensorHandle): Float32Array | Int32Array {
    const t = asCpu(handle, "read");
    this.settleInputs({ t });
    return t.data;
  }

  dispose(handle: TensorHandle): void {
    const t = asCpu(handle, "dispose");
    if (!this.live.delete(t)) return;
    this.bytes -= t.bytes + ((t.packed as PackedLinear | undefined)?.bytes ?? 0);
    // Shapes change from call to call (a server's batches): arrays of lengths no recent pass used make room
    // for this one, or a pool full of stale lengths would leave every later pass allocating afresh.
    if (t.recyclable && t.alive && t.bytes <= MAX_POOLED_BYTES) {
      this.makePoolRoom(t.bytes);
      const data = t.f32;
      const list = this.pool.get(data.length) ?? [];
      this.pool.delete(data.length);
      list.push(data);
      this.pool.set(data.length, list);
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
    if (this.nativeCtx !== undefined) {
      const nativeOp = nativePrimitiveOps[op] as NativePrimitiveOps[K] | undefined;
      const recorded = (nativeOp as NativeRecorder<K> | undefined)?.(this.nativeCtx, inputs, attrs);
      if (recorded !== undefined) return recorded;
      this.settleInputs(inputs as object);
    }
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

  /** Waits until every recorded op has run (native engine); at once otherwise. */
  async sync(): Promise<void> {
    await this.executor?.ready();
  }

  close(): void {
    if (this.closed) return;
    this.executor?.close();
    for (const t of this.live) t.release();
    this.live.clear();
    this.pool.clear();
    this.pooledBytes = 0;
    this.bytes = 0;
    this.closed = true;
    if (isPacking(this.gemm)) this.gemm.close?.();
  }
}
