import type { Tensor } from "onnxruntime-common";
import type { FloatStorage } from "./dtype.js";
import type { TensorHandle } from "./handle.js";
import type {
  FusedOpName,
  FusedOps,
  OpAttrs,
  OpInputs,
  OpOutput,
  PrimitiveOpName,
  PrimitiveOps,
} from "./ops.js";

export interface MemoryInfo {
  /** Bytes held by live tensors (and packed weights). */
  bytesInUse: number;
  peakBytes: number;
  tensors: number;
}

/** Implementations of the fused ops a backend provides natively, each typed by the op table. */
export type FusedKernels = {
  [K in FusedOpName]?: (inputs: OpInputs<FusedOps, K>, attrs: OpAttrs<FusedOps, K>) => OpOutput<FusedOps, K>;
};

/**
 * A compute backend. Designed for GPUs as much as CPUs: tensors are device-resident handles, `upload` is
 * synchronous (a GPU backend queues the copy), reading back is asynchronous, and every op returns a new
 * handle without waiting for the result.
 */
export interface Backend {
  readonly name: string;
  /**
   * How float tensors are stored (absent: float32). A model runs float16-range checks (`overflowCount`)
   * only where this is "float16".
   */
  readonly floatStorage?: FloatStorage;
  /** Fused ops implemented natively; the others run as their reference built from the primitives. */
  readonly fused: FusedKernels;
  upload(tensor: Tensor): TensorHandle;
  download(handle: TensorHandle): Promise<Tensor>;
  dispose(handle: TensorHandle): void;
  memory(): MemoryInfo;
  run<K extends PrimitiveOpName>(
    op: K,
    inputs: OpInputs<PrimitiveOps, K>,
    attrs: OpAttrs<PrimitiveOps, K>,
  ): OpOutput<PrimitiveOps, K>;
  /**
   * Optional: prepare a weight that will be the `weight` of `linear` many times (the CPU backend packs it
   * into its GEMM panel layout once, at load). With `exclusive`, the caller promises to use the handle only
   * as a linear weight, so the backend may drop every other copy of it.
   */
  prepareLinearWeight?(weight: TensorHandle, options?: { exclusive?: boolean }): void;
  /** Waits until queued work is done (GPU backends); CPU backends resolve at once. */
  sync(): Promise<void>;
  /** Frees every resource; further use throws BACKEND_DISPOSED. */
  close(): void;
}
