import type { DType } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import type { Params } from "../params.js";

/** Each kernel entry point and the kernel file (kernels/<file>.cu, a module of the generated PTX) it is in. */
export const KERNEL_FILES = {
  unary_f32: "unary",
  bias_activation_f32: "activation",
  affine_f32: "affine",
  binary_f32: "binary",
  binary_i32: "binary",
  where_32: "where",
  copy_strided_32: "strided_copy",
  concat_32: "concat",
  reduce_f32: "reduce",
  gather_32: "gather",
  gather_elements_32: "gather_elements",
  cast_i32_f32: "cast",
  cast_f32_i32: "cast",
  matmul_f32: "matmul",
  layer_norm_f32: "layer_norm",
  disentangled_attention_f32: "disentangled_attention",
} as const;

export type KernelName = keyof typeof KERNEL_FILES;

/** cuBLASLt's column-major GEMM (device pointers, leading dimensions in elements). */
export interface BlasLtGemm {
  transa: boolean;
  transb: boolean;
  m: number;
  n: number;
  k: number;
  a: number;
  lda: number;
  b: number;
  ldb: number;
  d: number;
  ldd: number;
  /** Added to every column of D (length m): cuBLASLt's bias epilogue. */
  bias?: number;
}

/** What kernels get from the backend: tensor checks, allocation, launches on the backend's stream. */
export interface CudaContext {
  readonly name: string;
  /** The live tensor behind a handle of this backend (throws a typed error naming `op` otherwise). */
  tensor(handle: unknown, op: string): CudaTensor;
  alloc(dtype: DType, shape: readonly number[], op: string): CudaTensor;
  /** A new handle on the same device memory (reshape). */
  view(t: CudaTensor, shape: readonly number[]): CudaTensor;
  /** Frees an intermediate. */
  release(t: CudaTensor): void;
  launch(
    op: string,
    kernel: KernelName,
    grid: readonly [number, number, number],
    block: readonly [number, number, number],
    params: Params,
    sharedBytes?: number,
  ): void;
  /** A grid-stride elementwise launch over n elements (nothing when n is 0). */
  launch1d(op: string, kernel: KernelName, n: number, params: Params): void;
  /** cuBLASLt, or undefined when the backend runs its own GEMM kernel (`gemm: "kernel"`). */
  readonly blasLt: ((op: string, gemm: BlasLtGemm) => void) | undefined;
}
