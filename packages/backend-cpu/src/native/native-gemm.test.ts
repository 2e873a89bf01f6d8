// The native GEMM (Node-API addon) against a float64 reference on every instruction-set path this CPU runs
// (each through its own engine: the addon compiles all paths in and `isa` picks one), with the tolerances
// of the WebAssembly GEMM's tests (src/wasm/test-utils.ts): |c - ref| <= 1e-5 * sum |terms| + 1e-7.
// Skipped, with the reason, where the addon is not built (no C++ compiler).
import { BackendError } from "@deberta/tensor";
import { afterAll, describe, expect, it } from "vitest";
import { gelu64, geluTanh64 } from "../wasm/test-math.js";
import { expectClose, randomF32, referenceGemm } from "../wasm/test-utils.js";
import { loadNativeAddon } from "./addon.js";
import { createNativeGemm, type NativeGemm } from "./native-gemm.js";

const loaded = await loadNativeAddon();
const info = loaded.addon?.info();
const reason = loaded.addon === undefined ? loaded.reason : "";

// Edge sizes 1, 7, 33, 129, 768, 3072 in every position, sized so the float64 reference stays quick.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 33],
  [7, 33, 129],
  [33, 129, 7],
  [129, 7, 33],
  [33, 33, 33],
  [129, 129, 129],
  [1, 3072, 768],
  [7, 768, 129],
  [33, 7, 3072],
  [129, 768, 7],
  [768, 33, 1],
  [3, 5, 0],
];

const ACTIVATIONS = {
  linear: (x: number) => x,
  gelu: gelu64,
  gelu_new: geluTanh64,
  relu: (x: number) => Math.max(x, 0),
  // Not epilogue activations: the engine applies them after the bias, in double (native/activation.cc).
  tanh: Math.tanh,
  sigmoid: (x: number) => 1 / (1 + Math.exp(-x)),
} as const;

