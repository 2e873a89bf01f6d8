// binary: a ∘ b with numpy broadcasting (kernels/binary.cu); floats (the backend's storage type, float32
// math), or int32 when both are integers (a mixed pair computes as floats).
import {
  type BinaryOp,
  broadcastShapes,
  type OpAttrs,
  type OpInputs,
  type PrimitiveOps,
} from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import { broadcastStrides, Params } from "../params.js";
import { castTo } from "./cast.js";
import { type CudaContext, floatKernel } from "./context.js";

const OPS: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5 };

export function binary(
  ctx: CudaContext,
  inputs: OpInputs<PrimitiveOps, "binary">,
  attrs: OpAttrs<PrimitiveOps, "binary">,
): CudaTensor {
  let a = ctx.tensor(inputs.a, "binary");
  let b = ctx.tensor(inputs.b, "binary");
  const shape = broadcastShapes("binary", a.shape, b.shape);
  const code = OPS[attrs.op];
  if (code === undefined) throw new Error(`binary: unknown op ${attrs.op}`);
  const integer = !a.isFloat && !b.isFloat;
  const temps: CudaTensor[] = [];
  if (!integer && !a.isFloat) {
    a = castTo(ctx, "binary", a, "float32");
    temps.push(a);
  }
  if (!integer && !b.isFloat) {
    b = castTo(ctx, "binary", b, "float32");
    temps.push(b);
  }
  const out = ctx.alloc(integer ? "int32" : "float32", shape, "binary");
  const p = new Params().ptr(out.ptr).ptr(a.ptr).ptr(b.ptr).i64(out.size).i32(shape.length).i32(code);
  p.dims(shape).dims(broadcastStrides(a.shape, shape)).dims(broadcastStrides(b.shape, shape));
  ctx.launch1d("binary", integer ? "binary_i32" : floatKernel(ctx, "binary"), out.size, p);
  for (const t of temps) ctx.release(t);
  return out;
}
