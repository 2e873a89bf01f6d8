// Shared WGSL for the generic strided kernels: an output index decomposed over a MAX_RANK shape (params
// 1..6), accumulating offsets into inputs through per-input stride blocks.
import { MAX_RANK } from "../program.js";

/** Param index where stride block `k` starts (block 0 is the output shape at 1..MAX_RANK). */
export const strideBlock = (k: number): number => 1 + MAX_RANK * (k + 1);

/**
 * WGSL statements: `var o_<name> = 0u;` for each input, then the loop that decomposes `index` over the
 * output shape and adds coordinate × stride (from its block) to each offset. `coord` names a per-axis
 * hook: `coordinate(d, c)` may adjust (it is called with the axis and coordinate, as WGSL expressions).
 */
export function offsetsWgsl(index: string, inputs: readonly string[], hook = ""): string {
  const decls = inputs.map((n) => `var o_${n} = 0u;`).join(" ");
  const adds = inputs.map((n, k) => `o_${n} += c * pu(${strideBlock(k)}u + u32(d));`).join(" ");
  return `${decls}
  var rem = ${index};
  for (var d = ${MAX_RANK - 1}i; d >= 0; d--) {
    let dim = pu(1u + u32(d));
    let c = rem % dim;
    rem = rem / dim;
    ${hook}
    ${adds}
  }`;
}
