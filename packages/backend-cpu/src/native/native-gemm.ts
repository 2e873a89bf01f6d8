// The native GEMM engine (Node-API addon, native/*.cc) behind the backend's PackingGemm interface. Every
// shape, offset and length is checked here before the call (a BACKEND_SHAPE error naming the op); the addon
// checks the typed arrays' real lengths again and returns a status that checkStatus turns into a typed
// error. Operands are used in place (no copies): the addon reads and writes the Float32Arrays' memory.
import { type Activation, BackendError, shapeError } from "@deberta/tensor";
import type { LinearEpilogue, PackedLinear, PackingGemm } from "../cpu-backend.js";
import {
  checkStatus,
  loadNativeAddon,
  type NativeAddon,
  type NativeEngineHandle,
  type NativeIsa,
  type NativePackedHandle,
} from "./addon.js";
import { defaultNativeThreads } from "./physical-cores.js";

/** transformers' activation names → the addon's epilogue codes (absent: not fused, the caller applies it). */
const NATIVE_ACTIVATIONS: Partial<Record<Activation, number>> = {
  linear: 0,
  gelu: 1,
  relu: 2,
  gelu_new: 3,
  gelu_pytorch_tanh: 3,
};

const ISAS: readonly NativeIsa[] = ["avx512", "avx2", "portable"];

const isCount = (x: number): boolean => Number.isInteger(x) && x >= 0 && x <= 0x7fffffff;

/** Checks that `count` floats from `offset` fit in `array` (and that all are non-negative integers). */
function checkRange(
  op: string,
  what: string,
  array: Float32Array,
  offset: number,
  count: number,
  shape: number[],
): void {
  if (!(array instanceof Float32Array))
    throw new BackendError("BACKEND_DTYPE", `${op}: ${what} must be a Float32Array`, { op });
  if (!isCount(offset) || !isCount(count) || offset + count > array.length)
    throw shapeError(op, `${what} needs ${count} floats from offset ${offset} but has ${array.length}`, [
      shape,
    ]);
}

function checkDims(op: string, dims: Record<string, number>): void {
  for (const [name, value] of Object.entries(dims))
    if (!isCount(value))
      throw shapeError(op, `${name} = ${value} is not a non-negative integer`, [Object.values(dims)]);
}

export interface NativeGemmOptions {
  /**
   * Participating threads (the calling one included); default: the machine's physical cores (Linux),
   * capped by os.availableParallelism(); os.availableParallelism() elsewhere.
   */
  threads?: number;
  /** Instruction-set path; default $DEBERTA_CPU_ISA, else the best this CPU runs. */
  isa?: NativeIsa;
}

/** The fused attention's operands (src/kernels/disentangled-attention-native.ts builds them). */
export interface NativeAttentionArgs {
  /** [batch, length, heads·3·headSize] */
  qkv: Float32Array;
  /** [heads·headSize] each */
  qBias: Float32Array;
  vBias: Float32Array;
  /** [batch, length] or, mask3d, [batch, length, length]; 0 drops */
  keep: Int32Array;
  mask3d: boolean;
  /** [heads, 2·span, headSize] or null */
  posKey: Float32Array | null;
  posQuery: Float32Array | null;
  /** [batch, length, heads·headSize] */
  context: Float32Array;
  /** [batch, heads, length, length] or null */
  probs: Float32Array | null;
  batch: number;
  length: number;
  heads: number;
  headSize: number;
  span: number;
  scale: number;
}

/** The native row / attention kernels (CpuContext.native); every call checks shapes before the addon. */
export interface NativeKernels {
  attention(args: NativeAttentionArgs): void;
  layerNorm(
    x: Float32Array,
    residual: Float32Array | null,
    gamma: Float32Array,
    beta: Float32Array,
    out: Float32Array,
    rows: number,
    n: number,
    epsilon: number,
  ): void;
  softmaxRows(x: Float32Array, rows: number, n: number): void;
  /** x = act(x) in place; false (nothing done) for an activation the engine lacks. */
  activate(x: Float32Array, activation: Activation): boolean;
}

export class NativeGemm implements PackingGemm, NativeKernels {
  readonly name: string;
  readonly isa: NativeIsa;
  readonly threads: number;
  private handle: NativeEngineHandle | undefined;

  constructor(
    private readonly addon: NativeAddon,
    handle: NativeEngineHandle,
  ) {
    this.handle = handle;
    const info = addon.engineInfo(handle);
    this.isa = info.isa;
    this.threads = info.threads;
    this.name = `native-${info.isa}-${info.threads}-thread${info.threads === 1 ? "" : "s"}`;
  }

