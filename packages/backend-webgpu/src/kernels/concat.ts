// Inputs laid end to end along `axis`: one copy dispatch per input into its block of the output.
import { type OpAttrs, type OpInputs, type PrimitiveOps, shapeError } from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import { binding, grid, LINEAR_INDEX_WGSL, PARAMS_WGSL, Params } from "../program.js";
import { elementType, type GpuContext } from "./context.js";

export function concat(
  ctx: GpuContext,
  inputs: OpInputs<PrimitiveOps, "concat">,
  attrs: OpAttrs<PrimitiveOps, "concat">,
): GpuTensor {
  const xs = inputs.xs.map((h) => ctx.tensor(h, "concat"));
  const shapes = xs.map((x) => x.shape);
  const first = xs[0];
  if (first === undefined) throw shapeError("concat", "needs at least one input", []);
  const rank = first.shape.length;
  const axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
  if (
    axis < 0 ||
    axis >= rank ||
    xs.some((x) => x.shape.length !== rank || x.shape.some((d, i) => i !== axis && d !== first.shape[i]))
  ) {
    throw shapeError("concat", `inputs must agree on every axis but ${attrs.axis}`, shapes);
  }
  if (xs.some((x) => x.isFloat !== first.isFloat))
    throw shapeError("concat", "inputs mix floats and integers", shapes);
  const total = xs.reduce((s, x) => s + x.shape[axis]!, 0);
  const out = ctx.alloc(
    first.dtype,
    first.shape.map((d, i) => (i === axis ? total : d)),
    "concat",
  );
  let inner = 1;
  for (const d of first.shape.slice(axis + 1)) inner *= d;
  const t = elementType(first);
  const program = {
    name: "concat",
    key: `concat:${t}:${ctx.floatDtype}`,
    source: () => `${ctx.header}${PARAMS_WGSL}${LINEAR_INDEX_WGSL}
${binding(1, "src", t)}
${binding(2, "out", t, true)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= pu(0u)) { return; }
  let block = pu(1u);
  out[(i / block) * pu(2u) + pu(3u) + i % block] = src[i];
}`,
  };
  let offset = 0;
  for (const x of xs) {
    const block = x.shape[axis]! * inner;
    ctx.dispatch(
      program,
      [x, out],
      new Params().u32(x.size, block, total * inner, offset * inner),
      grid(x.size),
    );
    offset += x.shape[axis]!;
  }
  return out;
}
