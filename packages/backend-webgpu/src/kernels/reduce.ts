// out = Σ / max / mean of x along one axis, accumulated in f32, one invocation per output element.
import { type OpAttrs, type OpInputs, type PrimitiveOps, shapeError } from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import { binding, grid, LINEAR_INDEX_WGSL, PARAMS_WGSL, Params } from "../program.js";
import { elementType, type GpuContext } from "./context.js";

export function reduce(
  ctx: GpuContext,
  inputs: OpInputs<PrimitiveOps, "reduce">,
  attrs: OpAttrs<PrimitiveOps, "reduce">,
): GpuTensor {
  const op = `reduce ${attrs.op}`;
  const x = ctx.tensor(inputs.x, op);
  const axis = attrs.axis < 0 ? attrs.axis + x.shape.length : attrs.axis;
  if (axis < 0 || axis >= x.shape.length)
    throw shapeError(op, `axis ${attrs.axis} is out of range`, [x.shape]);
  const n = x.shape[axis]!;
  let inner = 1;
  for (const d of x.shape.slice(axis + 1)) inner *= d;
  const shape = attrs.keepDims
    ? x.shape.map((d, i) => (i === axis ? 1 : d))
    : x.shape.filter((_, i) => i !== axis);
  const out = ctx.alloc(ctx.floatDtype, shape, op);
  const tx = elementType(x);
  const init = attrs.op === "max" ? "-3.4028234663852886e38" : "0.0";
  const step = attrs.op === "max" ? "acc = select(max(acc, v), v, v != v);" : "acc += v;";
  const finish = attrs.op === "mean" ? "acc / f32(n)" : "acc";
  const program = {
    name: "reduce",
    key: `reduce:${attrs.op}:${tx}:${ctx.floatDtype}`,
    source: () => `${ctx.header}${PARAMS_WGSL}${LINEAR_INDEX_WGSL}
${binding(1, "x", tx)}
${binding(2, "out", "F", true)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= pu(0u)) { return; }
  let n = pu(1u);
  let inner = pu(2u);
  let base = (i / inner) * n * inner + i % inner;
  var acc = ${init};
  for (var t = 0u; t < n; t++) {
    let v = f32(x[base + t * inner]);
    ${step}
  }
  out[i] = toF(${finish});
}`,
  };
  ctx.dispatch(program, [x, out], new Params().u32(out.size, n, inner), grid(out.size));
  return out;
}