  private live(op: string): NativeEngineHandle {
    if (this.handle === undefined)
      throw new BackendError("BACKEND_DISPOSED", `${op}: the native engine was closed`, { op });
    return this.handle;
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
    const op = "matmul";
    checkDims(op, { m, n, k });
    checkRange(op, "A", a, aOffset, m * k, [m, k]);
    checkRange(op, "B", b, bOffset, k * n, transposeB ? [n, k] : [k, n]);
    checkRange(op, "C", c, cOffset, m * n, [m, n]);
    checkStatus(
      op,
      this.addon.matmul(this.live(op), a, aOffset, b, bOffset, c, cOffset, m, n, k, transposeB),
    );
  }

  packLinearWeight(weight: Float32Array, outFeatures: number, inFeatures: number): PackedLinear {
    const op = "linear";
    checkDims(op, { outFeatures, inFeatures });
    checkRange(op, "weight", weight, 0, outFeatures * inFeatures, [outFeatures, inFeatures]);
    const packed = this.addon.packWeight(this.live(op), weight, 0, outFeatures, inFeatures);
    if (typeof packed === "number") {
      checkStatus("packLinearWeight", packed);
      throw new BackendError("BACKEND_UNAVAILABLE", "packLinearWeight: no handle returned", { op });
    }
    return new NativePackedLinear(this.addon, () => this.live(op), packed, outFeatures, inFeatures);
  }

  attention(a: NativeAttentionArgs): void {
    const op = "disentangledAttention";
    const { batch, length, heads, headSize, span } = a;
    checkDims(op, { batch, length, heads, headSize, span });
    const rows = batch * length;
    checkRange(op, "qkv", a.qkv, 0, rows * heads * 3 * headSize, [batch, length, heads * 3 * headSize]);
    checkRange(op, "q_bias", a.qBias, 0, heads * headSize, [heads * headSize]);
    checkRange(op, "v_bias", a.vBias, 0, heads * headSize, [heads * headSize]);
    if (!(a.keep instanceof Int32Array))
      throw new BackendError("BACKEND_DTYPE", `${op}: mask must be an Int32Array`, { op });
    const maskLength = a.mask3d ? rows * length : rows;
    if (a.keep.length < maskLength)
      throw shapeError(op, `mask needs ${maskLength} entries, has ${a.keep.length}`, [[a.keep.length]]);
    if ((a.posKey !== null || a.posQuery !== null) && span < 1)
      throw shapeError(op, `span must be at least 1 with relative positions, got ${span}`, [[span]]);
    for (const [what, t] of [
      ["posKey", a.posKey],
      ["posQuery", a.posQuery],
    ] as const)
      if (t !== null) checkRange(op, what, t, 0, heads * 2 * span * headSize, [heads, 2 * span, headSize]);
    checkRange(op, "context", a.context, 0, rows * heads * headSize, [batch, length, heads * headSize]);
    if (a.probs !== null)
      checkRange(op, "probs", a.probs, 0, batch * heads * length * length, [batch, heads, length, length]);
    if (!Number.isFinite(a.scale))
      throw new BackendError("BACKEND_DTYPE", `${op}: scale must be finite, got ${a.scale}`, { op });
    checkStatus(
      op,
      this.addon.attention(
        this.live(op),
        a.qkv,
        a.qBias,
        a.vBias,
        a.keep,
        a.mask3d,
        a.posKey,
        a.posQuery,
        a.context,
        a.probs,
        batch,
        length,
        heads,
        headSize,
        span,
        a.scale,
      ),
    );
  }

  layerNorm(
    x: Float32Array,
    residual: Float32Array | null,
    gamma: Float32Array,
    beta: Float32Array,
    out: Float32Array,
    rows: number,
    n: number,
    epsilon: number,
  ): void {
    const op = "layerNorm";
    checkDims(op, { rows, n });
    checkRange(op, "x", x, 0, rows * n, [rows, n]);
    if (residual !== null) checkRange(op, "residual", residual, 0, rows * n, [rows, n]);
    checkRange(op, "gamma", gamma, 0, n, [n]);
    checkRange(op, "beta", beta, 0, n, [n]);
    checkRange(op, "out", out, 0, rows * n, [rows, n]);
    if (!Number.isFinite(epsilon))
      throw new BackendError("BACKEND_DTYPE", `${op}: epsilon must be finite, got ${epsilon}`, { op });
    checkStatus(op, this.addon.layerNorm(this.live(op), x, residual, gamma, beta, out, rows, n, epsilon));
  }

