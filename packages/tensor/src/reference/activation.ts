// Activations by transformers' names:
//   gelu(x)        = x · ½(1 + erf(x / √2))
//   gelu_new(x)    = gelu_pytorch_tanh(x) = ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
//   relu, tanh, sigmoid elementwise; linear is the identity.
import type { Backend } from "../backend.js";
import type { TensorHandle } from "../handle.js";
import type { Activation } from "../ops.js";
import { Scope } from "./scope.js";

export function activationReference(
  backend: Backend,
  inputs: { x: TensorHandle },
  attrs: { fn: Activation },
): TensorHandle {
  const { x } = inputs;
  const s = new Scope(backend);
  const unary = (h: TensorHandle, op: "erf" | "tanh" | "relu" | "sigmoid") =>
    s.keep(backend.run("unary", { x: h }, { op }));
  const affine = (h: TensorHandle, scale: number, shift = 0) =>
    s.keep(backend.run("affine", { x: h }, { scale, shift }));
  const mul = (a: TensorHandle, b: TensorHandle) => s.keep(backend.run("binary", { a, b }, { op: "mul" }));
  let out: TensorHandle;
  switch (attrs.fn) {
    case "gelu": {
      const half = affine(unary(affine(x, Math.SQRT1_2), "erf"), 0.5, 0.5);
      out = mul(x, half);
      break;
    }
    case "gelu_new":
    case "gelu_pytorch_tanh": {
      const cube = mul(mul(x, x), x);
      const inner = affine(
        s.keep(backend.run("binary", { a: x, b: affine(cube, 0.044715) }, { op: "add" })),
        Math.sqrt(2 / Math.PI),
      );
      out = mul(x, affine(unary(inner, "tanh"), 0.5, 0.5));
      break;
    }
    case "relu":
    case "tanh":
    case "sigmoid":
      out = unary(x, attrs.fn);
      break;
    case "linear":
      out = affine(x, 1, 0);
      break;
  }
  s.disposeExcept(out);
  return out;
}
