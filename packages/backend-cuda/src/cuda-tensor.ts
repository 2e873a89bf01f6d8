import { BackendError, type DType, type TensorHandle } from "@deberta/tensor";

/** Device memory shared by the handles that view it (reshape is a new handle on it); freed with the last. */
export class DeviceStorage {
  refs = 1;
  constructor(
    /** The device pointer (a CUdeviceptr below 2⁵³). */
    readonly ptr: number,
    readonly bytes: number,
  ) {}
}

/**
 * A tensor of the CUDA backend: floats in the backend's storage type (float32, 4 bytes; or a half type, 2
 * bytes, with `dtype` "float16" for both float16 and bfloat16 storage, as @deberta/tensor has no bfloat16),
 * or integers as int32 (int64 is range-checked at upload and restored on download). Integer tensors uploaded from the host keep that copy, so index ops reject
 * out-of-range indices before the launch.
 */
export class CudaTensor implements TensorHandle {
  private storage_: DeviceStorage | undefined;

  constructor(
    readonly backend: string,
    readonly dtype: DType,
    readonly shape: readonly number[],
    storage: DeviceStorage,
    readonly host?: Int32Array,
  ) {
    this.storage_ = storage;
  }

  get alive(): boolean {
    return this.storage_ !== undefined;
  }

  get storage(): DeviceStorage {
    if (this.storage_ === undefined)
      throw new BackendError(
        "BACKEND_DISPOSED",
        `${this.backend}: tensor [${this.shape.join(", ")}] was disposed`,
      );
    return this.storage_;
  }

  get ptr(): number {
    return this.storage.ptr;
  }

  get size(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }

  /** Bytes per element as stored: 2 for the half types, else 4. */
  get elementBytes(): number {
    return this.dtype === "float16" ? 2 : 4;
  }

  get isFloat(): boolean {
    return this.dtype === "float32" || this.dtype === "float16";
  }

  /** Detaches the storage; returns it when this was its last handle. */
  release(): DeviceStorage | undefined {
    const s = this.storage_;
    this.storage_ = undefined;
    if (s === undefined) return undefined;
    s.refs -= 1;
    return s.refs === 0 ? s : undefined;
  }
}

export function asCuda(handle: TensorHandle, backend: string, op: string): CudaTensor {
  if (!(handle instanceof CudaTensor) || handle.backend !== backend) {
    throw new BackendError(
      "BACKEND_DTYPE",
      `${op}: tensor [${handle.shape.join(", ")}] belongs to backend "${handle.backend}", not "${backend}"`,
      { op, shapes: [handle.shape] },
    );
  }
  if (!handle.alive) {
    throw new BackendError("BACKEND_DISPOSED", `${op}: tensor [${handle.shape.join(", ")}] was disposed`, {
      op,
      shapes: [handle.shape],
    });
  }
  return handle;
}
