// zero-shot-classification on the seqcls NLI checkpoint (contradiction 0, neutral 1, entailment 2). The
// reference runs each (sequence, hypothesis) pair alone through the head and applies transformers' rule.
import { DebertaForSequenceClassification } from "@deberta/heads";
import { DebertaTokenizer } from "@deberta/tokenizer";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
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

const ENTAILMENT = 2;
const CONTRADICTION = 0;

async function pairLogits(sequence: string, hypothesis: string): Promise<number[]> {
  const enc = tokenizer(sequence, { text_pair: hypothesis });
  const out = await seqcls({
    input_ids: int64([enc.input_ids as number[]]),
    attention_mask: int64([enc.attention_mask as number[]]),
    token_type_ids: int64([enc.token_type_ids as number[]]),
  });
  return row(out.logits!, 0);
}

/** transformers' postprocess written out: entailment softmax over labels, or per-label [contra, entail]. */
async function reference(
  sequence: string,
  labels: string[],
  multiLabel: boolean,
  template = "This example is {}.",
) {
  const logits = [];
  for (const label of labels) logits.push(await pairLogits(sequence, template.replace("{}", label)));
  let scores: number[];
  if (multiLabel || labels.length === 1) {
    scores = logits.map((z) => {
      const e = Math.exp(z[ENTAILMENT]!);
      const c = Math.exp(z[CONTRADICTION]!);
      return e / (e + c);
    });
  } else {
    const e = logits.map((z) => Math.exp(z[ENTAILMENT]!));
    const sum = e.reduce((a, b) => a + b, 0);
    scores = e.map((v) => v / sum);
  }
  const order = labels.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  return { sequence, labels: order.map((i) => labels[i]!), scores: order.map((i) => scores[i]!) };
}

function expectResult(got: { sequence: string; labels: string[]; scores: number[] }, want: typeof got) {
  expect(got.sequence).toBe(want.sequence);
  expect(got.labels).toEqual(want.labels);
  got.scores.forEach((s, i) => {
    expect(Math.abs(s - want.scores[i]!)).toBeLessThan(1e-6);
  });
}

const SEQUENCES = ["One day I will see the world.", "The stock market fell sharply today."];
const LABELS = ["travel", "cooking", "dancing", "finance"];

describe("zero-shot-classification", () => {
  it("softmax of the entailment logits over the labels, sorted; one forward per sequence by default", async () => {
    const classify = await pipeline("zero-shot-classification", { model: seqcls, tokenizer });
    const forward = vi.spyOn(seqcls, "forward");
    const got = await classify(SEQUENCES[0]!, { candidate_labels: LABELS });
    // All 4 pairs of the sequence in one forward (not one per label).
    expect(forward).toHaveBeenCalledTimes(1);
    expect(forward.mock.calls[0]![0].input_ids.dims[0]).toBe(4);
    forward.mockRestore();
    expectResult(got, await reference(SEQUENCES[0]!, LABELS, false));
    expect(got.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it("all (sequence, label) pairs of a call go through batched forwards of batch_size", async () => {
    const classify = await pipeline(
      "zero-shot-classification",
      { model: seqcls, tokenizer },
      { batch_size: 3 },
    );
    const forward = vi.spyOn(seqcls, "forward");
    const got = await classify(SEQUENCES, { candidate_labels: LABELS });
    // 2 sequences x 4 labels = 8 pairs in batches of 3: 3 forwards (3 + 3 + 2 rows), across sequences.
    expect(forward).toHaveBeenCalledTimes(3);
    expect(forward.mock.calls.map(([inputs]) => inputs.input_ids.dims[0])).toEqual([3, 3, 2]);
    forward.mockRestore();
    expect(got).toHaveLength(2);
    for (const [i, s] of SEQUENCES.entries()) expectResult(got[i]!, await reference(s, LABELS, false));
  });

  it("multi_label: each label's softmax over [contradiction, entailment]; a single label uses it too", async () => {
    const classify = await pipeline("zero-shot-classification", { model: seqcls, tokenizer });
    const got = await classify(SEQUENCES[1]!, { candidate_labels: LABELS, multi_label: true });
    expectResult(got, await reference(SEQUENCES[1]!, LABELS, true));
    // Independent scores: they need not sum to 1, and differ from the single-label scores.
    const single = await classify(SEQUENCES[1]!, { candidate_labels: LABELS });
    expect(Math.abs(got.scores[0]! - single.scores[0]!)).toBeGreaterThan(1e-6);
    expectResult(
      await classify(SEQUENCES[1]!, { candidate_labels: ["finance"] }),
      await reference(SEQUENCES[1]!, ["finance"], true),
    );
  });

  it("labels as a comma-separated string or positional, and a custom hypothesis_template", async () => {
    const classify = await pipeline("zero-shot-classification", { model: seqcls, tokenizer });
    const template = "The topic is {}!";
    const want = await reference(SEQUENCES[0]!, ["travel", "cooking", "finance"], false, template);
    expectResult(
      await classify(SEQUENCES[0]!, {
        candidate_labels: " travel, cooking,, finance ",
        hypothesis_template: template,
      }),
      want,
    );
    expectResult(
      await classify(SEQUENCES[0]!, ["travel", "cooking", "finance"], { hypothesis_template: template }),
      want,
    );
  });

  it("errors: missing candidate_labels, a template without {}, a model without an entailment label", async () => {
    const classify = await pipeline("zero-shot-classification", { model: seqcls, tokenizer });
    await expect(classify(SEQUENCES[0]!, {})).rejects.toMatchObject({
      code: "PIPELINE_MISSING_ARGUMENT",
      argument: "candidate_labels",
    });
    await expect(classify(SEQUENCES[0]!, { candidate_labels: " , " })).rejects.toMatchObject({
      argument: "candidate_labels",
    });
    await expect(
      classify(SEQUENCES[0]!, { candidate_labels: LABELS, hypothesis_template: "No slot." }),
    ).rejects.toMatchObject({ code: "PIPELINE_ARGUMENT", argument: "hypothesis_template" });
    // LABEL_0..LABEL_3: no label starts with "entail".
    await expect(
      pipeline("zero-shot-classification", modelDir("seqcls-multilabel"), { backend, tokenizer }),
    ).rejects.toMatchObject({ code: "PIPELINE_MODEL_CONFIG", argument: "model" });
  });
});
