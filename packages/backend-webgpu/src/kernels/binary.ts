import {
  type BinaryOp,
  broadcastShapes,
  type OpAttrs,
  type OpInputs,
  type PrimitiveOps,
} from "@deberta/tensor";
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

const EXPR: Record<BinaryOp, string> = {
  add: "x + y",
  sub: "x - y",
  mul: "x * y",
  div: "x / y",
  max: "max(x, y)",
  min: "min(x, y)",
};

/** Elementwise a ∘ b with numpy broadcasting; float math in f32, integers stay integers. */
export function binary(
  ctx: GpuContext,
  inputs: OpInputs<PrimitiveOps, "binary">,
  attrs: OpAttrs<PrimitiveOps, "binary">,
): GpuTensor {
  const a = ctx.tensor(inputs.a, "binary");
  const b = ctx.tensor(inputs.b, "binary");
  const shape = broadcastShapes(`binary ${attrs.op}`, a.shape, b.shape);
  const integer = !a.isFloat && !b.isFloat;
  const out = ctx.alloc(integer ? "int32" : ctx.floatDtype, shape, "binary");
  const ta = elementType(a);
  const tb = elementType(b);
  const math = integer ? "i32" : "f32";
  const program = {
    name: "binary",
    key: `binary:${attrs.op}:${ta}:${tb}:${math}:${ctx.floatDtype}`,
    source: () => `${ctx.header}${PARAMS_WGSL}${LINEAR_INDEX_WGSL}
${binding(1, "a", ta)}
${binding(2, "b", tb)}
${binding(3, "out", integer ? "i32" : "F", true)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= pu(0u)) { return; }
  ${offsetsWgsl("i", ["a", "b"])}
  let x = ${math}(a[o_a]);
  let y = ${math}(b[o_b]);
  out[i] = ${integer ? "i32" : "toF"}(${EXPR[attrs.op]});
}`,
  };
  const params = new Params()
    .u32(out.size, ...padShape(shape))
    .u32(...broadcastStrides(a.shape, shape), ...broadcastStrides(b.shape, shape));
  ctx.dispatch(program, [a, b, out], params, grid(out.size));
  return out;
}