describe.skipIf(loaded.addon === undefined)(`native GEMM ${reason}`, () => {
  it("compiles and runs the x86-64 paths where the CPU has them", () => {
    expect(info?.compiled).toContain("portable");
    expect(info?.supported).toContain("portable");
    if (process.arch === "x64") expect(info?.compiled).toEqual(["avx512", "avx2", "portable"]);
  });

  for (const isa of info?.supported ?? []) {
    describe(`${isa} path, 2 threads`, async () => {
      const made = await createNativeGemm({ isa, threads: 2 });
      const gemm = made.gemm as NativeGemm;
      afterAll(() => gemm.close());

      it("names the path and the threads", () => {
        expect(gemm.name).toBe(`native-${isa}-2-threads`);
      });

      for (const transposed of [false, true]) {
        it(`matmul, B ${transposed ? "[N, K] (transposed)" : "[K, N]"}, with offsets`, () => {
          let seed = transposed ? 100 : 1;
          for (const [M, N, K] of SHAPES) {
            const [ao, bo, co] = [3, 5, 7];
            const a = randomF32(ao + M * K + 2, seed++);
            const b = randomF32(bo + K * N + 2, seed++);
            const c = new Float32Array(co + M * N + 4).fill(42);
            gemm.matmul(a, ao, b, bo, c, co, M, N, K, transposed);
            const { ref, mag } = referenceGemm({
              M,
              N,
              K,
              a: a.subarray(ao),
              lda: K,
              b: b.subarray(bo),
              ldb: transposed ? K : N,
              transposed,
              ldc: N,
            });
            expectClose(c.subarray(co), N, M, N, ref, mag);
            // Nothing outside C written.
            expect([...c.subarray(0, co), ...c.subarray(co + M * N)].every((v) => v === 42)).toBe(true);
          }
        });
      }

      for (const [name, act] of Object.entries(ACTIVATIONS)) {
        it(`packed Linear with bias and ${name} fused`, () => {
          let seed = 7;
          for (const [M, N, K] of SHAPES) {
            const w = randomF32(N * K, seed++);
            const x = randomF32(M * K, seed++);
            const bias = randomF32(N, seed++).map((v) => v * 4);
            const packed = gemm.packLinearWeight(w, N, K);
            expect(packed.bytes).toBeGreaterThanOrEqual(N * K * 4);
            const out = new Float32Array(M * N);
            const fused = packed.apply(x, M, out, { bias, activation: name as keyof typeof ACTIVATIONS });
            expect(fused).toBe(true);
            packed.dispose();
            const { ref, mag } = referenceGemm({
              M,
              N,
              K,
              a: x,
              lda: K,
              b: w,
              ldb: K,
              transposed: true,
              bias,
              ldc: N,
            });
            // The activation's Lipschitz constant (<= 1.13) times the product's tolerance, plus its own error.
            let worst = 0;
            for (let i = 0; i < M * N; i++) {
              const want = act(ref[i]!);
              const tol = 1.13 * (1e-5 * mag[i]! + 1e-7) + 3e-7 * Math.max(1, Math.abs(want));
              worst = Math.max(worst, Math.abs(out[i]! - want) / tol);
            }
            expect(worst, `${name} ${M}x${N}x${K}`).toBeLessThanOrEqual(1);
          }
        });
      }
    });
  }

  describe("bad shapes and uses are typed errors", async () => {
    const gemm = (await createNativeGemm({ threads: 1 })).gemm as NativeGemm;
    afterAll(() => gemm.close());
    const shapeError = (fn: () => unknown, op: string) => {
      let caught: unknown;
      try {
        fn();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(BackendError);
      expect((caught as BackendError).code).toBe("BACKEND_SHAPE");
      expect((caught as BackendError).op).toBe(op);
    };
    const f = (n: number) => new Float32Array(n);

    it("matmul: operands too short, offsets past the end, bad dimensions", () => {
      shapeError(() => gemm.matmul(f(5), 0, f(6), 0, f(6), 0, 2, 3, 3, false), "matmul");
      shapeError(() => gemm.matmul(f(6), 1, f(9), 0, f(6), 0, 2, 3, 3, false), "matmul");
      shapeError(() => gemm.matmul(f(6), 0, f(9), 0, f(5), 0, 2, 3, 3, true), "matmul");
      shapeError(() => gemm.matmul(f(6), -1, f(9), 0, f(6), 0, 2, 3, 3, false), "matmul");
      shapeError(() => gemm.matmul(f(6), 0, f(9), 0, f(6), 0, 2.5, 3, 3, false), "matmul");
      shapeError(() => gemm.matmul(f(6), 0, f(9), 0, f(6), 0, Number.NaN, 3, 3, false), "matmul");
    });

    it("linear: weight, input, output or bias too short", () => {
      shapeError(() => gemm.packLinearWeight(f(11), 3, 4), "linear");
      const packed = gemm.packLinearWeight(f(12), 3, 4);
      shapeError(() => packed.apply(f(7), 2, f(6)), "linear");
      shapeError(() => packed.apply(f(8), 2, f(5)), "linear");
      shapeError(() => packed.apply(f(8), 2, f(6), { bias: f(2) }), "linear");
      packed.dispose();
      expect(() => packed.apply(f(8), 2, f(6))).toThrow(/disposed/);
    });

    it("the addon checks the real lengths again and returns a status", () => {
      const addon = loaded.addon!;
      // Bypassing the TypeScript checks: the native side refuses with ERR_SHAPE (2) / ERR_ARGUMENT (1).
      const engine = (gemm as unknown as { handle: Parameters<typeof addon.matmul>[0] }).handle;
      expect(addon.matmul(engine, f(5), 0, f(9), 0, f(6), 0, 2, 3, 3, false)).toBe(2);
      expect(addon.matmul(engine, f(6), 0, f(9), 0, f(6), 1, 2, 3, 3, false)).toBe(2);
      expect(addon.matmul(engine, new Float64Array(6) as never, 0, f(9), 0, f(6), 0, 2, 3, 3, false)).toBe(1);
      expect(addon.packWeight(engine, f(11), 0, 3, 4)).toBe(2);
    });

    it("a closed engine is a BACKEND_DISPOSED error", async () => {
      const other = (await createNativeGemm({ threads: 2 })).gemm as NativeGemm;
      other.close();
      expect(() => other.matmul(f(1), 0, f(1), 0, f(1), 0, 1, 1, 1, false)).toThrow(
        expect.objectContaining({ code: "BACKEND_DISPOSED" }),
      );
    });

    it("an unknown or unsupported instruction-set path is refused with a typed error", async () => {
      await expect(createNativeGemm({ isa: "sse9" as never })).rejects.toMatchObject({
        code: "BACKEND_UNAVAILABLE",
      });
      const previous = process.env.DEBERTA_CPU_ISA;
      process.env.DEBERTA_CPU_ISA = "neon";
      try {
        await expect(createNativeGemm()).rejects.toMatchObject({ code: "BACKEND_UNAVAILABLE" });
      } finally {
        if (previous === undefined) delete process.env.DEBERTA_CPU_ISA;
        else process.env.DEBERTA_CPU_ISA = previous;
      }
    });
  });
});
