// layerNorm(x) = γ · (x - μ) / √(σ² + ε) + β over the last axis, with x = x + residual when given.
import type { Backend } from "../backend.js";
import type { TensorHandle } from "../handle.js";
import { Scope } from "./scope.js";

export function layerNormReference(
  backend: Backend,
  inputs: { x: TensorHandle; residual?: TensorHandle; gamma: TensorHandle; beta: TensorHandle },
  attrs: { epsilon: number },
): TensorHandle {
  const s = new Scope(backend);
  const axis = inputs.x.shape.length - 1;
  const bin = (a: TensorHandle, b: TensorHandle, op: "add" | "sub" | "mul") =>
    s.keep(backend.run("binary", { a, b }, { op }));
  const x = inputs.residual === undefined ? inputs.x : bin(inputs.x, inputs.residual, "add");
  const mean = s.keep(backend.run("reduce", { x }, { op: "mean", axis, keepDims: true }));
  const centered = bin(x, mean, "sub");
  const variance = s.keep(
    backend.run("reduce", { x: bin(centered, centered, "mul") }, { op: "mean", axis, keepDims: true }),
  );
  const inv = s.keep(
    backend.run(
      "unary",
      { x: s.keep(backend.run("affine", { x: variance }, { scale: 1, shift: attrs.epsilon })) },
      { op: "rsqrt" },
    ),
  );
  const out = bin(bin(bin(centered, inv, "mul"), inputs.gamma, "mul"), inputs.beta, "add");
  s.disposeExcept(out);
  return out;
}
