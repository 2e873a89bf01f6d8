import {
  type Backend,
  BackendError,
  type DType,
  type FusedKernels,
  fromHalfBits,
  int64ToInt32,
  type MemoryInfo,
  type OpAttrs,
  type OpInputs,
  type OpOutput,
  type PrimitiveOpName,
  type PrimitiveOps,
  Tensor,
  type TensorHandle,
  toHalfBits,
} from "@deberta/tensor";
import { asGpu, GpuStorage, GpuTensor } from "./gpu-tensor.js";
import type { GpuContext } from "./kernels/context.js";
import { fusedKernels, type PrimitiveKernels, primitiveKernels } from "./kernels/index.js";
import { type Dispatch, Params, type Program } from "./program.js";

export type WebGpuDtype = "fp32" | "fp16";

export interface WebGpuBackendOptions {
  /** "fp32" (default) or "fp16": float tensors stored and computed in f16 (f32 accumulation); needs `shader-f16`. */
  dtype?: WebGpuDtype;
  name?: string;
}

/** Pooled buffers kept for reuse, at most; beyond it disposed buffers are destroyed. */
const MAX_POOLED_BYTES = 512 * 2 ** 20;
/** Dispatches recorded before they are submitted without waiting for a read (keeps the queue fed). */
const MAX_PENDING_DISPATCHES = 512;
const UNIFORM_SLOT = 256;

const STORAGE = 0x0080; // GPUBufferUsage.STORAGE
const COPY_SRC = 0x0004;
const COPY_DST = 0x0008;
const UNIFORM = 0x0040;
const MAP_READ = 0x0001;
const MAP_MODE_READ = 0x0001;

/** Pool buckets: 256-byte steps up to 64 KiB, then eighths of the power of two (≤ 12.5% waste). */
function bucketSize(bytes: number): number {
  const n = Math.max(bytes, 4);
  if (n <= 65536) return Math.ceil(n / 256) * 256;
  const step = 2 ** Math.floor(Math.log2(n)) / 8;
  return Math.ceil(n / step) * step;
}

/**
 * The WebGPU backend. Tensors are GPU buffers; ops record dispatches (a kernel per file in `kernels/`,
 * pipelines cached by the program's key) which are submitted in batches, so a forward pass is a handful of
 * submits; only `download` reads back, asynchronously. Disposed buffers go to a pool by size.
 */
export class WebGpuBackend implements Backend {
  readonly name: string;
  readonly fused: FusedKernels;
  readonly dtype: WebGpuDtype;
  readonly floatStorage: "float32" | "float16";
  private readonly ctx: GpuContext;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly pool = new Map<number, GPUBuffer[]>();
  private pooledBytes = 0;
  private pending: Dispatch[] = [];
  /** Buffers to destroy once the dispatches that may read them are submitted. */
  private doomed: GPUBuffer[] = [];
  private live = new Set<GpuTensor>();
  private bytes = 0;
  private peak = 0;
  private closed = false;
  private lostReason: string | undefined;
  private readonly errors: Promise<GPUError | null>[] = [];
  private submits = 0;
  private dispatches = 0;

