import {
  type Backend,
  BackendError,
  type DType,
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
import { BlockCache } from "./block-cache.js";
import type { CommandOrigin } from "./commands.js";
import { asCuda, CudaTensor, DeviceStorage } from "./cuda-tensor.js";
import type { BlasLtGemm, CudaAttention, CudaContext, FloatSuffix, KernelName } from "./kernels/context.js";
import { KERNEL_FILES } from "./kernels/context.js";
import { PTX } from "./kernels/generated/ptx.js";
import { fusedKernels, type PrimitiveKernels, primitiveKernels } from "./kernels/index.js";
import type { ContextHandle, CudaAddon, FunctionHandle, ModuleHandle } from "./native/addon.js";
import { STICKY_RESULTS, statusError } from "./native/status.js";
import { Params } from "./params.js";
import { CommandQueue, type QueueStats } from "./queue.js";

export type CudaGemm = "cublaslt" | "kernel";
export type { CudaAttention } from "./kernels/context.js";

const ATTENTION_KERNELS: readonly CudaAttention[] = ["tiled", "mma"];

/**
 * The attention kernel: the option, else DEBERTA_CUDA_ATTENTION ("tiled" or "mma"), else "tiled". A value
 * that is neither is BackendError "BACKEND_UNAVAILABLE" naming where it came from.
 */
export function resolveAttention(option: string | undefined): CudaAttention {
  const env = typeof process === "object" ? process.env?.DEBERTA_CUDA_ATTENTION : undefined;
  const value = option ?? (env === undefined || env.trim() === "" ? undefined : env.trim().toLowerCase());
  // mma by default: on an H200 it passed the float16 conformance suite and the 23 fixtures in float16 and
  // bfloat16 and took a DeBERTa-base forward from 23.6 to 14.7 ms at 128x128 and 57.9 to 23.1 ms at 32x512.
  // It falls back to the tiled kernel by itself for float32, probabilities and other head sizes.
  if (value === undefined) return "mma";
  if ((ATTENTION_KERNELS as readonly string[]).includes(value)) return value as CudaAttention;
  const from = option === undefined ? `DEBERTA_CUDA_ATTENTION=${JSON.stringify(env)}` : "attention";
  throw new BackendError(
    "BACKEND_UNAVAILABLE",
    `cuda: ${from} must be "tiled" or "mma", got ${JSON.stringify(value)}`,
  );
}

/** The storage type of float tensors: float32 (default), or a half type with float32 accumulation. */
export type CudaDtype = "float32" | "float16" | "bfloat16";

/** Per dtype: the kernels' suffix, cuBLASLt's data type (CUDA_R_*), and the fixture tolerance scale. */
export const CUDA_DTYPES: Readonly<
  Record<CudaDtype, { suffix: FloatSuffix; blasType: number; toleranceScale: number }>
> = {
  float32: { suffix: "f32", blasType: 0, toleranceScale: 1 },
  // 2⁸: the conformance suite's and the WebGPU f16 path's float16 scale (11-bit significand vs 24).
  float16: { suffix: "f16", blasType: 2, toleranceScale: 256 },
  // 2¹¹: bfloat16 keeps 8 significant bits, 3 fewer than float16.
  bfloat16: { suffix: "bf16", blasType: 14, toleranceScale: 2048 },
};

/** cuBLASLt compute types: full float32, and float32 with TF32 tensor-core inputs. */
const CUBLAS_COMPUTE_32F = 68;
const CUBLAS_COMPUTE_32F_FAST_TF32 = 77;

export interface CudaBackendInit {
  addon: CudaAddon;
  context: ContextHandle;
  ordinal: number;
  name: string;
  gemm: CudaGemm;
  deviceName: string;
  /** Float storage (default float32). */
  dtype?: CudaDtype;
  /** float32 GEMMs through cuBLASLt may use TF32 tensor cores (default false: full float32). */
  allowTf32?: boolean;
  /**
   * The attention kernel of float16 / bfloat16 storage: "tiled" (default; CUDA cores) or "mma" (tensor
   * cores; probabilities and head sizes other than 32 / 64 / 128 still run "tiled"). Default: the
   * environment's DEBERTA_CUDA_ATTENTION, else "tiled".
   */
  attention?: CudaAttention;
  /**
   * Replay repeated command lists (a forward of one batch shape) as CUDA graphs. Default: on, unless the
   * environment has DEBERTA_CUDA_GRAPHS=0 or the driver lacks the graph entry points.
   */
  graphs?: boolean;
  /** A command list is submitted once it holds this many commands (default 1024). */
  maxCommands?: number;
}

/** Why graphs are off before any capture: the option, DEBERTA_CUDA_GRAPHS=0, or the driver; else undefined. */
export function graphsOffReason(option: boolean | undefined, driverHasGraphs: boolean): string | undefined {
  if (option === false) return "graphs: false";
  const env = typeof process === "object" ? process.env?.DEBERTA_CUDA_GRAPHS : undefined;
  if (option === undefined && env !== undefined && /^(0|false|off|no)$/i.test(env.trim()))
    return `DEBERTA_CUDA_GRAPHS=${env}`;
  if (!driverHasGraphs) return "the driver lacks the CUDA graph entry points";
  return undefined;
}

/** Bytes of the device block behind a tensor of `bytes` bytes (4-byte multiples, 4 at least). */
export const blockBytes = (bytes: number): number => Math.max(4, Math.ceil(bytes / 4) * 4);

const ELEMENTWISE_THREADS = 256;
const MAX_BLOCKS = 65535;

/**
 * The CUDA backend: tensors in device memory (a stream-ordered pool), every op enqueues kernel launches on
 * one stream without waiting; `download` and `sync` wait for the stream on a worker thread, so the
 * JavaScript thread never blocks on the GPU. Floats are stored as `dtype` (float32 by default, GEMMs in full
 * float32 with TF32 off unless `allowTf32`; float16 / bfloat16 with float32 accumulation everywhere: their
 * handles report dtype "float16"); uploads convert float32 on the GPU, downloads return float32.
 */
export class CudaBackend implements Backend {
  readonly name: string;
  readonly fused: FusedKernels;
  readonly gemm: CudaGemm;
  readonly ordinal: number;
  readonly deviceName: string;
  /** The storage type of float tensors. */
  readonly dtype: CudaDtype;
  /** The same, as the backend interface names it (a model checks float16's range where it is "float16"). */
  readonly floatStorage: CudaDtype;
  readonly allowTf32: boolean;
  /** The attention kernel asked for (float32 storage always runs "tiled"). */
  readonly attention: CudaAttention;
  private readonly addon: CudaAddon;
  private readonly handle: ContextHandle;
  private readonly ctx: CudaContext;
  private readonly modules = new Map<string, ModuleHandle>();
  private readonly functions = new Map<KernelName, FunctionHandle>();
  private readonly live = new Set<CudaTensor>();
  private bytes = 0;
  private peak = 0;
  private closed = false;
  private lost: string | undefined;
  private launches = 0;
  private readonly queue: CommandQueue;
  private readonly blocks = new BlockCache();
  private readonly fnIndices = new Map<KernelName, number>();

  constructor(init: CudaBackendInit) {
    this.addon = init.addon;
    this.handle = init.context;
    this.name = init.name;
    this.gemm = init.gemm;
    this.ordinal = init.ordinal;
    this.deviceName = init.deviceName;
    this.dtype = init.dtype ?? "float32";
    this.floatStorage = this.dtype;
    this.allowTf32 = init.allowTf32 ?? false;
    this.attention = resolveAttention(init.attention);
    const graphsOff = graphsOffReason(init.graphs, this.addon.graphsAvailable() === 1);
    this.queue = new CommandQueue(
      this.addon,
      this.handle,
      (status, origin) => {
        this.check(status, origin.op, origin.what);
        throw new Error("unreachable");
      },
      {
        ...(init.maxCommands === undefined ? {} : { maxCommands: init.maxCommands }),
        ...(graphsOff === undefined ? {} : { graphsOff }),
      },
    );
    const dtypeInfo = CUDA_DTYPES[this.dtype];
    this.ctx = {
      name: this.name,
      float: dtypeInfo.suffix,
      blasType: dtypeInfo.blasType,
      attention: this.attention,
      tensor: (h, op) => asCuda(h as TensorHandle, this.name, op),
      alloc: (dtype, shape, op) => this.alloc(dtype, shape, op),
      view: (t, shape) => {
        t.storage.refs += 1;
        return this.track(new CudaTensor(this.name, t.dtype, [...shape], t.storage, t.host));
      },
      release: (t) => this.dispose(t),
      launch: (op, kernel, grid, block, params, shared) =>
        this.launch(op, kernel, grid, block, params, shared ?? 0),
      launch1d: (op, kernel, n, params) => {
        if (n === 0) return;
        const blocks = Math.min(Math.ceil(n / ELEMENTWISE_THREADS), MAX_BLOCKS);
        this.launch(op, kernel, [blocks, 1, 1], [ELEMENTWISE_THREADS, 1, 1], params, 0);
      },
      blasLt: init.gemm === "cublaslt" ? (op, g) => this.blasLt(op, g) : undefined,
    };
    const ctx = this.ctx;
    const open = <T>(run: () => T): T => {
      this.ensureOpen();
      return run();
    };
    this.fused = {
      linear: (inputs, attrs) => open(() => fusedKernels.linear(ctx, inputs, attrs)),
      layerNorm: (inputs, attrs) => open(() => fusedKernels.layerNorm(ctx, inputs, attrs, this)),
      activation: (inputs, attrs) => open(() => fusedKernels.activation(ctx, inputs, attrs)),
      disentangledAttention: (inputs, attrs) =>
        open(() => fusedKernels.disentangledAttention(ctx, inputs, attrs, this)),
      overflowCount: (inputs, attrs) => open(() => fusedKernels.overflowCount(ctx, inputs, attrs)),
    };
  }

  private ensureOpen(): void {
    if (this.closed) throw new BackendError("BACKEND_DISPOSED", `${this.name}: the backend was closed`);
    if (this.lost !== undefined)
      throw new BackendError(
        "BACKEND_DEVICE_LOST",
        `${this.name}: the GPU context is unusable (${this.lost})`,
      );
  }

  /** Turns a non-zero status into a typed error (and remembers a sticky one: the context is then lost). */
  private check(status: number, op: string, what: string, shapes?: readonly (readonly number[])[]): void {
    if (status === 0) return;
    const error = statusError(this.name, op, what, status, (c) => this.addon.describe(c), shapes);
    if (STICKY_RESULTS.has(status)) this.lost = error.message;
    throw error;
  }

  private track(t: CudaTensor): CudaTensor {
    this.live.add(t);
    return t;
  }

  private allocBytes(bytes: number, op: string, shape: readonly number[]): number {
    const size = blockBytes(bytes);
    const cached = this.blocks.take(size);
    if (cached !== undefined) return cached;
    let ptr = this.addon.alloc(this.handle, size);
    if (ptr === -2 && this.blocks.cachedBlocks > 0) {
      // Out of memory with blocks held for reuse: give them back to the pool (after the pending work) and retry.
      this.trim();
      ptr = this.addon.alloc(this.handle, size);
    }
    if (ptr <= 0) {
      const status = -ptr;
      if (status === 2) {
        throw new BackendError(
          "BACKEND_OUT_OF_MEMORY",
          `${this.name} ${op}: out of GPU memory allocating ${size} bytes for [${shape.join(", ")}] (${this.bytes} bytes held by live tensors)`,
          { op, shapes: [shape] },
        );
      }
      this.check(status, op, `allocating ${size} bytes`, [shape]);
    }
    if (!Number.isSafeInteger(ptr))
      throw new BackendError("BACKEND_UNAVAILABLE", `${op}: device pointer beyond 2^53`);
    return ptr;
  }

  /** The dtype a float tensor gets: "float32", or "float16" for both half storage types. */
  private get floatDtype(): DType {
    return this.dtype === "float32" ? "float32" : "float16";
  }

  private alloc(asked: DType, shape: readonly number[], op: string): CudaTensor {
    this.ensureOpen();
    const dtype = asked === "float32" || asked === "float16" ? this.floatDtype : asked;
    let count = 1;
    for (const d of shape) count *= d;
    if (count >= 2 ** 31)
      throw new BackendError("BACKEND_SHAPE", `${op}: [${shape.join(", ")}] has 2^31 elements or more`, {
        op,
        shapes: [shape],
      });
    const bytes = Math.max(4, count * (dtype === "float16" ? 2 : 4));
    const ptr = this.allocBytes(bytes, op, shape);
    this.account(bytes);
    return this.track(new CudaTensor(this.name, dtype, [...shape], new DeviceStorage(ptr, bytes)));
  }

  private account(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes > this.peak) this.peak = this.bytes;
  }

  private fn(kernel: KernelName): FunctionHandle {
    let f = this.functions.get(kernel);
    if (f !== undefined) return f;
    const file = KERNEL_FILES[kernel];
    let module = this.modules.get(file);
    if (module === undefined) {
      const ptx = PTX[file];
      if (ptx === undefined)
        throw new BackendError("BACKEND_UNAVAILABLE", `${this.name}: no PTX for ${file}`);
      const r = this.addon.loadModule(this.handle, ptx);
      if (typeof r === "number") this.check(r, kernel, `loading kernels/${file}.cu`);
      if (typeof r === "object" && r !== null && "code" in r) {
        const jit = (r as { code: number; log: string }).log.trim();
        this.check(r.code, kernel, `loading kernels/${file}.cu (PTX JIT${jit ? `: ${jit}` : ""})`);
      }
      module = r as ModuleHandle;
      this.modules.set(file, module);
    }
    const got = this.addon.getFunction(module, kernel);
    if (typeof got === "number") this.check(got, kernel, `finding ${kernel} in kernels/${file}.cu`);
    f = got as FunctionHandle;
    this.functions.set(kernel, f);
    return f;
  }

  /**
   * Loads every kernel module now (the JIT of the PTX happens here rather than in the first forward); the
   * tensor-core attention only when this backend may run it (`attention: "mma"` with half storage).
   */
  warmUp(): void {
    const mma =
      this.attention === "mma" ? `disentangled_attention_mma_${CUDA_DTYPES[this.dtype].suffix}` : "";
    for (const kernel of Object.keys(KERNEL_FILES) as KernelName[])
      if (!kernel.startsWith("disentangled_attention_mma_") || kernel === mma) this.fn(kernel);
  }

  /** The index under which the addon's command lists know `kernel` (registered on first use). */
  private fnIndex(kernel: KernelName): number {
    let index = this.fnIndices.get(kernel);
    if (index !== undefined) return index;
    index = this.addon.registerFunction(this.handle, this.fn(kernel));
    if (index < 0) this.check(-index, kernel, "registering the kernel for command lists");
    this.fnIndices.set(kernel, index);
    return index;
  }

  /** Records a launch in the command list (submitted at the next download, sync, upload or when long). */
  private launch(
    op: string,
    kernel: KernelName,
    grid: readonly [number, number, number],
    block: readonly [number, number, number],
    params: Params,
    shared: number,
  ): void {
    this.ensureOpen();
    const origin = (): CommandOrigin => ({
      op,
      what: `launching ${kernel} (grid ${grid.join("x")}, block ${block.join("x")})`,
    });
    this.queue.launch(this.fnIndex(kernel), grid, block, shared, params.finish(), origin);
    this.launches += 1;
  }

  /** Submits the recorded commands now (one addon call). */
  flush(): void {
    this.ensureOpen();
    this.queue.flush();
  }

  /**
   * Turns CUDA graph replay on or off from now on (benchmarks compare both in one process); on needs a
   * driver with the graph entry points (else BACKEND_UNAVAILABLE).
   */
  setGraphs(enabled: boolean): void {
    this.ensureOpen();
    this.queue.flush();
    if (!enabled) {
      this.queue.disableGraphs("setGraphs(false)");
      return;
    }
    if (this.addon.graphsAvailable() !== 1)
      throw new BackendError(
        "BACKEND_UNAVAILABLE",
        `${this.name}: the driver lacks the CUDA graph entry points`,
      );
    this.queue.enableGraphs();
  }

  /** Gives the blocks held for reuse back to the device's pool (after the pending work). */
  trim(): void {
    if (this.closed) return;
    this.queue.flush();
    for (const ptr of this.blocks.drain()) {
      const status = this.addon.free(this.handle, ptr);
      if (status !== 0 && STICKY_RESULTS.has(status)) this.lost = this.addon.describe(status);
    }
  }

  /** out[i] = x[i] converted between float32 and the half storage type (raw device pointers, n elements). */
  private convert(op: string, kernel: KernelName, out: number, x: number, n: number): void {
    this.ctx.launch1d(op, kernel, n, new Params().ptr(out).ptr(x).i64(n));
  }

  private blasLt(op: string, g: BlasLtGemm): void {
    this.ensureOpen();
    this.queue.blasLt(
      {
        transa: g.transa ? 1 : 0,
        transb: g.transb ? 1 : 0,
        m: g.m,
        n: g.n,
        k: g.k,
        a: g.a,
        lda: g.lda,
        strideA: 0,
        b: g.b,
        ldb: g.ldb,
        strideB: 0,
        d: g.d,
        ldd: g.ldd,
        strideD: 0,
        batch: 1,
        bias: g.bias ?? 0,
        dataType: this.ctx.blasType,
        computeType:
          this.dtype === "float32" && this.allowTf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F,
      },
      () => ({ op, what: `cuBLASLt matmul (m ${g.m}, n ${g.n}, k ${g.k})` }),
    );
    this.launches += 1;
  }

  /** A device block back to the reuse cache (commands recorded later may get it). */
  private freeBlock(ptr: number, bytes: number): void {
    if (this.closed) return;
    this.blocks.give(ptr, blockBytes(bytes));
  }

  /**
   * Copies a Tensor to the GPU (queued on the stream through pinned staging). int64 becomes int32 (values
   * beyond ±2³¹ are rejected), bool and 8-bit integers int32; integer tensors keep a host copy for index checks.
   */
  upload(tensor: Tensor): TensorHandle {
    this.ensureOpen();
    const shape = [...tensor.dims];
    let dtype: DType;
    let host: Int32Array | undefined;
    let data: Float32Array | Int32Array;
    switch (tensor.type) {
      case "float32":
        dtype = "float32";
        data = tensor.data as Float32Array;
        break;
      case "int32":
        dtype = "int32";
        host = (tensor.data as Int32Array).slice();
        data = host;
        break;
      case "int64":
        dtype = "int64";
        host = int64ToInt32(tensor.data as BigInt64Array, this.name);
        data = host;
        break;
      case "bool":
      case "uint8":
      case "int8":
        dtype = "int32";
        host = Int32Array.from(tensor.data as Uint8Array | Int8Array);
        data = host;
        break;
      default:
        throw new BackendError("BACKEND_DTYPE", `${this.name}: cannot upload a ${tensor.type} tensor`);
    }
    const t = this.alloc(dtype, shape, "upload");
    if (host !== undefined) (t as { host?: Int32Array }).host = host;
    if (data.length === 0) return t;
    // The copy is issued now, outside the command list: the pending commands (which may still read the
    // reused blocks it writes) go first.
    this.queue.flush();
    if (dtype === "float32" && this.dtype !== "float32") {
      // float32 → the half type on the GPU: through a float32 buffer freed (stream-ordered) after the cast.
      const staging = this.allocBytes(data.length * 4, "upload", shape);
      try {
        this.check(this.addon.upload(this.handle, staging, data), "upload", "copying to the GPU", [shape]);
        this.convert(
          "upload",
          this.dtype === "float16" ? "cast_f32_f16" : "cast_f32_bf16",
          t.ptr,
          staging,
          data.length,
        );
      } finally {
        this.freeBlock(staging, data.length * 4);
      }
      return t;
    }
    this.check(this.addon.upload(this.handle, t.ptr, data), "upload", "copying to the GPU", [shape]);
    return t;
  }

  async download(handle: TensorHandle): Promise<Tensor> {
    this.ensureOpen();
    const t = asCuda(handle, this.name, "download");
    const n = t.size;
    let bytes: ArrayBuffer;
    // Half storage is widened to float32 on the GPU first (a buffer freed, stream-ordered, after the copy).
    const widened = n > 0 && t.dtype === "float16" ? this.allocBytes(n * 4, "download", t.shape) : undefined;
    try {
      if (widened !== undefined)
        this.convert(
          "download",
          this.dtype === "float16" ? "cast_f16_f32" : "cast_bf16_f32",
          widened,
          t.ptr,
          n,
        );
      this.queue.flush();
      bytes = n === 0 ? new ArrayBuffer(0) : await this.addon.download(this.handle, widened ?? t.ptr, n * 4);
    } catch (error) {
      const status = (error as { cuResult?: number }).cuResult;
      if (status !== undefined) this.check(status, "download", "reading back");
      throw error;
    } finally {
      if (widened !== undefined) this.freeBlock(widened, n * 4);
    }
    switch (t.dtype) {
      case "float16":
      case "float32":
        return new Tensor("float32", new Float32Array(bytes, 0, n), [...t.shape]);
      case "int64":
        return new Tensor(
          "int64",
          BigInt64Array.from(new Int32Array(bytes, 0, n), (v) => BigInt(v)),
          [...t.shape],
        );
      default:
        return new Tensor("int32", new Int32Array(bytes, 0, n), [...t.shape]);
    }
  }

  dispose(handle: TensorHandle): void {
    const t = asCuda(handle, this.name, "dispose");
    if (!this.live.delete(t)) return;
    const storage = t.release();
    if (storage === undefined || this.closed) return;
    this.bytes -= storage.bytes;
    // Reused only by commands recorded after the ones that may still read it (one stream, in order).
    this.freeBlock(storage.ptr, storage.bytes);
  }

  memory(): MemoryInfo {
    return { bytesInUse: this.bytes, peakBytes: this.peak, tensors: this.live.size };
  }

  /** The device's free and total memory (cuMemGetInfo). */
  deviceMemory(): { free: number; total: number } {
    this.ensureOpen();
    const r = this.addon.memInfo(this.handle);
    if (typeof r === "number") {
      this.check(r, "deviceMemory", "cuMemGetInfo");
      throw new Error("unreachable");
    }
    return r;
  }

  /**
   * Counters for tests and benchmarks: launches recorded (kernels and matmuls), modules loaded, the
   * command queue's submissions (addon calls), graph captures / replays, and the bytes held for reuse.
   */
  stats(): { launches: number; modules: number; cachedBytes: number } & QueueStats {
    return {
      launches: this.launches,
      modules: this.modules.size,
      cachedBytes: this.blocks.cachedBytes,
      ...this.queue.stats(),
    };
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

  async sync(): Promise<void> {
    this.ensureOpen();
    this.queue.flush();
    try {
      await this.addon.sync(this.handle);
    } catch (error) {
      this.check((error as { cuResult?: number }).cuResult ?? 999, "sync", "waiting for the GPU");
      throw error;
    }
  }

  /** Waits for the stream, frees every tensor, the pool's memory and the stream; further use throws. */
  close(): void {
    if (this.closed) return;
    // Pending commands are dropped (nothing can read their results any more); graphs go with the context.
    this.queue.discard();
    for (const t of this.live) {
      const s = t.release();
      if (s !== undefined) this.addon.free(this.handle, s.ptr);
    }
    for (const ptr of this.blocks.drain()) this.addon.free(this.handle, ptr);
    this.live.clear();
    this.bytes = 0;
    this.closed = true;
    this.addon.closeContext(this.handle);
  }
}
