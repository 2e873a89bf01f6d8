// text-classification against a reference computed here from the raw head outputs: the tokenizer and
// DebertaForSequenceClassification are called directly, and transformers' rules are applied by hand.
import { type AnyDebertaConfig, DebertaConfig } from "@deberta/config";
import { DebertaForSequenceClassification } from "@deberta/heads";
import { DebertaTokenizer } from "@deberta/tokenizer";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PipelineError } from "../errors.js";
import { pipeline } from "../pipeline.js";
import { int64, modelDir, newBackend, row } from "../test-support.js";

const backend = await newBackend();
afterAll(() => backend.close());

let tokenizer: DebertaTokenizer;
let seqcls: DebertaForSequenceClassification;
beforeAll(async () => {
  tokenizer = await DebertaTokenizer.from_pretrained(modelDir("seqcls"));
  seqcls = await DebertaForSequenceClassification.from_pretrained(modelDir("seqcls"), { backend });
});

/** Raw logits of one input, run alone (no padding). */
async function logitsOf(
  model: DebertaForSequenceClassification,
  text: string,
  pair?: string,
): Promise<number[]> {
  const enc = tokenizer(text, pair === undefined ? {} : { text_pair: pair });
  const out = await model({
    input_ids: int64([enc.input_ids as number[]]),
    attention_mask: int64([enc.attention_mask as number[]]),
    token_type_ids: int64([enc.token_type_ids as number[]]),
  });
  return row(out.logits!, 0);
}

// Reference maths, written out plainly.
const softmaxRef = (z: number[]) => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const sigmoidRef = (z: number[]) => z.map((v) => 1 / (1 + Math.exp(-v)));
const labelsSorted = (config: AnyDebertaConfig, scores: number[]) =>
  scores.map((score, i) => ({ label: config.id2label[i]!, score })).sort((a, b) => b.score - a.score);

function expectLabels(got: unknown, want: { label: string; score: number }[]) {
  const list = got as { label: string; score: number }[];
  expect(list.map((x) => x.label)).toEqual(want.map((x) => x.label));
  list.forEach((x, i) => {
    expect(Math.abs(x.score - want[i]!.score)).toBeLessThan(1e-6);
  });
}

const TEXTS = [
  "A soccer game with multiple males playing.",
  "Some men are playing a sport.",
  "The cat sat on the mat.",
  "Who wrote this?",
  "An older and younger man smiling.",
];

