// out[..., :] = table[indices[...], :] — the embedding lookup.
import { type OpInputs, type PrimitiveOps, shapeError } from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import { binding, grid, LINEAR_INDEX_WGSL, PARAMS_WGSL, Params } from "../program.js";
import { elementType, type GpuContext } from "./context.js";
import { checkIndices } from "./indices.js";

export function gather(ctx: GpuContext, inputs: OpInputs<PrimitiveOps, "gather">): GpuTensor {
  const table = ctx.tensor(inputs.table, "gather");
  const indices = ctx.tensor(inputs.indices, "gather");
  if (table.shape.length !== 2)
    throw shapeError("gather", "table must be 2-D [rows, width]", [table.shape, indices.shape]);
  const [rows, width] = table.shape as [number, number];
  checkIndices("gather", indices, rows, [table.shape, indices.shape]);
  const out = ctx.alloc(table.dtype, [...indices.shape, width], "gather");
  const tt = elementType(table);
  const program = {
    name: "gather",
    key: `gather:${tt}:${ctx.floatDtype}`,
    source: () => `${ctx.header}${PARAMS_WGSL}${LINEAR_INDEX_WGSL}
${binding(1, "table", tt)}
${binding(2, "indices", "i32")}
${binding(3, "out", tt, true)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= pu(0u)) { return; }
  let width = pu(1u);
  let row = u32(clamp(indices[i / width], 0i, pi(2u) - 1i));
  out[i] = table[row * width + i % width];
}`,
  };
  ctx.dispatch(program, [table, indices, out], new Params().u32(out.size, width, rows), grid(out.size));
  return out;
}
