// Runs in the "relaxed-simd" vitest project: a child process started with --experimental-wasm-relaxed-simd
// on Node 20 (see vitest.config.ts), so the FMA kernels (f32x4.relaxed_madd) validate and run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GemmEngine } from "./gemm.js";
import { relaxedSimdSupported } from "./kernels.js";
import { checkProduct, expectClose, referenceGemm, runProduct } from "./test-utils.js";

const supported = relaxedSimdSupported();
const suite = supported ? describe : describe.skip;
const why = supported ? "" : " (skipped: relaxed SIMD does not validate in this Node, even with the flag)";

suite(`relaxed-SIMD FMA kernels${why}`, () => {
  let single: GemmEngine;
  let multi: GemmEngine;

  beforeAll(async () => {
    single = await GemmEngine.create({ threads: 1, relaxedSimd: true });
    multi = await GemmEngine.create({ threads: 2, relaxedSimd: true, minParallelWork: 0 });
  });

  afterAll(async () => {
    await single?.close();
    await multi?.close();
  });

  it("are selected", async () => {
    expect(single.info.simd).toBe("relaxed-simd");
    expect(multi.info).toMatchObject({ simd: "relaxed-simd", threads: 2, shared: true });
    const auto = await GemmEngine.create({ threads: 1 });
    expect(auto.info.simd).toBe("relaxed-simd");
    await auto.close();
  });

  it("match the float64 reference on small shapes (tile edges), all operand variants", () => {
    for (const M of [1, 5, 6, 7, 13, 37]) {
      for (const N of [1, 7, 8, 9, 17, 37]) {
        for (const K of [1, 3, 4, 5, 31, 37]) {
          for (const transposed of [false, true]) {
            checkProduct(single, M, N, K, { transposed, bias: K % 2 === 1, accumulate: N % 2 === 1 });
          }
        }
      }
    }
  });

  it("K beyond one cache block, strided operands, matmulUnpacked", () => {
    for (const K of [255, 257, 770]) {
      checkProduct(single, 13, 19, K, { transposed: true, bias: true, accumulate: false });
      checkProduct(multi, 13, 19, K, { transposed: false, bias: false, accumulate: true, pad: 3 });
      checkProduct(multi, 20, 33, K, { transposed: true, bias: true, accumulate: false, unpacked: true });
    }
  });

  it("1 and 2 threads give identical results; 128 x 768 x 2304 matches the reference", () => {
    const o = { transposed: true, bias: true, accumulate: false, seed: 7 };
    const r1 = runProduct(single, 128, 2304, 768, o);
    const r2 = runProduct(multi, 128, 2304, 768, o);
    expect(Buffer.from(r2.c.buffer).equals(Buffer.from(r1.c.buffer))).toBe(true);
    const { ref, mag } = referenceGemm(r1.problem);
    expectClose(r1.c, r1.ldc, 128, 2304, ref, mag);
    for (const [M, N, K] of [
      [37, 37, 37],
      [50, 8, 300],
      [5, 200, 70],
    ] as const) {
      const a = checkProduct(single, M, N, K, { transposed: false, bias: true, accumulate: true, seed: 1 });
      const b = checkProduct(multi, M, N, K, { transposed: false, bias: true, accumulate: true, seed: 1 });
      expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    }
  });
});

describe("relaxed-simd project", () => {
  it(`runs with the V8 flag where needed (execArgv: ${JSON.stringify(process.execArgv)})`, () => {
    const major = Number(process.versions.node.split(".")[0]);
    if (major <= 20) expect(supported).toBe(true);
  });
});
