// The native attention and row kernels against the plain-JavaScript kernels (CpuBackend with the JS GEMM),
// on every instruction-set path this CPU runs: attention with output_attentions on and off, c2p only, p2c
// only, both and neither, spans smaller than the length (δ clamped) and larger, 2-D and 3-D masks with
// padding, odd sizes (vector tails), and DeBERTa-v2's key bias with a relative index table (arbitrary
// entries, entries spanning few rows as log buckets do, and the closed form written as a table, which must
// give v1's result); typed errors for a bad table before the native call; layer norm with and without
// residual, masked softmax, GELU.
import { Tensor } from "@deberta/tensor";
import { afterAll, describe, expect, it } from "vitest";
import { CpuBackend } from "../cpu-backend.js";
import { createCpuBackend } from "../create.js";
import { jsGemm } from "../gemm.js";
import { loadNativeAddon } from "./addon.js";

const native = await loadNativeAddon();

/** Deterministic pseudo-random floats in [-scale, scale). */
function floats(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}

const t = (data: Float32Array | Int32Array, dims: number[]) =>
  new Tensor(data instanceof Float32Array ? "float32" : "int32", data, dims);

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

interface AttentionCase {
  batch: number;
  length: number;
  heads: number;
  headSize: number;
  span: number;
  c2p: boolean;
  p2c: boolean;
  mask3d?: boolean;
  /**
   * v2: a key bias and a relative index table, "random" (any entry in [0, 2·span)) or "narrow" (entries
   * span − 3 … span + 3 only, as log buckets leave most rows unread).
   */
  table?: "random" | "narrow";
}

/** The relative index table [2L − 1] of a v2 case (deterministic). */
function tableOf(kind: "random" | "narrow", length: number, span: number): Int32Array {
  const u = floats(2 * length - 1, 6);
  return Int32Array.from(u, (x) => {
    const unit = (x + 1) / 2; // [0, 1)
    if (kind === "random") return Math.floor(unit * 2 * span);
    return Math.min(Math.max(span - 3 + Math.floor(unit * 7), 0), 2 * span - 1);
  });
}

const attentionCases: AttentionCase[] = [
  { batch: 2, length: 37, heads: 3, headSize: 20, span: 8, c2p: true, p2c: true },
  { batch: 2, length: 37, heads: 3, headSize: 20, span: 8, c2p: true, p2c: false },
  { batch: 2, length: 37, heads: 3, headSize: 20, span: 8, c2p: false, p2c: true },
  { batch: 1, length: 130, heads: 2, headSize: 64, span: 256, c2p: true, p2c: true },
  { batch: 3, length: 17, heads: 2, headSize: 16, span: 4, c2p: true, p2c: true, mask3d: true },
  { batch: 2, length: 9, heads: 4, headSize: 7, span: 1, c2p: true, p2c: true },
  { batch: 2, length: 11, heads: 2, headSize: 8, span: 6, c2p: false, p2c: false },
  { batch: 2, length: 37, heads: 3, headSize: 20, span: 8, c2p: true, p2c: true, table: "random" },
  { batch: 2, length: 37, heads: 3, headSize: 20, span: 8, c2p: true, p2c: false, table: "random" },
  { batch: 2, length: 37, heads: 3, headSize: 20, span: 8, c2p: false, p2c: true, table: "narrow" },
  { batch: 1, length: 130, heads: 2, headSize: 64, span: 16, c2p: true, p2c: true, table: "narrow" },
  { batch: 1, length: 20, heads: 2, headSize: 16, span: 64, c2p: true, p2c: true, table: "random" },
  {
    batch: 3,
    length: 17,
    heads: 2,
    headSize: 16,
    span: 4,
    c2p: true,
    p2c: true,
    mask3d: true,
    table: "random",
  },
  { batch: 2, length: 11, heads: 2, headSize: 8, span: 6, c2p: false, p2c: false, table: "random" },
];