  softmaxRows(x: Float32Array, rows: number, n: number): void {
    const op = "maskedSoftmax";
    checkDims(op, { rows, n });
    checkRange(op, "x", x, 0, rows * n, [rows, n]);
    checkStatus(op, this.addon.softmaxRows(this.live(op), x, rows, n));
  }

  activate(x: Float32Array, activation: Activation): boolean {
    const op = `activation ${activation}`;
    const code = NATIVE_ACTIVATIONS[activation];
    if (code === undefined) return false;
    checkRange(op, "x", x, 0, x.length, [x.length]);
    if (code !== 0) checkStatus(op, this.addon.activate(this.live(op), x, x.length, code));
    return true;
  }

  close(): void {
    if (this.handle === undefined) return;
    this.addon.destroyEngine(this.handle);
    this.handle = undefined;
  }
}

class NativePackedLinear implements PackedLinear {
  readonly bytes: number;
  private handle: NativePackedHandle | undefined;

  constructor(
    private readonly addon: NativeAddon,
    private readonly engine: () => NativeEngineHandle,
    handle: NativePackedHandle,
    private readonly outFeatures: number,
    private readonly inFeatures: number,
  ) {
    this.handle = handle;
    this.bytes = addon.packedBytes(handle);
  }

  apply(x: Float32Array, rows: number, out: Float32Array, epilogue: LinearEpilogue = {}): boolean {
    const op = "linear";
    if (this.handle === undefined)
      throw new BackendError("BACKEND_DISPOSED", `${op}: the packed weight was disposed`, { op });
    checkDims(op, { rows });
    checkRange(op, "x", x, 0, rows * this.inFeatures, [rows, this.inFeatures]);
    checkRange(op, "out", out, 0, rows * this.outFeatures, [rows, this.outFeatures]);
    const code = epilogue.activation === undefined ? 0 : NATIVE_ACTIVATIONS[epilogue.activation];
    // An activation the engine lacks: only the product here, the caller applies bias and activation.
    const fuse = code !== undefined;
    const bias = fuse ? (epilogue.bias ?? null) : null;
    if (bias !== null) checkRange(op, "bias", bias, 0, this.outFeatures, [this.outFeatures]);
    checkStatus(
      op,
      this.addon.matmulPacked(this.engine(), this.handle, x, 0, out, 0, rows, bias, fuse ? code : 0),
    );
    return fuse;
  }

  dispose(): void {
    if (this.handle === undefined) return;
    this.addon.freePacked(this.handle);
    this.handle = undefined;
  }
}

/** Result of trying to create the native engine: the engine, or why not. */
export type NativeGemmResult =
  | { gemm: NativeGemm }
  | { gemm?: undefined; reason: string; error?: BackendError };

/**
 * The native GEMM, or the reason it is unavailable (not Node, addon missing or failing to load). An
 * instruction-set path forced by `options.isa` or $DEBERTA_CPU_ISA that this CPU cannot run (or that is
 * unknown) is an error, whatever the caller asked: the override exists for tests and must not be ignored.
 */
export async function createNativeGemm(options: NativeGemmOptions = {}): Promise<NativeGemmResult> {
  const loaded = await loadNativeAddon();
  if (loaded.addon === undefined) return { reason: loaded.reason };
  const addon = loaded.addon;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const forced = options.isa ?? (env?.DEBERTA_CPU_ISA || undefined);
  const info = addon.info();
  if (forced !== undefined && !ISAS.includes(forced as NativeIsa))
    throw new BackendError(
      "BACKEND_UNAVAILABLE",
      `cpu native: unknown instruction-set path "${forced}" (DEBERTA_CPU_ISA: ${ISAS.join(" | ")})`,
    );
  const isa = (forced as NativeIsa | undefined) ?? info.best;
  if (!info.supported.includes(isa))
    throw new BackendError(
      "BACKEND_UNAVAILABLE",
      `cpu native: this CPU cannot run the ${isa} path (it runs: ${info.supported.join(", ")}; compiled: ${info.compiled.join(", ")})`,
    );
  let threads = options.threads;
  if (threads === undefined) threads = await defaultNativeThreads();
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024)
    throw new BackendError(
      "BACKEND_UNAVAILABLE",
      `cpu native: threads must be an integer in [1, 1024], got ${threads}`,
    );
  const handle = addon.createEngine(isa, threads);
  if (typeof handle === "number") {
    checkStatus("createEngine", handle);
    return { reason: "createEngine returned no engine" };
  }
  return { gemm: new NativeGemm(addon, handle) };
}
