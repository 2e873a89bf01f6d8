// overflowCount(x, counts?; limit) = [...counts, Σ [x is NaN or |x| ≥ limit]], from primitives:
//   reached = where(limit − min(|x|, limit), 0, 1)     1 exactly when |x| ≥ limit: the difference of two
//                                                      distinct floats is never 0, so no rounding blurs it
//   flag    = where(x − x, 1, reached)                 x − x is NaN (≠ 0) for NaN and ±inf, 0 otherwise
//   count   = cast(sum(flag), int32), appended to counts
// The limit is compared as the backend stores it (65504 and small dyadic limits are exact everywhere).
import { Tensor } from "onnxruntime-common";
import type { Backend } from "../backend.js";
import { BackendError } from "../errors.js";
import type { TensorHandle } from "../handle.js";
import { Scope } from "./scope.js";

export function overflowCountReference(
  backend: Backend,
  inputs: { x: TensorHandle; counts?: TensorHandle },
  attrs: { limit: number },
): TensorHandle {
  const { x, counts } = inputs;
  if (x.dtype !== "float32" && x.dtype !== "float16")
    throw new BackendError("BACKEND_DTYPE", `overflowCount: x must be a float tensor, got ${x.dtype}`, {
      op: "overflowCount",
      shapes: [x.shape],
    });
  if (Number.isNaN(attrs.limit))
    throw new BackendError("BACKEND_SHAPE", "overflowCount: limit must be a number, got NaN", {
      op: "overflowCount",
    });
  const s = new Scope(backend);
  const scalar = (v: number) => s.keep(backend.upload(new Tensor("float32", Float32Array.of(v), [1])));
  const limit = scalar(attrs.limit);
  const zero = scalar(0);
  const one = scalar(1);
  const bin = (a: TensorHandle, b: TensorHandle, op: "sub" | "min") =>
    s.keep(backend.run("binary", { a, b }, { op }));
  const where = (condition: TensorHandle, a: TensorHandle, b: TensorHandle) =>
    s.keep(backend.run("where", { condition, a, b }, {}));
  const magnitude = s.keep(backend.run("unary", { x }, { op: "abs" }));
  const reached = where(bin(limit, bin(magnitude, limit, "min"), "sub"), zero, one);
  const flag = where(bin(x, x, "sub"), one, reached);
  const flat = s.keep(
    backend.run("reshape", { x: flag }, { shape: [flag.shape.reduce((a, b) => a * b, 1)] }),
  );
  const sum = s.keep(backend.run("reduce", { x: flat }, { op: "sum", axis: 0, keepDims: true }));
  const count = s.keep(backend.run("cast", { x: sum }, { to: "int32" }));
  const previous =
    counts === undefined || counts.dtype === "int32"
      ? counts
      : s.keep(backend.run("cast", { x: counts }, { to: "int32" }));
  const out =
    previous === undefined ? count : s.keep(backend.run("concat", { xs: [previous, count] }, { axis: 0 }));
  s.disposeExcept(out);
  return out;
}
