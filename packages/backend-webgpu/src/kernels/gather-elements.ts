// numpy take_along_axis: out[..i..] = x[..indices[..i..] on `axis`..]; out has the indices' shape.
import { type OpAttrs, type OpInputs, type PrimitiveOps, shapeError } from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import {
  binding,
  grid,
  LINEAR_INDEX_WGSL,
  MAX_RANK,
  PARAMS_WGSL,
  Params,
  padShape,
  stridesOf,
} from "../program.js";
import { elementType, type GpuContext } from "./context.js";
import { checkIndices } from "./indices.js";
import { strideBlock } from "./strided.js";

export function gatherElements(
  ctx: GpuContext,
  inputs: OpInputs<PrimitiveOps, "gatherElements">,
  attrs: OpAttrs<PrimitiveOps, "gatherElements">,
): GpuTensor {
  const x = ctx.tensor(inputs.x, "gatherElements");
  const indices = ctx.tensor(inputs.indices, "gatherElements");
  const rank = x.shape.length;
  const axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
  if (indices.shape.length !== rank || axis < 0 || axis >= rank) {
    throw shapeError("gatherElements", `indices must have x's rank and axis ${attrs.axis} must be in range`, [
      x.shape,
      indices.shape,
    ]);
  }
  if (indices.shape.some((d, i) => i !== axis && d > x.shape[i]!)) {
    throw shapeError("gatherElements", "indices exceed x outside the gather axis", [x.shape, indices.shape]);
  }
  checkIndices("gatherElements", indices, x.shape[axis]!, [x.shape, indices.shape]);
  const out = ctx.alloc(x.dtype, indices.shape, "gatherElements");
  const tx = elementType(x);
  const paddedAxis = axis + (MAX_RANK - rank);
  const program = {
    name: "gatherElements",
    key: `gatherElements:${tx}:${ctx.floatDtype}`,
    source: () => `${ctx.header}${PARAMS_WGSL}${LINEAR_INDEX_WGSL}
${binding(1, "x", tx)}
${binding(2, "indices", "i32")}
${binding(3, "out", tx, true)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= pu(0u)) { return; }
  let axis = pu(${strideBlock(1)}u);
  let along = u32(clamp(indices[i], 0i, pi(${strideBlock(1) + 1}u) - 1i));
  var o = 0u;
  var rem = i;
  for (var d = ${MAX_RANK - 1}i; d >= 0; d--) {
    let dim = pu(1u + u32(d));
    let c = rem % dim;
    rem = rem / dim;
    o += select(c, along, u32(d) == axis) * pu(${strideBlock(0)}u + u32(d));
  }
  out[i] = x[o];
}`,
  };
  const params = new Params()
    .u32(out.size, ...padShape(indices.shape))
    .u32(...stridesOf(padShape(x.shape)))
    .u32(paddedAxis, x.shape[axis]!);
  ctx.dispatch(program, [x, indices, out], params, grid(out.size));
  return out;
}
