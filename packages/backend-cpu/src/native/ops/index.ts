// The native engine's ops: each records one command into the current program (or declines, returning
// undefined, for what it does not take natively, e.g. integer operands; the backend then runs the JavaScript
// kernel once what it reads is computed). One op per file.
import type {
  FusedOpName,
  FusedOps,
  OpAttrs,
  OpInputs,
  OpOutput,
  PrimitiveOpName,
  PrimitiveOps,
} from "@deberta/tensor";
import { activationNative } from "./activation.js";
import { affineNative } from "./affine.js";
import { binaryNative } from "./binary.js";
import type { NativeOpContext } from "./context.js";
import { disentangledAttentionNative } from "./disentangled-attention.js";
import { gatherNative } from "./gather.js";
import { layerNormNative } from "./layer-norm.js";
import { linearNative } from "./linear.js";
import { maskedSoftmaxNative } from "./masked-softmax.js";
import { reshapeNative } from "./reshape.js";
import { sliceNative } from "./slice.js";
import { transposeNative } from "./transpose.js";

export type { NativeOpContext } from "./context.js";

export type NativePrimitiveOps = {
  [K in PrimitiveOpName]?: (
    ctx: NativeOpContext,
    inputs: OpInputs<PrimitiveOps, K>,
    attrs: OpAttrs<PrimitiveOps, K>,
  ) => OpOutput<PrimitiveOps, K> | undefined;
};

export type NativeFusedOps = {
  [K in FusedOpName]?: (
    ctx: NativeOpContext,
    inputs: OpInputs<FusedOps, K>,
    attrs: OpAttrs<FusedOps, K>,
  ) => OpOutput<FusedOps, K> | undefined;
};

/** The primitives a DeBERTa forward uses; the rest (matmul, reduce, where, ...) run as JavaScript kernels. */
export const nativePrimitiveOps: NativePrimitiveOps = {
  gather: gatherNative,
  binary: binaryNative,
  affine: affineNative,
  transpose: transposeNative,
  slice: sliceNative,
  reshape: reshapeNative,
};

export const nativeFusedOps: NativeFusedOps = {
  linear: linearNative,
  layerNorm: layerNormNative,
  activation: activationNative,
  maskedSoftmax: (ctx, inputs) => maskedSoftmaxNative(ctx, inputs),
  disentangledAttention: disentangledAttentionNative,
};
