import type { GpuTensor } from "../gpu-tensor.js";
import { binding, grid, LINEAR_INDEX_WGSL, PARAMS_WGSL, Params } from "../program.js";
import { elementType, type GpuContext } from "./context.js";
import { MATH_WGSL } from "./math-wgsl.js";

/**
 * out[i] = expr(x[i]) in f32, for the elementwise kernels (unary, affine, activation). `expr` may read
 * float params from index 1 on with pf(1u), ...
 */
export function mapKernel(
  ctx: GpuContext,
  op: string,
  x: GpuTensor,
  key: string,
  expr: string,
  floats: number[] = [],
): GpuTensor {
  const out = ctx.alloc(ctx.floatDtype, x.shape, op);
  const tx = elementType(x);
  const program = {
    name: op,
    key: `map:${key}:${tx}:${ctx.floatDtype}`,
    source: () => `${ctx.header}${PARAMS_WGSL}${LINEAR_INDEX_WGSL}${MATH_WGSL}
${binding(1, "src", tx)}
${binding(2, "out", "F", true)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= pu(0u)) { return; }
  let x = f32(src[i]);
  out[i] = toF(${expr});
}`,
  };
  ctx.dispatch(program, [x, out], new Params().u32(out.size).f32(...floats), grid(out.size));
  return out;
}
