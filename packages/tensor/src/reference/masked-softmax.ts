// maskedSoftmax(x, m) = softmax(where(m != 0, x, lowest)) over the last axis (transformers' masked_fill
// with torch.finfo(float32).min, then softmax).

import { Tensor } from "onnxruntime-common";
import type { Backend } from "../backend.js";
import type { TensorHandle } from "../handle.js";
import { Scope } from "./scope.js";

export const FLOAT32_LOWEST = -3.4028234663852886e38;

export function maskedSoftmaxReference(
  backend: Backend,
  inputs: { x: TensorHandle; mask?: TensorHandle },
): TensorHandle {
  const s = new Scope(backend);
  const axis = inputs.x.shape.length - 1;
  let x = inputs.x;
  if (inputs.mask !== undefined) {
    const lowest = s.keep(backend.upload(new Tensor("float32", Float32Array.of(FLOAT32_LOWEST), [1])));
    x = s.keep(backend.run("where", { condition: inputs.mask, a: x, b: lowest }, {}));
  }
  const max = s.keep(backend.run("reduce", { x }, { op: "max", axis, keepDims: true }));
  const e = s.keep(
    backend.run(
      "unary",
      { x: s.keep(backend.run("binary", { a: x, b: max }, { op: "sub" })) },
      { op: "exp" },
    ),
  );
  const sum = s.keep(backend.run("reduce", { x: e }, { op: "sum", axis, keepDims: true }));
  const out = s.keep(backend.run("binary", { a: e, b: sum }, { op: "div" }));
  s.disposeExcept(out);
  return out;
}