for (const isa of native.addon?.info().supported ?? []) {
  describe(`native kernels vs JavaScript kernels, ${isa} path, 2 threads`, async () => {
    const nat = await createCpuBackend({ engine: "native", threads: 2, isa });
    const js = new CpuBackend({ gemm: jsGemm });
    afterAll(() => {
      nat.close();
      js.close();
    });

    for (const c of attentionCases) {
      for (const returnProbs of [false, true]) {
        const name = `attention B${c.batch} L${c.length} H${c.heads} hs${c.headSize} span${c.span} ${
          c.c2p && c.p2c ? "c2p+p2c" : c.c2p ? "c2p" : c.p2c ? "p2c" : "no relative"
        }${c.mask3d ? " 3-D mask" : ""}${c.table ? `, v2 key bias + ${c.table} table` : ""}, probabilities ${
          returnProbs ? "on" : "off"
        }`;
        it(name, () => {
          const { batch: B, length: L, heads: H, headSize: hs, span } = c;
          const mask = new Int32Array(c.mask3d ? B * L * L : B * L).fill(1);
          // Padding at the end of every batch row but the first; the 3-D mask also drops scattered pairs.
          for (let b = 1; b < B; b++) for (let j = L - 2 * b; j < L; j++) if (!c.mask3d) mask[b * L + j] = 0;
          if (c.mask3d) for (let i = 0; i < mask.length; i += 5) mask[i] = 0;
          const inputs = (backend: CpuBackend) => ({
            qkv: backend.upload(t(floats(B * L * H * 3 * hs, 1), [B, L, H * 3 * hs])),
            qBias: backend.upload(t(floats(H * hs, 2, 0.2), [H * hs])),
            vBias: backend.upload(t(floats(H * hs, 3, 0.2), [H * hs])),
            mask: backend.upload(t(mask, c.mask3d ? [B, L, L] : [B, L])),
            ...(c.c2p ? { posKey: backend.upload(t(floats(H * 2 * span * hs, 4), [H, 2 * span, hs])) } : {}),
            ...(c.p2c
              ? { posQuery: backend.upload(t(floats(H * 2 * span * hs, 5), [H, 2 * span, hs])) }
              : {}),
            ...(c.table
              ? {
                  kBias: backend.upload(t(floats(H * hs, 7, 0.5), [H * hs])),
                  relativeIndex: backend.upload(t(tableOf(c.table, L, span), [2 * L - 1])),
                }
              : {}),
          });
          const attrs = { numHeads: H, scale: 1 / Math.sqrt(hs * 3), span, returnProbs };
          const got = nat.fused.disentangledAttention!(inputs(nat), attrs);
          const want = js.fused.disentangledAttention!(inputs(js), attrs);
          expect(
            maxDiff(nat.read(got.context) as Float32Array, js.read(want.context) as Float32Array),
          ).toBeLessThan(2e-5);
          expect(got.probs === undefined).toBe(!returnProbs);
          if (returnProbs)
            expect(
              maxDiff(nat.read(got.probs!) as Float32Array, js.read(want.probs!) as Float32Array),
            ).toBeLessThan(2e-6);
        });
      }
    }

    it("a table holding the closed form clamp(i − j + span) gives v1's result", () => {
      const [B, L, H, hs, span] = [2, 29, 2, 12, 5];
      const closed = Int32Array.from({ length: 2 * L - 1 }, (_, n) =>
        Math.min(Math.max(n - (L - 1) + span, 0), 2 * span - 1),
      );
      const inputs = (backend: CpuBackend, table: boolean) => ({
        qkv: backend.upload(t(floats(B * L * H * 3 * hs, 1), [B, L, H * 3 * hs])),
        qBias: backend.upload(t(floats(H * hs, 2, 0.2), [H * hs])),
        vBias: backend.upload(t(floats(H * hs, 3, 0.2), [H * hs])),
        mask: backend.upload(t(new Int32Array(B * L).fill(1), [B, L])),
        posKey: backend.upload(t(floats(H * 2 * span * hs, 4), [H, 2 * span, hs])),
        posQuery: backend.upload(t(floats(H * 2 * span * hs, 5), [H, 2 * span, hs])),
        ...(table ? { relativeIndex: backend.upload(t(closed, [2 * L - 1])) } : {}),
      });
      const attrs = { numHeads: H, scale: 0.3, span, returnProbs: true };
      const got = nat.fused.disentangledAttention!(inputs(nat, true), attrs);
      const want = js.fused.disentangledAttention!(inputs(js, false), attrs);
      expect(
        maxDiff(nat.read(got.context) as Float32Array, js.read(want.context) as Float32Array),
      ).toBeLessThan(2e-5);
      expect(
        maxDiff(nat.read(got.probs!) as Float32Array, js.read(want.probs!) as Float32Array),
      ).toBeLessThan(2e-6);
    });

    it("rejects a bad relative index table with a typed error naming it, before the native call", () => {
      const [L, span] = [3, 2];
      const inputs = (table: Float32Array | Int32Array, dims: number[]) => ({
        qkv: nat.upload(t(floats(L * 6, 1), [1, L, 6])),
        qBias: nat.upload(t(floats(2, 2), [2])),
        vBias: nat.upload(t(floats(2, 3), [2])),
        mask: nat.upload(t(new Int32Array(L).fill(1), [1, L])),
        posKey: nat.upload(t(floats(2 * span * 2, 4), [1, 2 * span, 2])),
        relativeIndex: nat.upload(t(table, dims)),
      });
      const attrs = { numHeads: 1, scale: 1, span, returnProbs: false };
      // These messages come from the TypeScript checks (the addon reports a bare status code).
      for (const [table, dims, code, message] of [
        [
          Int32Array.from([0, 1, 2, 3, 4]),
          [5],
          "BACKEND_SHAPE",
          /relativeIndex\[4\] = 4 is outside \[0, 4\)/,
        ],
        [Int32Array.from([0, 1, -1, 3, 3]), [5], "BACKEND_SHAPE", /relativeIndex\[2\] = -1/],
        [
          Int32Array.from([0, 1, 2, 3]),
          [4],
          "BACKEND_SHAPE",
          /relativeIndex must be \[2 \* length - 1\] = \[5\]/,
        ],
        [Float32Array.from([0, 1, 2, 3, 3]), [5], "BACKEND_DTYPE", /relativeIndex must be int32/],
      ] as const) {
        expect(() => nat.fused.disentangledAttention!(inputs(table, [...dims]), attrs)).toThrow(
          expect.objectContaining({
            code,
            op: "disentangledAttention",
            message: expect.stringMatching(message),
          }),
        );
      }
    });

    it("rejects a key bias of the wrong length", () => {
      const inputs = {
        qkv: nat.upload(t(floats(12, 1), [1, 2, 6])),
        qBias: nat.upload(t(floats(2, 2), [2])),
        vBias: nat.upload(t(floats(2, 3), [2])),
        kBias: nat.upload(t(floats(3, 3), [3])),
        mask: nat.upload(t(new Int32Array(2).fill(1), [1, 2])),
      };
      expect(() =>
        nat.fused.disentangledAttention!(inputs, { numHeads: 1, scale: 1, span: 1, returnProbs: false }),
      ).toThrow(/k_bias/);
    });

    it("rejects a span of 0 with relative positions before the native call", () => {
      const inputs = {
        qkv: nat.upload(t(floats(12, 1), [1, 2, 6])),
        qBias: nat.upload(t(floats(2, 2), [2])),
        vBias: nat.upload(t(floats(2, 3), [2])),
        mask: nat.upload(t(new Int32Array(2).fill(1), [1, 2])),
        posKey: nat.upload(t(new Float32Array(0), [1, 0, 2])),
      };
      expect(() =>
        nat.fused.disentangledAttention!(inputs, { numHeads: 1, scale: 1, span: 0, returnProbs: false }),
      ).toThrow(/span/);
    });

    for (const residual of [false, true]) {
      it(`layer norm${residual ? " + residual" : ""}, rows of 771 (vector tails), 300 rows`, () => {
        const [rows, n] = [300, 771];
        const args = (backend: CpuBackend) => ({
          x: backend.upload(t(floats(rows * n, 7, 3), [rows, n])),
          ...(residual ? { residual: backend.upload(t(floats(rows * n, 8), [rows, n])) } : {}),
          gamma: backend.upload(t(floats(n, 9), [n])),
          beta: backend.upload(t(floats(n, 10), [n])),
        });
        const got = nat.read(nat.fused.layerNorm!(args(nat), { epsilon: 1e-7 })) as Float32Array;
        const want = js.read(js.fused.layerNorm!(args(js), { epsilon: 1e-7 })) as Float32Array;
        expect(maxDiff(got, want)).toBeLessThan(2e-6);
      });
    }

    it("masked softmax with a broadcast mask, rows of 133", () => {
      const mask = new Int32Array(4 * 133).fill(1);
      for (let i = 0; i < mask.length; i += 3) mask[i] = 0;
      mask.fill(0, 133, 266); // a fully masked row: uniform, as the JS kernel
      const args = (backend: CpuBackend) => ({
        x: backend.upload(t(floats(4 * 50 * 133, 11, 20), [4, 50, 133])),
        mask: backend.upload(t(mask, [4, 1, 133])),
      });
      const got = nat.read(nat.fused.maskedSoftmax!(args(nat), {})) as Float32Array;
      const want = js.read(js.fused.maskedSoftmax!(args(js), {})) as Float32Array;
      expect(maxDiff(got, want)).toBeLessThan(1e-6);
    });

    for (const fn of ["gelu", "gelu_new", "relu", "tanh"] as const) {
      it(`activation ${fn}, 100003 values in [-15, 15]`, () => {
        const args = (backend: CpuBackend) => ({ x: backend.upload(t(floats(100003, 12, 15), [100003])) });
        const got = nat.read(nat.fused.activation!(args(nat), { fn })) as Float32Array;
        const want = js.read(js.fused.activation!(args(js), { fn })) as Float32Array;
        expect(maxDiff(got, want)).toBeLessThan(5e-6);
      });
    }
  });
}
