import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GEMM_PANEL_WIDTH, GEMM_TILE_ROWS, GemmEngine, packedBFloats } from "./gemm.js";
import { relaxedSimdSupported, wasmSimdSupported } from "./kernels.js";
import { checkProduct, expectClose, randomF32, referenceGemm, runProduct } from "./test-utils.js";

const SMALL_M = [1, 2, 5, 6, 7, 12, 13, 37];
const SMALL_N = [1, 3, 7, 8, 9, 16, 17, 37];
const SMALL_K = [1, 2, 3, 4, 5, 8, 31, 37];

let single: GemmEngine;
let multi: GemmEngine;
let multiEager: GemmEngine;

beforeAll(async () => {
  single = await GemmEngine.create({ threads: 1, relaxedSimd: false });
  multi = await GemmEngine.create({ threads: 2, relaxedSimd: false });
  // Splits every product, however small, so that the share boundaries of tiny shapes are exercised.
  multiEager = await GemmEngine.create({ threads: 3, relaxedSimd: false, minParallelWork: 0 });
});

afterAll(async () => {
  await single?.close();
  await multi?.close();
  await multiEager?.close();
});

describe("kernels", () => {
  it("SIMD128 is supported in this Node", () => {
    expect(wasmSimdSupported()).toBe(true);
  });

  it("engines report what they run on", () => {
    expect(single.info).toEqual({
      simd: "simd128",
      threads: 1,
      shared: false,
      wait: "none",
      tile: { rows: 6, cols: 8 },
    });
    expect(multi.info).toMatchObject({ simd: "simd128", threads: 2, shared: true, wait: "atomics-wait" });
    expect(multi.heap.shared).toBe(true);
    expect(multi.heap.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(single.heap.shared).toBe(false);
    expect(multiEager.info.threads).toBe(3);
  });

  it("packedBFloats pads N to whole panels", () => {
    expect(GEMM_TILE_ROWS).toBe(6);
    expect(GEMM_PANEL_WIDTH).toBe(8);
    expect(packedBFloats(5, 1)).toBe(40);
    expect(packedBFloats(5, 8)).toBe(40);
    expect(packedBFloats(5, 9)).toBe(80);
    expect(single.packedSize(768, 2304)).toBe(768 * 2304);
  });
});

describe("gemm vs float64 reference, small shapes (edges of the 6 x 8 tile)", () => {
  for (const transposed of [false, true]) {
    for (const [bias, accumulate] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const name = `${transposed ? "B transposed" : "B"}${bias ? " + bias" : ""}${accumulate ? ", accumulate" : ""}`;
      it(`all M x N x K in {${SMALL_M}} x {${SMALL_N}} x {${SMALL_K}}: ${name}`, () => {
        for (const M of SMALL_M) {
          for (const N of SMALL_N) {
            for (const K of SMALL_K) {
              checkProduct(single, M, N, K, { transposed, bias, accumulate });
            }
          }
        }
      });
    }
  }

  it("every M, N, K from 1 to 37 along each axis (others fixed)", () => {
    for (let d = 1; d <= 37; d++) {
      checkProduct(single, d, 13, 11, { transposed: false, bias: true, accumulate: false });
      checkProduct(single, 7, d, 11, { transposed: true, bias: true, accumulate: false });
      checkProduct(single, 7, 13, d, { transposed: false, bias: false, accumulate: true });
    }
  });

  it("K beyond one cache block (256) and not a multiple of 4", () => {
    for (const K of [255, 256, 257, 258, 259, 513, 770]) {
      checkProduct(single, 13, 19, K, { transposed: true, bias: true, accumulate: false });
      checkProduct(single, 12, 16, K, { transposed: false, bias: false, accumulate: true });
    }
  });

  it("more rows than one row block (96)", () => {
    checkProduct(single, 97, 17, 40, { transposed: true, bias: true, accumulate: true });
    checkProduct(single, 200, 24, 64, { transposed: false, bias: false, accumulate: false });
  });

  it("leading dimensions larger than the rows (padding never written)", () => {
    for (const [M, N, K] of [
      [7, 9, 5],
      [13, 16, 33],
      [6, 8, 4],
    ] as const) {
      checkProduct(single, M, N, K, { transposed: false, bias: true, accumulate: false, pad: 3 });
      checkProduct(single, M, N, K, { transposed: true, bias: false, accumulate: true, pad: 5 });
    }
  });

  it("K = 0 gives the bias (or keeps C when accumulating)", () => {
    checkProduct(single, 5, 11, 0, { transposed: false, bias: true, accumulate: false });
    checkProduct(single, 5, 11, 0, { transposed: true, bias: true, accumulate: true });
    checkProduct(multiEager, 13, 40, 0, { transposed: true, bias: false, accumulate: false });
  });

  it("M = 0 or N = 0 is a no-op", () => {
    const heap = single.heap;
    const c = heap.alloc(64);
    const a = heap.alloc(64);
    const empty = single.packB(new Float32Array(0), 4, 0);
    const packed = single.packB(new Float32Array(12), 4, 3);
    expect(() => single.matmul(a, 0, 4, packed, c)).not.toThrow();
    expect(() => single.matmul(a, 3, 4, empty, c)).not.toThrow();
    empty.dispose();
    packed.dispose();
    heap.free(a);
    heap.free(c);
  });
});

describe("threads", () => {
  it("1, 2 and 3 threads give bit-identical results (column and row shares)", () => {
    const shapes: [number, number, number][] = [
      [37, 37, 37],
      [128, 96, 64],
      [50, 8, 300], // one panel: row shares
      [5, 200, 70], // fewer rows than a tile: column shares
      [97, 33, 257],
    ];
    for (const [M, N, K] of shapes) {
      for (const transposed of [false, true]) {
        for (const unpacked of [false, true]) {
          const o = { transposed, bias: true, accumulate: unpacked, unpacked, seed: M + N + K };
          const c1 = checkProduct(single, M, N, K, o);
          const c2 = checkProduct(multi, M, N, K, o);
          const c3 = checkProduct(multiEager, M, N, K, o);
          expect(Buffer.from(c2.buffer).equals(Buffer.from(c1.buffer))).toBe(true);
          expect(Buffer.from(c3.buffer).equals(Buffer.from(c1.buffer))).toBe(true);
        }
      }
    }
  });

  it("tiny products split over 3 threads (more threads than panels or tiles)", () => {
    for (const M of [1, 2, 7]) {
      for (const N of [1, 9, 17, 25]) {
        for (const K of [1, 6]) {
          checkProduct(multiEager, M, N, K, { transposed: N % 2 === 0, bias: true, accumulate: K === 1 });
          checkProduct(multiEager, M, N, K, {
            transposed: true,
            bias: false,
            accumulate: false,
            unpacked: true,
          });
        }
      }
    }
  });

  it("128 x 768 x 2304 (Linear weight [out, in] transposed, bias) on 1 and 2 threads", () => {
    const o = { transposed: true, bias: true, accumulate: false, seed: 7 };
    const r1 = runProduct(single, 128, 2304, 768, o);
    const r2 = runProduct(multi, 128, 2304, 768, o);
    expect(Buffer.from(r2.c.buffer).equals(Buffer.from(r1.c.buffer))).toBe(true);
    const { ref, mag } = referenceGemm(r1.problem);
    expectClose(r1.c, r1.ldc, 128, 2304, ref, mag);
  });

  it("128 x 768 x 2304 with B not transposed, accumulating, on 2 threads", () => {
    checkProduct(multi, 128, 2304, 768, { transposed: false, bias: false, accumulate: true, seed: 8 });
  });

  it("packs in parallel: packB of a large weight matches the single-thread packing", () => {
    const K = 300;
    const N = 1000;
    const w = randomF32(K * N, 11);
    for (const transposed of [false, true]) {
      const p1 = single.packB(w, K, N, transposed);
      const p2 = multi.packB(w, K, N, transposed);
      const floats = packedBFloats(K, N);
      const b1 = Buffer.from(single.heap.f32(p1.ptr, floats).slice().buffer);
      const b2 = Buffer.from(multi.heap.f32(p2.ptr, floats).slice().buffer);
      expect(b2.equals(b1)).toBe(true);
      p1.dispose();
      p2.dispose();
    }
  });

  it("attention-style batched products with interleaved heads (lda / ldb / ldc)", () => {
    const S = 20;
    const H = 3;
    const D = 8;
    const heap = multiEager.heap;
    const q = randomF32(S * H * D, 1);
    const k = randomF32(S * H * D, 2);
    const qPtr = heap.allocF32(S * H * D, q);
    const kPtr = heap.allocF32(S * H * D, k);
    const sPtr = heap.alloc(S * S * 4);
    const oPtr = heap.allocF32(S * H * D, new Float32Array(S * H * D));
    for (let h = 0; h < H; h++) {
      // scores = Q_h · K_hᵀ (S x S), then out_h = scores · K_h (S x D) written into the interleaved output.
      multiEager.matmulUnpacked(qPtr + h * D * 4, S, D, kPtr + h * D * 4, S, true, sPtr, {
        lda: H * D,
        ldb: H * D,
      });
      const scores = heap.f32(sPtr, S * S).slice();
      const { ref, mag } = referenceGemm({
        M: S,
        N: S,
        K: D,
        a: q.subarray(h * D),
        lda: H * D,
        b: k.subarray(h * D),
        ldb: H * D,
        transposed: true,
        ldc: S,
      });
      expectClose(scores, S, S, S, ref, mag);
      multiEager.matmulUnpacked(sPtr, S, S, kPtr + h * D * 4, D, false, oPtr + h * D * 4, {
        ldb: H * D,
        ldc: H * D,
      });
      const out = heap.f32(oPtr, S * H * D).slice();
      const r2 = referenceGemm({
        M: S,
        N: D,
        K: S,
        a: scores,
        lda: S,
        b: k.subarray(h * D),
        ldb: H * D,
        transposed: false,
        ldc: H * D,
      });
      expectClose(out.subarray(h * D), H * D, S, D, r2.ref, r2.mag);
    }
    for (const p of [qPtr, kPtr, sPtr, oPtr]) heap.free(p);
  });

  it("the workers see memory grown after they started", () => {
    const heap = multi.heap;
    const before = heap.capacity;
    const filler = heap.alloc(before); // forces growth
    expect(heap.capacity).toBeGreaterThan(before);
    const o = { transposed: true, bias: true, accumulate: false, seed: 3 };
    const c = checkProduct(multi, 64, 256, 128, o);
    expect(c.length).toBe(64 * 256);
    heap.free(filler);
  });
});

describe("packed matrices and heap accounting", () => {
  it("packB from a heap pointer equals packB from a Float32Array", () => {
    const K = 19;
    const N = 21;
    const w = randomF32(K * N, 5);
    const wPtr = single.heap.allocF32(K * N, w);
    for (const transposed of [false, true]) {
      const p1 = single.packB(w, K, N, transposed);
      const p2 = single.packB(wPtr, K, N, transposed);
      const n = packedBFloats(K, N);
      expect(single.heap.f32(p2.ptr, n)).toEqual(single.heap.f32(p1.ptr, n));
      p1.dispose();
      p2.dispose();
    }
    single.heap.free(wPtr);
  });

  it("dispose frees the packed block (idempotent); a disposed matrix is rejected", () => {
    const heap = single.heap;
    const inUse = heap.bytesInUse;
    const packed = single.packB(randomF32(64 * 40, 1), 64, 40, true);
    expect(packed.bytes).toBe(packedBFloats(64, 40) * 4);
    expect(heap.bytesInUse).toBe(inUse + packed.bytes);
    packed.dispose();
    expect(packed.disposed).toBe(true);
    expect(heap.bytesInUse).toBe(inUse);
    expect(() => packed.dispose()).not.toThrow();
    const a = heap.alloc(64 * 4);
    const c = heap.alloc(40 * 4);
    expect(() => single.matmul(a, 1, 64, packed, c)).toThrow(/disposed/);
    heap.free(a);
    heap.free(c);
  });

  it("the matmulUnpacked scratch block is reused and can be released", () => {
    const heap = single.heap;
    single.releaseScratch();
    const inUse = heap.bytesInUse;
    checkProduct(single, 9, 40, 30, { transposed: true, bias: false, accumulate: false, unpacked: true });
    const withScratch = heap.bytesInUse;
    expect(withScratch).toBeGreaterThanOrEqual(inUse + packedBFloats(30, 40) * 4);
    checkProduct(single, 9, 16, 20, { transposed: false, bias: false, accumulate: false, unpacked: true });
    expect(heap.bytesInUse).toBe(withScratch);
    single.releaseScratch();
    expect(heap.bytesInUse).toBe(inUse);
  });

  it("rejects mismatched K, foreign matrices, bad pointers and out-of-heap ranges", () => {
    const heap = single.heap;
    const packed = single.packB(randomF32(8 * 8, 1), 8, 8);
    const a = heap.alloc(8 * 8 * 4);
    const c = heap.alloc(8 * 8 * 4);
    expect(() => single.matmul(a, 8, 7, packed, c)).toThrow(RangeError);
    expect(() => multi.matmul(a, 8, 8, packed, c)).toThrow(/another engine/);
    expect(() => single.matmul(0, 8, 8, packed, c)).toThrow(RangeError);
    expect(() => single.matmul(a + 2, 8, 8, packed, c)).toThrow(RangeError);
    expect(() => single.matmul(a, 8, 8, packed, heap.capacity - 16)).toThrow(/outside the heap/);
    expect(() => single.matmul(a, 8, 8, packed, c, { lda: 4 })).toThrow(RangeError);
    expect(() => single.packB(new Float32Array(10), 8, 8)).toThrow(RangeError);
    expect(() => single.matmulUnpacked(a, 8, 8, heap.capacity - 64, 8, false, c)).toThrow(/outside the heap/);
    packed.dispose();
    heap.free(a);
    heap.free(c);
  });
});

describe("relaxed SIMD selection", () => {
  it(`"auto" picks relaxed SIMD exactly when it validates (here: ${relaxedSimdSupported() ? "it does" : "it does not"})`, async () => {
    const e = await GemmEngine.create({ threads: 1 });
    expect(e.info.simd).toBe(relaxedSimdSupported() ? "relaxed-simd" : "simd128");
    await e.close();
  });

  it.skipIf(relaxedSimdSupported())(
    "relaxedSimd: true rejects where relaxed SIMD does not validate",
    async () => {
      await expect(GemmEngine.create({ threads: 1, relaxedSimd: true })).rejects.toThrow(/relaxed SIMD/);
    },
  );
});

describe("close", () => {
  it("terminates the workers; further products throw", async () => {
    const e = await GemmEngine.create({ threads: 2, relaxedSimd: false });
    checkProduct(e, 40, 40, 40, { transposed: false, bias: false, accumulate: false });
    await e.close();
    expect(e.closed).toBe(true);
    await e.close();
    expect(() => e.packB(new Float32Array(4), 2, 2)).toThrow(/closed/);
  });

  it("a heap view is readable after close", async () => {
    const e = await GemmEngine.create({ threads: 2, relaxedSimd: false });
    const p = e.heap.allocF32(4, [1, 2, 3, 4]);
    await e.close();
    expect(Array.from(e.heap.f32(p, 4))).toEqual([1, 2, 3, 4]);
  });
});
