// gather: rows of a 2-D table by int ids (kernels/gather.cu); uploaded ids are checked here first.
import { type OpInputs, type PrimitiveOps, shapeError } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import { Params } from "../params.js";
import { bitKernel, type CudaContext } from "./context.js";
import { checkIndices } from "./indices.js";

export function gather(ctx: CudaContext, inputs: OpInputs<PrimitiveOps, "gather">): CudaTensor {
  const table = ctx.tensor(inputs.table, "gather");
  const ids = ctx.tensor(inputs.indices, "gather");
  if (table.shape.length !== 2)
    throw shapeError("gather", "table must be 2-D [rows, width]", [table.shape, ids.shape]);
  const [rows, width] = table.shape as [number, number];
  checkIndices("gather", ids, rows, [table.shape, ids.shape]);
  const out = ctx.alloc(table.dtype, [...ids.shape, width], "gather");
  const p = new Params().ptr(out.ptr).ptr(table.ptr).ptr(ids.ptr).i64(out.size).i32(width).i32(rows);
  ctx.launch1d("gather", bitKernel("gather", table), out.size, p);
  return out;
}
