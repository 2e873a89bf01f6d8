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
import { NativeExecutor } from "./executor.js";
import { defaultNativeThreads } from "./physical-cores.js";

/** transformers' activation names → the addon's activation codes (native/isa.h, Activation). */
export const NATIVE_ACTIVATIONS: Record<Activation, number> = {
  linear: 0,
  gelu: 1,
  relu: 2,
  gelu_new: 3,
  gelu_pytorch_tanh: 3,
  tanh: 4,
  sigmoid: 5,
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

export class NativeGemm implements PackingGemm {
  readonly name: string;
  readonly isa: NativeIsa;
  readonly threads: number;
  /** Records and runs the backend's ops as programs (src/native/ops/). */
  readonly executor: NativeExecutor;
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
    this.executor = new NativeExecutor(addon, (op) => this.live(op));
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

  close(): void {
    if (this.handle === undefined) return;
    this.executor.close();
    this.addon.destroyEngine(this.handle);
    this.handle = undefined;
  }
}

export class NativePackedLinear implements PackedLinear {
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

  /** The addon's handle, for a program's linear command. */
  handleFor(op: string): NativePackedHandle {
    if (this.handle === undefined)
      throw new BackendError("BACKEND_DISPOSED", `${op}: the packed weight was disposed`, { op });
    return this.handle;
  }

  apply(x: Float32Array, rows: number, out: Float32Array, epilogue: LinearEpilogue = {}): boolean {
    const op = "linear";
    if (this.handle === undefined)
      throw new BackendError("BACKEND_DISPOSED", `${op}: the packed weight was disposed`, { op });
    checkDims(op, { rows });
    checkRange(op, "x", x, 0, rows * this.inFeatures, [rows, this.inFeatures]);
    checkRange(op, "out", out, 0, rows * this.outFeatures, [rows, this.outFeatures]);
    const code = epilogue.activation === undefined ? 0 : NATIVE_ACTIVATIONS[epilogue.activation];
    const bias = epilogue.bias ?? null;
    if (bias !== null) checkRange(op, "bias", bias, 0, this.outFeatures, [this.outFeatures]);
    checkStatus(op, this.addon.matmulPacked(this.engine(), this.handle, x, 0, out, 0, rows, bias, code));
    return true;
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
