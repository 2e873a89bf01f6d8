import type { PrimitiveKernelTable } from "@deberta/tensor";
import { affine } from "./affine.js";
import { binary } from "./binary.js";
import { cast } from "./cast.js";
import { concat } from "./concat.js";
import type { CpuContext } from "./context.js";
import { gather } from "./gather.js";
import { gatherElements } from "./gather-elements.js";
import { matmul } from "./matmul.js";
import { reduce } from "./reduce.js";
import { reshape } from "./reshape.js";
import { slice } from "./slice.js";
import { transpose } from "./transpose.js";
import { unary } from "./unary.js";
import { where } from "./where.js";

export type PrimitiveKernels = PrimitiveKernelTable<CpuContext>;

/** One entry per primitive op; each kernel lives in its own file. */
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

export { activation } from "./activation.js";
export { disentangledAttention } from "./disentangled-attention.js";
export { disentangledAttentionWasm } from "./disentangled-attention-wasm.js";
export { layerNorm } from "./layer-norm.js";
export { linear } from "./linear.js";
export { maskedSoftmax } from "./masked-softmax.js";
