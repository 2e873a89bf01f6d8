import { BackendError, type DType, type TensorHandle } from "@deberta/tensor";

export type CpuData = Float32Array | Int32Array;

/**
 * A tensor of the CPU backend: a typed array in ordinary memory. Integers (int32 and int64) are held as
 * Int32Array, which every index the model uses fits; int64 is restored on download.
 */
export class CpuTensor implements TensorHandle {
  readonly backend = "cpu";
  private data_: CpuData | undefined;
  /** Created by a kernel (not wrapping caller data): its array may be reused once it is disposed. */
  recyclable = false;
  /** Set by `prepareLinearWeight`: the weight in the GEMM engine's packed layout. */
  packed: { dispose(): void } | undefined;

  constructor(
    readonly dtype: DType,
    readonly shape: readonly number[],
    data: CpuData,
  ) {
    this.data_ = data;
  }

  /** Set when only the packed copy is kept (a weight prepared with `exclusive`). */
  private packedOnly = false;

  get alive(): boolean {
    return this.data_ !== undefined || this.packedOnly;
  }

  get data(): CpuData {
    if (this.packedOnly) {
      throw new BackendError(
        "BACKEND_DTYPE",
        `cpu: weight [${this.shape.join(", ")}] was packed for linear with exclusive use; it has no other copy to read`,
      );
    }
    if (this.data_ === undefined) {
      throw new BackendError(
        "BACKEND_DISPOSED",
        `cpu: tensor [${this.shape.join(", ")}] was disposed and cannot be used`,
      );
    }
    return this.data_;
  }

  /** The array, or undefined when disposed or held only packed (never throws). */
  peek(): CpuData | undefined {
    return this.data_;
  }

  get f32(): Float32Array {
    const d = this.data;
    if (!(d instanceof Float32Array)) {
      throw new BackendError(
        "BACKEND_DTYPE",
        `cpu: expected a float32 tensor, got ${this.dtype} [${this.shape.join(", ")}]`,
      );
    }
    return d;
  }

  get bytes(): number {
    return this.data_ === undefined ? 0 : this.data_.byteLength;
  }

  /** Keeps only the packed copy (the host array can then be garbage-collected). */
  dropHostCopy(): void {
    if (this.packed === undefined) return;
    this.data_ = undefined;
    this.packedOnly = true;
  }

  release(): void {
    this.packedOnly = false;
    this.data_ = undefined;
    this.packed?.dispose();
    this.packed = undefined;
  }
}

export function asCpu(h: TensorHandle, op: string): CpuTensor {
  if (!(h instanceof CpuTensor)) {
    throw new BackendError(
      "BACKEND_DTYPE",
      `cpu: ${op} got a tensor of backend "${h.backend}"; download and upload it first`,
      { op },
    );
  }
  if (!h.alive)
    throw new BackendError("BACKEND_DISPOSED", `cpu: ${op} got a disposed tensor [${h.shape.join(", ")}]`, {
      op,
    });
  return h;
}
