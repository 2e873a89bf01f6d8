// overflowCount: the tally of values out of range (kernels/overflow_count.cu): one block copies the previous
// tally and zeroes the new slot, then the counting kernel adds to it. The limit becomes the magnitude bits of
// the backend's storage type (float32, float16 or bfloat16), compared as integers on the GPU.
import {
  BackendError,
  type FloatStorage,
  type FusedOps,
  magnitudeLimitBits,
  type OpAttrs,
  type OpInputs,
  shapeError,
} from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import { Params } from "../params.js";
import type { CudaContext, FloatSuffix } from "./context.js";

const STORAGE: Readonly<Record<FloatSuffix, FloatStorage>> = {
  f32: "float32",
  f16: "float16",
  bf16: "bfloat16",
};

export function overflowCount(
  ctx: CudaContext,
  inputs: OpInputs<FusedOps, "overflowCount">,
  attrs: OpAttrs<FusedOps, "overflowCount">,
): CudaTensor {
  const x = ctx.tensor(inputs.x, "overflowCount");
  const counts = inputs.counts === undefined ? undefined : ctx.tensor(inputs.counts, "overflowCount");
  const shapes = counts === undefined ? [x.shape] : [x.shape, counts.shape];
  if (!x.isFloat)
    throw new BackendError("BACKEND_DTYPE", `overflowCount: x must be a float tensor, got ${x.dtype}`, {
      op: "overflowCount",
      shapes,
    });
  if (counts !== undefined && (counts.isFloat || counts.shape.length !== 1))
    throw shapeError("overflowCount", "counts must be a 1-D integer tensor", shapes);
  const storage = STORAGE[ctx.float];
  const limitBits = magnitudeLimitBits(attrs.limit, storage);
  const n = counts?.size ?? 0;
  const out = ctx.alloc("int32", [n + 1], "overflowCount");
  ctx.launch(
    "overflowCount",
    "overflow_count_prepare",
    [1, 1, 1],
    [256, 1, 1],
    new Params()
      .ptr(out.ptr)
      .ptr(counts?.ptr ?? 0)
      .i32(n),
  );
  const slot = out.ptr + 4 * n;
  const kernel = x.elementBytes === 4 ? "overflow_count_32" : "overflow_count_16";
  ctx.launch1d("overflowCount", kernel, x.size, new Params().ptr(slot).ptr(x.ptr).i64(x.size).i32(limitBits));
  return out;
}
