// feature-extraction on the base-like DebertaModel. Reference: the texts padded together by the tokenizer,
// one direct call of the model, and pooling / normalisation written out here.
import { DebertaForSequenceClassification, DebertaModel } from "@deberta/heads";
import type { Tensor } from "@deberta/tensor";
import { DebertaTokenizer } from "@deberta/tokenizer";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { pipeline } from "../pipeline.js";
import { modelDir, newBackend } from "../test-support.js";

const backend = await newBackend();
afterAll(() => backend.close());

let tokenizer: DebertaTokenizer;
let base: DebertaModel;
beforeAll(async () => {
  tokenizer = await DebertaTokenizer.from_pretrained(modelDir("model"));
  base = await DebertaModel.from_pretrained(modelDir("model"), { backend });
});

const TEXTS = ["Hello world.", "A somewhat longer sentence about nothing at all.", "Short one"];

/** [batch, tokens, hidden] hidden states and the attention mask of the texts padded together. */
async function hidden(model: DebertaModel, texts: string[]) {
  const enc = tokenizer(texts, { padding: true, return_tensor: true });
  const out = await model({
    input_ids: enc.input_ids as Tensor,
    attention_mask: enc.attention_mask as Tensor,
  });
  const t = out.last_hidden_state!;
  const [b, l, h] = t.dims as [number, number, number];
  const data = t.data as Float32Array;
  const mask = Array.from((enc.attention_mask as Tensor).data as BigInt64Array, Number);
  const at = (i: number, j: number) => Array.from(data.subarray((i * l + j) * h, (i * l + j + 1) * h));
  return { b, l, h, at, mask: (i: number, j: number) => mask[i * l + j]! };
}

function maxDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let m = 0;
  for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(got[i]! - want[i]!));
  return m;
}

const unit = (v: number[]) => {
  const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  return v.map((x) => x / n);
};

describe("feature-extraction", () => {
  it('pooling "none": a [batch, tokens, hidden] Tensor of the last hidden state', async () => {
    const extract = await pipeline("feature-extraction", modelDir("model"), { backend });
    const ref = await hidden(base, TEXTS);
    const got = await extract(TEXTS);
    expect(got.dims).toEqual([3, ref.l, ref.h]);
    const want: number[] = [];
    for (let i = 0; i < ref.b; i++) for (let j = 0; j < ref.l; j++) want.push(...ref.at(i, j));
    expect(maxDiff(got.data as Float32Array, want)).toBeLessThan(1e-6);
    // One string: batch of one, as transformers.js.
    expect((await extract(TEXTS[0]!)).dims.slice(0, 1)).toEqual([1]);
    extract.dispose();
  });

  it('pooling "mean" averages over the attention mask only; "cls" takes token 0; normalize divides by the L2 norm', async () => {
    const extract = await pipeline("feature-extraction", { model: base, tokenizer }, { batch_size: 2 });
    const ref = await hidden(base, TEXTS);
    const forward = vi.spyOn(base, "forward");
    const mean = await extract(TEXTS, { pooling: "mean" });
    expect(forward).toHaveBeenCalledTimes(2); // 3 inputs, batch_size 2
    forward.mockRestore();
    expect(mean.dims).toEqual([3, ref.h]);
    const wantMean: number[][] = [];
    for (let i = 0; i < ref.b; i++) {
      const sum = new Array<number>(ref.h).fill(0);
      let n = 0;
      for (let j = 0; j < ref.l; j++) {
        if (ref.mask(i, j) === 0) continue;
        n++;
        ref.at(i, j).forEach((v, k) => {
          sum[k]! += v;
        });
      }
      wantMean.push(sum.map((v) => v / n));
    }
    expect(maxDiff(mean.data as Float32Array, wantMean.flat())).toBeLessThan(1e-6);
    // The padded third row would give another mean if padding counted.
    const withPads = ref.at(2, 0).map((_, k) => {
      let s = 0;
      for (let j = 0; j < ref.l; j++) s += ref.at(2, j)[k]!;
      return s / ref.l;
    });
    expect(maxDiff(withPads, wantMean[2]!)).toBeGreaterThan(1e-3);

    const cls = await extract(TEXTS, { pooling: "cls", normalize: true });
    const wantCls = [0, 1, 2].map((i) => unit(ref.at(i, 0)));
    expect(maxDiff(cls.data as Float32Array, wantCls.flat())).toBeLessThan(1e-6);
    const normalizedMean = (await extract(TEXTS, {
      pooling: "mean",
      normalize: true,
      return_tensor: false,
    })) as number[][];
    expect(normalizedMean).toHaveLength(3);
    normalizedMean.forEach((v, i) => {
      expect(maxDiff(v, unit(wantMean[i]!))).toBeLessThan(1e-6);
      expect(Math.abs(Math.hypot(...v) - 1)).toBeLessThan(1e-6);
    });
    await expect(extract(TEXTS, { pooling: "max" as never })).rejects.toMatchObject({ argument: "pooling" });
  });

  it("a head model gives the same features through its hidden states as its backbone loaded as DebertaModel", async () => {
    const seqcls = await DebertaForSequenceClassification.from_pretrained(modelDir("seqcls"), { backend });
    const fromHead = await pipeline("feature-extraction", { model: seqcls, tokenizer });
    // Loading the seqcls folder for feature-extraction builds a DebertaModel of its backbone (like AutoModel).
    const fromFolder = await pipeline("feature-extraction", modelDir("seqcls"), { backend });
    expect((fromFolder.model.constructor as { architecture?: string }).architecture).toBe("DebertaModel");
    const a = await fromHead(TEXTS, { pooling: "mean" });
    const b = await fromFolder(TEXTS, { pooling: "mean" });
    expect(maxDiff(a.data as Float32Array, b.data as Float32Array)).toBeLessThan(1e-6);
    // And they are not the base-like "model" checkpoint's features (other weights).
    const c = await (await pipeline("feature-extraction", { model: base, tokenizer }))(TEXTS, {
      pooling: "mean",
    });
    expect(maxDiff(a.data as Float32Array, c.data as Float32Array)).toBeGreaterThan(1e-3);
    fromFolder.dispose();
  });
});
