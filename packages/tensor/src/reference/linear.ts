// linear(x, W, b) = act(x · Wᵀ + b), W in PyTorch's [out, in] layout.
import type { Backend } from "../backend.js";
import type { TensorHandle } from "../handle.js";
import type { Activation } from "../ops.js";
import { activationReference } from "./activation.js";
import { Scope } from "./scope.js";

export function linearReference(
  backend: Backend,
  inputs: { x: TensorHandle; weight: TensorHandle; bias?: TensorHandle },
  attrs: { activation?: Activation },
): TensorHandle {
  const s = new Scope(backend);
  let out = s.keep(backend.run("matmul", { a: inputs.x, b: inputs.weight }, { transposeB: true }));
  if (inputs.bias !== undefined)
    out = s.keep(backend.run("binary", { a: out, b: inputs.bias }, { op: "add" }));
  if (attrs.activation !== undefined && attrs.activation !== "linear") {
    out = s.keep(activationReference(backend, { x: out }, { fn: attrs.activation }));
  }
  s.disposeExcept(out);
  return out;
}
