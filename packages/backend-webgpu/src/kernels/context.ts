import type { DType } from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import type { ElementType, Params, Program } from "../program.js";

/** What kernels get from the backend: tensor checks, output allocation, and recording dispatches. */
export interface GpuContext {
  readonly name: string;
  /** The dtype of float tensors on this backend ("float32", or "float16" in the fp16 mode). */
  readonly floatDtype: "float32" | "float16";
  /** WGSL header declaring the float type alias F (and enabling f16 where used). */
  readonly header: string;
  /** Whether the device has subgroup operations (used by reductions when present). */
  readonly subgroups: boolean;
  /** Largest workgroup storage in bytes. */
  readonly maxWorkgroupStorage: number;
  /** Storage buffers one shader may bind (the device's limit). */
  readonly maxStorageBuffers: number;
  /** The live tensor behind a handle of this backend (throws a typed error naming `op` otherwise). */
  tensor(handle: unknown, op: string): GpuTensor;
  alloc(dtype: DType, shape: readonly number[], op: string): GpuTensor;
  /** A new handle on the same storage (reshape). */
  view(t: GpuTensor, shape: readonly number[]): GpuTensor;
  dispatch(
    program: Program,
    tensors: GpuTensor[],
    params: Params,
    workgroups: [number, number, number],
  ): void;
}

export function elementType(t: GpuTensor): ElementType {
  return t.isFloat ? "F" : "i32";
}
