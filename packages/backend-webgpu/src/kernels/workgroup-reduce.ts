// Workgroup-wide sum and max for the row kernels (layer norm, softmax, attention). With subgroups, each
// subgroup reduces in registers (subgroupAdd / subgroupMax) and only the per-subgroup partials go through
// workgroup memory; without, a tree in workgroup memory. Both must be called in uniform control flow.
import type { GpuContext } from "./context.js";

export interface WorkgroupReduce {
  /** `enable subgroups;` when used (goes before any declaration). */
  enable: string;
  /** Extra entry-point parameters (the subgroup builtins), with a leading comma when present. */
  entryParams: string;
  /** The helper functions: wgSum(v, lid, sgi, sgs) and wgMax(v, lid, sgi, sgs). */
  functions: string;
  /** The arguments after `lid` to pass to the helpers. */
  args: string;
  key: string;
}

export function workgroupReduce(ctx: GpuContext, size: number): WorkgroupReduce {
  if (ctx.subgroups) {
    const partials = (op: string) => `
  let r = ${op === "sum" ? "subgroupAdd(v)" : "subgroupMax(v)"};
  if (sgi == 0u) { red[lid / sgs] = r; }
  workgroupBarrier();
  var total = red[0];
  for (var k = 1u; k < (${size}u + sgs - 1u) / sgs; k++) { total = ${op === "sum" ? "total + red[k]" : "max(total, red[k])"}; }
  workgroupBarrier();
  return total;`;
    return {
      enable: "enable subgroups;\n",
      entryParams: ", @builtin(subgroup_invocation_id) sgi: u32, @builtin(subgroup_size) sgs: u32",
      functions: `var<workgroup> red: array<f32, ${size}>;
fn wgSum(v: f32, lid: u32, sgi: u32, sgs: u32) -> f32 {${partials("sum")}
}
fn wgMax(v: f32, lid: u32, sgi: u32, sgs: u32) -> f32 {${partials("max")}
}`,
      args: "sgi, sgs",
      key: "sg",
    };
  }
  const tree = (combine: string) => `
  red[lid] = v;
  workgroupBarrier();
  for (var s = ${size / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = ${combine}; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;`;
  return {
    enable: "",
    entryParams: "",
    functions: `var<workgroup> red: array<f32, ${size}>;
fn wgSum(v: f32, lid: u32, sgi: u32, sgs: u32) -> f32 {${tree("red[lid] + red[lid + s]")}
}
fn wgMax(v: f32, lid: u32, sgi: u32, sgs: u32) -> f32 {${tree("max(red[lid], red[lid + s])")}
}`,
    args: "0u, 0u",
    key: "tree",
  };
}
