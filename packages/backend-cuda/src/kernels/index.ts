import type {
  Backend,
  FusedOpName,
  FusedOps,
  OpAttrs,
  OpInputs,
  OpOutput,
  PrimitiveKernelTable,
} from "@deberta/tensor";
import { activation } from "./activation.js";
import { affine } from "./affine.js";
import { binary } from "./binary.js";
import { cast } from "./cast.js";
import { concat } from "./concat.js";
import type { CudaContext } from "./context.js";
import { disentangledAttention } from "./disentangled-attention.js";
import { gather } from "./gather.js";
import { gatherElements } from "./gather-elements.js";
import { layerNorm } from "./layer-norm.js";
import { linear } from "./linear.js";
import { matmul } from "./matmul.js";
import { overflowCount } from "./overflow-count.js";
import { reduce } from "./reduce.js";
import { reshape } from "./reshape.js";
import { slice } from "./slice.js";
import { transpose } from "./transpose.js";
import { unary } from "./unary.js";
import { where } from "./where.js";

export type PrimitiveKernels = PrimitiveKernelTable<CudaContext>;

/** Every primitive op's kernel, by op name (typed by the op table). */
export const primitiveKernels: PrimitiveKernels = {
  matmul,
  binary,
  unary,
  affine,
  reduce,
  gather,
  gatherElements,
  where,
  reshape,
  transpose,
  slice,
  concat,
  cast,
};

export type FusedCudaKernels = {
  [K in FusedOpName]?: (
    ctx: CudaContext,
    inputs: OpInputs<FusedOps, K>,
    attrs: OpAttrs<FusedOps, K>,
    backend: Backend,
  ) => OpOutput<FusedOps, K>;
};

/** The fused ops this backend implements natively; maskedSoftmax runs as its reference (from primitives). */
export const fusedKernels = {
  linear: (ctx: CudaContext, i: OpInputs<FusedOps, "linear">, a: OpAttrs<FusedOps, "linear">) =>
    linear(ctx, i, a),
  layerNorm,
  activation: (ctx: CudaContext, i: OpInputs<FusedOps, "activation">, a: OpAttrs<FusedOps, "activation">) =>
    activation(ctx, i, a),
  disentangledAttention,
  overflowCount: (
    ctx: CudaContext,
    i: OpInputs<FusedOps, "overflowCount">,
    a: OpAttrs<FusedOps, "overflowCount">,
  ) => overflowCount(ctx, i, a),
} satisfies FusedCudaKernels;
