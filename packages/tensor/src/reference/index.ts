import type { Backend } from "../backend.js";
import type { FusedOpName, FusedOps, OpAttrs, OpInputs, OpOutput } from "../ops.js";
import { activationReference } from "./activation.js";
import { disentangledAttentionReference } from "./disentangled-attention.js";
import { layerNormReference } from "./layer-norm.js";
import { linearReference } from "./linear.js";
import { maskedSoftmaxReference } from "./masked-softmax.js";
import { overflowCountReference } from "./overflow-count.js";

export type ReferenceKernels = {
  [K in FusedOpName]: (
    backend: Backend,
    inputs: OpInputs<FusedOps, K>,
    attrs: OpAttrs<FusedOps, K>,
  ) => OpOutput<FusedOps, K>;
};

/** The reference of every fused op, built from the primitives. */
export const referenceKernels: ReferenceKernels = {
  linear: linearReference,
  layerNorm: layerNormReference,
  activation: activationReference,
  maskedSoftmax: (backend, inputs) => maskedSoftmaxReference(backend, inputs),
  disentangledAttention: disentangledAttentionReference,
  overflowCount: overflowCountReference,
};

export { FLOAT32_LOWEST } from "./masked-softmax.js";
