import type { Backend } from "./backend.js";
import type { FusedOpName, FusedOps, OpAttrs, OpInputs, OpOutput } from "./ops.js";
import { referenceKernels } from "./reference/index.js";

/** Runs a fused op: the backend's own kernel when it has one, else the reference built from primitives. */
export function runFused<K extends FusedOpName>(
  backend: Backend,
  op: K,
  inputs: OpInputs<FusedOps, K>,
  attrs: OpAttrs<FusedOps, K>,
): OpOutput<FusedOps, K> {
  const native = backend.fused[op];
  if (native !== undefined) return native(inputs, attrs);
  return referenceKernels[op](backend, inputs, attrs);
}