describe("text-classification", () => {
  it("a single string gives [{label, score}]: softmax over the 3 NLI labels, the best one", async () => {
    const classify = await pipeline("text-classification", { model: seqcls, tokenizer });
    const scores = softmaxRef(await logitsOf(seqcls, TEXTS[0]!));
    const best = labelsSorted(seqcls.config, scores)[0]!;
    const got = await classify(TEXTS[0]!);
    expect(got).toHaveLength(1);
    expectLabels(got, [best]);
    // The score is the softmax probability, not the logit: the three probabilities sum to 1.
    expect(scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it("top_k: null gives every label sorted by score; top_k: 2 the first two", async () => {
    const classify = await pipeline("sentiment-analysis", { model: seqcls, tokenizer });
    expect(classify.task).toBe("text-classification");
    const want = labelsSorted(seqcls.config, softmaxRef(await logitsOf(seqcls, TEXTS[1]!)));
    expectLabels(await classify(TEXTS[1]!, { top_k: null }), want);
    expectLabels(await classify(TEXTS[1]!, { top_k: 2 }), want.slice(0, 2));
  });

  it("{text, text_pair} is encoded as a pair; without top_k it gives a bare {label, score}, like transformers", async () => {
    const classify = await pipeline("text-classification", { model: seqcls, tokenizer });
    const scores = softmaxRef(await logitsOf(seqcls, TEXTS[0]!, TEXTS[1]!));
    const want = labelsSorted(seqcls.config, scores);
    const got = await classify({ text: TEXTS[0]!, text_pair: TEXTS[1]! });
    expect(Array.isArray(got)).toBe(false);
    expectLabels([got], [want[0]!]);
    // The pair differs from the premise alone (so text_pair was used).
    const alone = softmaxRef(await logitsOf(seqcls, TEXTS[0]!));
    expect(Math.max(...scores.map((s, i) => Math.abs(s - alone[i]!)))).toBeGreaterThan(1e-6);
    // A list of inputs with top_k gives one list per input.
    const both = await classify([{ text: TEXTS[0]!, text_pair: TEXTS[1]! }, TEXTS[2]!], { top_k: 1 });
    expect(both).toHaveLength(2);
    expectLabels(both[0], [want[0]!]);
    expectLabels(both[1], [labelsSorted(seqcls.config, softmaxRef(await logitsOf(seqcls, TEXTS[2]!)))[0]!]);
  });

  it("a list without top_k gives one {label, score} per input", async () => {
    const classify = await pipeline("text-classification", { model: seqcls, tokenizer });
    const got = await classify(TEXTS.slice(0, 3));
    expect(got).toHaveLength(3);
    for (const [i, text] of TEXTS.slice(0, 3).entries()) {
      expectLabels([got[i]], [labelsSorted(seqcls.config, softmaxRef(await logitsOf(seqcls, text)))[0]!]);
    }
  });

  it("multi_label_classification configs default to sigmoid, one-label configs too; function_to_apply overrides", async () => {
    const multi = await DebertaForSequenceClassification.from_pretrained(modelDir("seqcls-multilabel"), {
      backend,
    });
    const regression = await DebertaForSequenceClassification.from_pretrained(modelDir("seqcls-regression"), {
      backend,
    });
    const multiClassify = await pipeline("text-classification", { model: multi, tokenizer });
    const z = await logitsOf(multi, TEXTS[3]!);
    expectLabels(await multiClassify(TEXTS[3]!, { top_k: null }), labelsSorted(multi.config, sigmoidRef(z)));
    expectLabels(
      await multiClassify(TEXTS[3]!, { top_k: null, function_to_apply: "softmax" }),
      labelsSorted(multi.config, softmaxRef(z)),
    );
    expectLabels(
      await multiClassify(TEXTS[3]!, { top_k: null, function_to_apply: "none" }),
      labelsSorted(multi.config, z),
    );
    // num_labels 1 (no problem_type): sigmoid of the single logit.
    const regClassify = await pipeline("text-classification", { model: regression, tokenizer });
    const r = await logitsOf(regression, TEXTS[3]!);
    expectLabels(await regClassify(TEXTS[3]!), [{ label: "LABEL_0", score: sigmoidRef(r)[0]! }]);
    // problem_type "regression": no function at all (transformers' rule since 4.3x).
    const asRegression = await DebertaForSequenceClassification.from_pretrained(
      modelDir("seqcls-regression"),
      {
        backend,
        config: DebertaConfig.from_dict({ ...regression.config.to_dict(), problem_type: "regression" }),
      },
    );
    const rawClassify = await pipeline("text-classification", { model: asRegression, tokenizer });
    expectLabels(await rawClassify(TEXTS[3]!), [{ label: "LABEL_0", score: r[0]! }]);
  });

  it("batch_size is honoured: 5 inputs with batch_size 2 run 3 forwards of 2, 2 and 1 padded rows", async () => {
    const classify = await pipeline("text-classification", modelDir("seqcls"), { backend, batch_size: 2 });
    const forward = vi.spyOn(classify.model, "forward");
    const got = await classify(TEXTS, { top_k: null });
    expect(forward).toHaveBeenCalledTimes(3);
    expect(forward.mock.calls.map(([inputs]) => inputs.input_ids.dims[0])).toEqual([2, 2, 1]);
    // Reference: the same batches padded by the tokenizer, run directly.
    for (let start = 0; start < TEXTS.length; start += 2) {
      const batch = TEXTS.slice(start, start + 2);
      const enc = tokenizer(batch, { padding: true, return_tensor: true });
      const out = await seqcls({
        input_ids: enc.input_ids as never,
        attention_mask: enc.attention_mask as never,
        token_type_ids: enc.token_type_ids as never,
      });
      batch.forEach((_, b) => {
        expectLabels(got[start + b], labelsSorted(seqcls.config, softmaxRef(row(out.logits!, b))));
      });
    }
    classify.dispose();
  });

  it("rejects bad arguments with a PipelineError naming them", async () => {
    const classify = await pipeline("text-classification", { model: seqcls, tokenizer });
    await expect(classify(TEXTS[0]!, { top_k: 0 })).rejects.toMatchObject({
      code: "PIPELINE_ARGUMENT",
      argument: "top_k",
    });
    await expect(classify(TEXTS[0]!, { function_to_apply: "relu" as never })).rejects.toMatchObject({
      argument: "function_to_apply",
    });
    await expect(classify([["a", "b"]] as never)).rejects.toBeInstanceOf(PipelineError);
    await expect(classify([["a", "b"]] as never)).rejects.toMatchObject({ argument: "inputs[0]" });
  });
});
