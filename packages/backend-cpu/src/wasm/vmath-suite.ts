// Tests of the activation epilogue, the in-place activations, the row softmax and their SIMD exp / erf, shared by
// vmath.test.ts (SIMD128) and vmath.relaxed.test.ts (relaxed SIMD, run with the V8 flag): this file creates the
// engines, the cases are in vmath-suite-elementary.ts, vmath-suite-epilogue.ts and vmath-suite-softmax.ts. Not
// exported by the package.
import { afterAll, beforeAll } from "vitest";
import { GemmEngine } from "./gemm.js";
import type { GemmExports, SimdKind } from "./kernels.js";
import type { VmathEngines } from "./vmath-suite-context.js";
import { defineElementarySuite } from "./vmath-suite-elementary.js";
import { defineEpilogueSuite } from "./vmath-suite-epilogue.js";
import { defineSoftmaxSuite } from "./vmath-suite-softmax.js";

export function defineVmathSuite(simd: SimdKind): void {
  const relaxedSimd = simd === "relaxed-simd";
  // Filled in beforeAll, read by the suites' tests (see VmathEngines).
  const ctx = {} as VmathEngines;

  beforeAll(async () => {
    ctx.single = await GemmEngine.create({ threads: 1, relaxedSimd });
    ctx.multi = await GemmEngine.create({ threads: 2, relaxedSimd });
    ctx.eager = await GemmEngine.create({ threads: 3, relaxedSimd, minParallelWork: 0 });
    ctx.raw = new WebAssembly.Instance(ctx.single.module, { env: { memory: ctx.single.heap.memory } })
      .exports as unknown as GemmExports;
  });

  afterAll(async () => {
    await ctx.single?.close();
    await ctx.multi?.close();
    await ctx.eager?.close();
  });

  defineElementarySuite(simd, ctx);
  defineEpilogueSuite(simd, ctx);
  defineSoftmaxSuite(simd, ctx);
}