  constructor(
    readonly device: GPUDevice,
    options: WebGpuBackendOptions = {},
  ) {
    this.name = options.name ?? "webgpu";
    this.dtype = options.dtype ?? "fp32";
    if (this.dtype === "fp16" && !device.features.has("shader-f16")) {
      throw new BackendError(
        "BACKEND_UNAVAILABLE",
        `${this.name}: dtype "fp16" needs the shader-f16 feature, which this device does not have`,
      );
    }
    const half = this.dtype === "fp16";
    this.floatStorage = half ? "float16" : "float32";
    device.lost.then((info) => {
      if (!this.closed) this.lostReason = `${info.reason}: ${info.message || "no message"}`;
    });
    this.ctx = {
      name: this.name,
      floatDtype: half ? "float16" : "float32",
      // Stores go through toF: in f16, finite f32 values beyond f16's range saturate to ±65504 (so masking
      // with float32's lowest value stays finite, as transformers masks with finfo(float16).min).
      header: half
        ? "enable f16;\nalias F = f16;\nfn toF(x: f32) -> f16 { return f16(clamp(x, -65504.0, 65504.0)); }\n"
        : "alias F = f32;\nfn toF(x: f32) -> f32 { return x; }\n",
      subgroups: device.features.has("subgroups"),
      maxWorkgroupStorage: device.limits.maxComputeWorkgroupStorageSize,
      maxStorageBuffers: device.limits.maxStorageBuffersPerShaderStage,
      tensor: (handle, op) => asGpu(handle as TensorHandle, this.name, op),
      alloc: (dtype, shape, op) => this.alloc(dtype, shape, op),
      view: (t, shape) => {
        const storage = t.storage;
        storage.refs += 1;
        return this.track(new GpuTensor(this.name, t.dtype, [...shape], storage, t.host));
      },
      dispatch: (program, tensors, params, workgroups) => this.record(program, tensors, params, workgroups),
    };
    const ctx = this.ctx;
    const k = fusedKernels;
    // Every fused op checks that the backend is usable before it records anything.
    const open = <T>(run: () => T): T => {
      this.ensureOpen();
      return run();
    };
    this.fused = {
      linear: (inputs, attrs) => open(() => k.linear(ctx, inputs, attrs, this)),
      layerNorm: (inputs, attrs) => open(() => k.layerNorm(ctx, inputs, attrs, this)),
      activation: (inputs, attrs) => open(() => k.activation(ctx, inputs, attrs, this)),
      maskedSoftmax: (inputs, attrs) => open(() => k.maskedSoftmax(ctx, inputs, attrs, this)),
      disentangledAttention: (inputs, attrs) => open(() => k.disentangledAttention(ctx, inputs, attrs, this)),
      overflowCount: (inputs, attrs) => open(() => k.overflowCount(ctx, inputs, attrs, this)),
    };
  }

  private ensureOpen(): void {
    if (this.closed) throw new BackendError("BACKEND_DISPOSED", `${this.name}: the backend was closed`);
    if (this.lostReason !== undefined) {
      throw new BackendError(
        "BACKEND_DEVICE_LOST",
        `${this.name}: the GPU device was lost (${this.lostReason})`,
      );
    }
  }

  private track(t: GpuTensor): GpuTensor {
    this.live.add(t);
    return t;
  }

