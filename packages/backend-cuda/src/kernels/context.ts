import type { DType } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import type { Params } from "../params.js";

/** The float storage types of the kernels (one per backend: its `dtype`), as kernel-name suffixes. */
export type FloatSuffix = "f32" | "f16" | "bf16";
export const FLOAT_SUFFIXES: readonly FloatSuffix[] = ["f32", "f16", "bf16"];

/** Kernels instantiated once per float storage type (`<name>_<suffix>`), by the file they are in. */
const FLOAT_KERNELS = {
  unary: "unary",
  bias_activation: "activation",
  affine: "affine",
  binary: "binary",
  reduce: "reduce",
  matmul: "matmul",
  layer_norm: "layer_norm",
  disentangled_attention: "disentangled_attention",
} as const;

/** Kernels that copy bits, once per element width (`<name>_32`: float32 / int32, `<name>_16`: halves). */
const BIT_KERNELS = {
  where: "where",
  copy_strided: "strided_copy",
  concat: "concat",
  gather: "gather",
  gather_elements: "gather_elements",
} as const;

export type FloatKernel = keyof typeof FLOAT_KERNELS;
export type BitKernel = keyof typeof BIT_KERNELS;
export type KernelName =
  | `${FloatKernel}_${FloatSuffix}`
  | `${BitKernel}_${32 | 16}`
  | "binary_i32"
  | `cast_i32_${FloatSuffix}`
  | `cast_${FloatSuffix}_i32`
  | "cast_f32_f16"
  | "cast_f32_bf16"
  | "cast_f16_f32"
  | "cast_bf16_f32"
  | `disentangled_attention_mma_${HalfSuffix}`
  | `overflow_count_${"prepare" | 32 | 16}`;

/** The half storage types, as kernel-name suffixes (the tensor-core kernels exist for these only). */
export type HalfSuffix = Exclude<FloatSuffix, "f32">;

/**
 * The attention kernel of half storage: "tiled" (CUDA-core float32 maths, kernels/disentangled_attention.cu)
 * or "mma" (tensor cores, kernels/disentangled_attention_mma.cu; float32 storage always runs "tiled").
 */
export type CudaAttention = "tiled" | "mma";

function kernelFiles(): Record<KernelName, string> {
  const out: Record<string, string> = { binary_i32: "binary" };
  for (const s of FLOAT_SUFFIXES) {
    for (const [k, file] of Object.entries(FLOAT_KERNELS)) out[`${k}_${s}`] = file;
    out[`cast_i32_${s}`] = "cast";
    out[`cast_${s}_i32`] = "cast";
  }
  for (const [k, file] of Object.entries(BIT_KERNELS)) {
    out[`${k}_32`] = file;
    out[`${k}_16`] = file;
  }
  for (const name of ["cast_f32_f16", "cast_f32_bf16", "cast_f16_f32", "cast_bf16_f32"]) out[name] = "cast";
  for (const s of ["f16", "bf16"]) out[`disentangled_attention_mma_${s}`] = "disentangled_attention_mma";
  for (const k of ["prepare", 32, 16]) out[`overflow_count_${k}`] = "overflow_count";
  return out as Record<KernelName, string>;
}

/** Each kernel entry point and the kernel file (kernels/<file>.cu, a module of the generated PTX) it is in. */
export const KERNEL_FILES: Readonly<Record<KernelName, string>> = kernelFiles();

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
  /** The float storage type of this backend (every float tensor has it), as a kernel suffix. */
  readonly float: FloatSuffix;
  /** cuBLASLt's data type of the float storage (CUDA_R_32F 0, CUDA_R_16F 2, CUDA_R_16BF 14). */
  readonly blasType: number;
  /** The attention kernel asked for half storage ("tiled" or "mma"). */
  readonly attention: CudaAttention;
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

/** The entry point of float kernel `name` for the backend's storage type. */
export const floatKernel = (ctx: CudaContext, name: FloatKernel): KernelName => `${name}_${ctx.float}`;

/** The entry point of bit-copying kernel `name` for `t`'s element width. */
export const bitKernel = (name: BitKernel, t: CudaTensor): KernelName =>
  `${name}_${t.elementBytes === 2 ? 16 : 32}`;
