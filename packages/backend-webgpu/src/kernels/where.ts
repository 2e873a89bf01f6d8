// condition != 0 ? a : b, with numpy broadcasting of all three.
import { broadcastShapes, type OpInputs, type PrimitiveOps } from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import {
  binding,
  broadcastStrides,
  grid,
  LINEAR_INDEX_WGSL,
  PARAMS_WGSL,
  Params,
  padShape,
} from "../program.js";
import { elementType, type GpuContext } from "./context.js";
import { offsetsWgsl } from "./strided.js";

export function where(ctx: GpuContext, inputs: OpInputs<PrimitiveOps, "where">): GpuTensor {
  const c = ctx.tensor(inputs.condition, "where");
  const a = ctx.tensor(inputs.a, "where");
  const b = ctx.tensor(inputs.b, "where");
  const shape = broadcastShapes("where", broadcastShapes("where", c.shape, a.shape), b.shape);
  const integer = !a.isFloat && !b.isFloat;
  const out = ctx.alloc(integer ? a.dtype : ctx.floatDtype, shape, "where");
  const [tc, ta, tb] = [elementType(c), elementType(a), elementType(b)];
  const to = integer ? "i32" : "F";
  const program = {
    name: "where",
    key: `where:${tc}:${ta}:${tb}:${ctx.floatDtype}`,
    source: () => `${ctx.header}${PARAMS_WGSL}${LINEAR_INDEX_WGSL}
${binding(1, "cond", tc)}
${binding(2, "a", ta)}
${binding(3, "b", tb)}
${binding(4, "out", to, true)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= pu(0u)) { return; }
  ${offsetsWgsl("i", ["c", "a", "b"])}
  out[i] = select(${to}(b[o_b]), ${to}(a[o_a]), f32(cond[o_c]) != 0.0);
}`,
  };
  const params = new Params()
    .u32(out.size, ...padShape(shape))
    .u32(
      ...broadcastStrides(c.shape, shape),
      ...broadcastStrides(a.shape, shape),
      ...broadcastStrides(b.shape, shape),
    );
  ctx.dispatch(program, [c, a, b, out], params, grid(out.size));
  return out;
}