  private account(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes > this.peak) this.peak = this.bytes;
  }

  private checkSize(bytes: number, op: string, shape: readonly number[]): void {
    const limit = Math.min(this.device.limits.maxBufferSize, this.device.limits.maxStorageBufferBindingSize);
    if (bytes > limit) {
      throw new BackendError(
        "BACKEND_OUT_OF_MEMORY",
        `${op}: a tensor of shape [${shape.join(", ")}] needs ${bytes} bytes, more than this device's largest storage buffer (${limit} bytes)`,
        { op, shapes: [shape] },
      );
    }
  }

  private bytesOf(dtype: DType, count: number): number {
    const width = dtype === "float16" ? 2 : 4;
    return Math.max(4, Math.ceil((count * width) / 4) * 4);
  }

  private alloc(dtype: DType, shape: readonly number[], op: string): GpuTensor {
    this.ensureOpen();
    const stored: DType = dtype === "float32" || dtype === "float16" ? this.ctx.floatDtype : dtype;
    let count = 1;
    for (const d of shape) count *= d;
    const bytes = this.bytesOf(stored, count);
    this.checkSize(bytes, op, shape);
    const size = bucketSize(bytes);
    const pooled = this.pool.get(size);
    let buffer = pooled?.pop();
    if (buffer === undefined) buffer = this.createBuffer(size, STORAGE | COPY_SRC | COPY_DST, op, shape);
    else {
      this.pooledBytes -= size;
      // Most recently used sizes last: the ones evicted first are those no recent pass asked for.
      this.pool.delete(size);
      if (pooled!.length > 0) this.pool.set(size, pooled!);
    }
    this.account(bytes);
    return this.track(new GpuTensor(this.name, stored, [...shape], new GpuStorage(buffer, bytes)));
  }

  private createBuffer(
    size: number,
    usage: number,
    op: string,
    shape: readonly number[],
    mapped = false,
  ): GPUBuffer {
    try {
      return this.device.createBuffer({ size, usage, mappedAtCreation: mapped });
    } catch (e) {
      throw new BackendError(
        "BACKEND_OUT_OF_MEMORY",
        `${op}: could not allocate ${size} bytes for [${shape.join(", ")}]: ${(e as Error).message}`,
        { op, shapes: [shape], cause: e },
      );
    }
  }

  /**
   * Copies a Tensor to the GPU (a new buffer written at creation, so the copy needs no queue ordering).
   * float32 becomes f16 in the fp16 mode; int64 becomes int32 (values beyond ±2³¹ are rejected); bool and
   * 8-bit integers become int32.
   */
  upload(tensor: Tensor): TensorHandle {
    this.ensureOpen();
    const shape = [...tensor.dims];
    let dtype: DType;
    let host: Int32Array | undefined;
    let bytes: Uint8Array;
    switch (tensor.type) {
      case "float32": {
        const src = tensor.data as Float32Array;
        if (this.dtype === "fp16") {
          const half = new Uint16Array(src.length);
          for (let i = 0; i < src.length; i++) half[i] = toHalfBits(src[i]!);
          dtype = "float16";
          bytes = new Uint8Array(half.buffer);
        } else {
          dtype = "float32";
          bytes = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
        }
        break;
      }
      case "int32":
        dtype = "int32";
        host = (tensor.data as Int32Array).slice();
        bytes = new Uint8Array(host.buffer);
        break;
      case "int64":
        host = int64ToInt32(tensor.data as BigInt64Array, this.name);
        dtype = "int64";
        bytes = new Uint8Array(host.buffer);
        break;
      case "bool":
      case "uint8":
      case "int8":
        dtype = "int32";
        host = Int32Array.from(tensor.data as Uint8Array | Int8Array);
        bytes = new Uint8Array(host.buffer);
        break;
      default:
        throw new BackendError("BACKEND_DTYPE", `${this.name}: cannot upload a ${tensor.type} tensor`);
    }
    const size = this.bytesOf(dtype, tensor.size);
    this.checkSize(size, "upload", shape);
    const buffer = this.createBuffer(bucketSize(size), STORAGE | COPY_SRC | COPY_DST, "upload", shape, true);
    new Uint8Array(buffer.getMappedRange(0, size)).set(bytes);
    buffer.unmap();
    this.account(size);
    return this.track(new GpuTensor(this.name, dtype, shape, new GpuStorage(buffer, size), host));
  }

  async download(handle: TensorHandle): Promise<Tensor> {
    this.ensureOpen();
    const t = asGpu(handle, this.name, "download");
    const size = t.storage.bytes;
    const staging = this.createBuffer(size, MAP_READ | COPY_DST, "download", t.shape);
    this.flush((encoder) => encoder.copyBufferToBuffer(t.buffer, 0, staging, 0, size));
    try {
      await staging.mapAsync(MAP_MODE_READ);
    } catch (e) {
      staging.destroy();
      this.ensureOpen();
      await this.checkErrors();
      throw new BackendError(
        "BACKEND_DEVICE_LOST",
        `download: reading back failed: ${(e as Error).message}`,
        {
          op: "download",
          cause: e,
        },
      );
    }
    const copy = staging.getMappedRange().slice(0);
    staging.unmap();
    staging.destroy();
    await this.checkErrors();
    const n = t.size;
    switch (t.dtype) {
      case "float16": {
        const half = new Uint16Array(copy, 0, n);
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) out[i] = fromHalfBits(half[i]!);
        return new Tensor("float32", out, [...t.shape]);
      }
      case "float32":
        return new Tensor("float32", new Float32Array(copy, 0, n), [...t.shape]);
      case "int64":
        return new Tensor(
          "int64",
          BigInt64Array.from(new Int32Array(copy, 0, n), (v) => BigInt(v)),
          [...t.shape],
        );
      default:
        return new Tensor("int32", new Int32Array(copy, 0, n), [...t.shape]);
    }
  }

  dispose(handle: TensorHandle): void {
    const t = asGpu(handle, this.name, "dispose");
    if (!this.live.delete(t)) return;
    const storage = t.release();
    if (storage === undefined || this.closed) return;
    this.bytes -= storage.bytes;
    const size = storage.buffer.size;
    if (size <= MAX_POOLED_BYTES) {
      // Shapes change from call to call (a server's batches): buffers of sizes no recent pass used make room
      // for this one, or a pool full of stale sizes would leave every later pass creating buffers afresh.
      for (const [staleSize, stale] of this.pool) {
        if (this.pooledBytes + size <= MAX_POOLED_BYTES) break;
        while (stale.length > 0 && this.pooledBytes + size > MAX_POOLED_BYTES) {
          this.doomed.push(stale.pop()!);
          this.pooledBytes -= staleSize;
        }
        if (stale.length === 0) this.pool.delete(staleSize);
      }
      const list = this.pool.get(size) ?? [];
      this.pool.delete(size);
      list.push(storage.buffer);
      this.pool.set(size, list);
      this.pooledBytes += size;
    } else {
      this.doomed.push(storage.buffer);
    }
  }

  /** Counters for tests and benchmarks: compiled pipelines, queue submits and dispatches so far. */
  stats(): { pipelines: number; submits: number; dispatches: number; pooledBytes: number } {
    return {
      pipelines: this.pipelines.size,
      submits: this.submits,
      dispatches: this.dispatches,
      pooledBytes: this.pooledBytes,
    };
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

  private pipeline(program: Program): GPUComputePipeline {
    let p = this.pipelines.get(program.key);
    if (p === undefined) {
      const module = this.device.createShaderModule({ code: program.source(), label: program.key });
      p = this.device.createComputePipeline({
        layout: "auto",
        compute: { module, entryPoint: "main" },
        label: program.key,
      });
      this.pipelines.set(program.key, p);
    }
    return p;
  }

  private record(
    program: Program,
    tensors: GpuTensor[],
    params: Params,
    workgroups: [number, number, number],
  ): void {
    this.ensureOpen();
    if (params.words.length > Params.MAX)
      throw new Error(`${program.name}: more than ${Params.MAX} parameters`);
    if (workgroups[0] * workgroups[1] * workgroups[2] === 0) return;
    const buffers = tensors.map((t) => ({ buffer: t.storage.buffer, size: t.storage.bytes }));
    this.pending.push({ program, buffers, params, workgroups });
    if (this.pending.length >= MAX_PENDING_DISPATCHES) this.flush();
  }

  /** Submits the recorded dispatches (and `after`, e.g. a copy for a read) in one command buffer. */
  private flush(after?: (encoder: GPUCommandEncoder) => void): void {
    const dispatches = this.pending;
    this.pending = [];
    if (dispatches.length === 0 && after === undefined) return;
    const device = this.device;
    device.pushErrorScope("out-of-memory");
    device.pushErrorScope("validation");
    let uniforms: GPUBuffer | undefined;
    if (dispatches.length > 0) {
      uniforms = device.createBuffer({
        size: dispatches.length * UNIFORM_SLOT,
        usage: UNIFORM,
        mappedAtCreation: true,
      });
      const words = new Uint32Array(uniforms.getMappedRange());
      dispatches.forEach((d, i) => {
        words.set(d.params.words, (i * UNIFORM_SLOT) / 4);
      });
      uniforms.unmap();
    }
    const encoder = device.createCommandEncoder();
    if (dispatches.length > 0) {
      const pass = encoder.beginComputePass();
      dispatches.forEach((d, i) => {
        const pipeline = this.pipeline(d.program);
        const entries: GPUBindGroupEntry[] = [
          { binding: 0, resource: { buffer: uniforms!, offset: i * UNIFORM_SLOT, size: UNIFORM_SLOT } },
        ];
        d.buffers.forEach(({ buffer, size }, k) => {
          entries.push({ binding: k + 1, resource: { buffer, size } });
        });
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
        pass.dispatchWorkgroups(...d.workgroups);
      });
      pass.end();
    }
    after?.(encoder);
    device.queue.submit([encoder.finish()]);
    this.submits += 1;
    this.dispatches += dispatches.length;
    uniforms?.destroy();
    for (const b of this.doomed) b.destroy();
    this.doomed = [];
    this.errors.push(device.popErrorScope(), device.popErrorScope());
  }

  /** Throws the first GPU error reported by the submitted work, as a typed error. */
  private async checkErrors(): Promise<void> {
    const pending = this.errors.splice(0);
    const found = (await Promise.all(pending)).find((e) => e !== null);
    if (found === undefined || found === null) return;
    this.ensureOpen();
    const oom = typeof GPUOutOfMemoryError !== "undefined" && found instanceof GPUOutOfMemoryError;
    throw new BackendError(
      oom || /out of memory/i.test(found.message) ? "BACKEND_OUT_OF_MEMORY" : "BACKEND_OP_UNSUPPORTED",
      `${this.name}: the GPU reported an error: ${found.message}`,
    );
  }

  /** Submits recorded work and waits for the GPU to finish it. */
  async sync(): Promise<void> {
    this.ensureOpen();
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  /** Frees every buffer and pipeline; the device stays usable by its owner (`destroyDevice` for ours). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    for (const t of this.live) t.release()?.buffer.destroy();
    this.live.clear();
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    for (const b of this.doomed) b.destroy();
    this.pool.clear();
    this.doomed = [];
    this.pooledBytes = 0;
    this.pipelines.clear();
    this.bytes = 0;
    this.onClose?.();
  }

  /** Called by close(): set by createWebGpuBackend to destroy a device it created itself. */
  onClose: (() => void) | undefined;
}
