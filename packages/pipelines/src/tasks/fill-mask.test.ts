// fill-mask on the mlm checkpoint. Reference: the head's logits at each [MASK] position, softmaxed over the
// vocabulary here, the top tokens picked by hand, and each filled-in sequence decoded with the tokenizer.
import { DebertaForMaskedLM } from "@deberta/heads";
import { DebertaTokenizer } from "@deberta/tokenizer";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { pipeline } from "../pipeline.js";
import { int64, modelDir, newBackend, tokenizerDir } from "../test-support.js";

const backend = await newBackend();
afterAll(() => backend.close());

let tokenizer: DebertaTokenizer;
let mlm: DebertaForMaskedLM;
beforeAll(async () => {
  tokenizer = await DebertaTokenizer.from_pretrained(tokenizerDir());
  mlm = await DebertaForMaskedLM.from_pretrained(modelDir("mlm"), { backend });
});

interface Candidate {
  score: number;
  token: number;
  token_str: string;
  sequence: string;
}

/** Probabilities at every mask of `text` (softmax over the vocabulary), with the input ids. */
async function maskProbs(text: string): Promise<{ ids: number[]; masks: number[]; probs: number[][] }> {
  const ids = tokenizer(text).input_ids as number[];
  const out = await mlm({ input_ids: int64([ids]) });
  const vocab = out.logits!.dims[2]!;
  const data = out.logits!.data as Float32Array;
  const masks = ids.map((id, i) => (id === tokenizer.mask_token_id ? i : -1)).filter((i) => i >= 0);
  const probs = masks.map((p) => {
    const z = Array.from(data.subarray(p * vocab, (p + 1) * vocab));
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });
  return { ids, masks, probs };
}

/** transformers' postprocess: top_k over (candidate ids), the mask replaced, decoded. */
function candidates(
  ids: number[],
  position: number,
  probs: number[],
  topK: number,
  skipSpecial: boolean,
  allowed?: number[],
): Candidate[] {
  const pool = allowed ?? probs.map((_, i) => i);
  return pool
    .map((token) => ({ token, score: probs[token]! }))
    .sort((a, b) => b.score - a.score)
    .slice(0, topK)
    .map(({ token, score }) => {
      const filled = ids.slice();
      filled[position] = token;
      return {
        score,
        token,
        token_str: tokenizer.decode([token]),
        sequence: tokenizer.decode(filled, { skip_special_tokens: skipSpecial }),
      };
    });
}

function expectCandidates(got: Candidate[], want: Candidate[]) {
  expect(got.map((c) => [c.token, c.token_str, c.sequence])).toEqual(
    want.map((c) => [c.token, c.token_str, c.sequence]),
  );
  got.forEach((c, i) => {
    expect(Math.abs(c.score - want[i]!.score)).toBeLessThan(1e-6);
  });
}

describe("fill-mask", () => {
  it("one mask: the 5 most probable tokens with the filled-in sequence (special tokens skipped)", async () => {
    const unmask = await pipeline("fill-mask", modelDir("mlm"), { backend });
    const text = "The capital of France is [MASK].";
    const { ids, masks, probs } = await maskProbs(text);
    const got = (await unmask(text)) as Candidate[];
    expect(got).toHaveLength(5);
    expectCandidates(got, candidates(ids, masks[0]!, probs[0]!, 5, true));
    expect(got[0]!.sequence).not.toContain("[CLS]");
    unmask.dispose();
  });

  it("targets: a vocabulary entry as is, other words by their first token; top_k capped at the targets", async () => {
    const unmask = await pipeline("fill-mask", { model: mlm, tokenizer });
    const text = "The cat sat on the [MASK].";
    const targets = ["Ġthe", " dog", "mat", "Ġthe"];
    // Reference target ids: vocabulary lookup, else the first token of the word without special tokens.
    const vocab = tokenizer.get_vocab();
    const ids = [
      ...new Set(
        targets.map(
          (t) => vocab[t] ?? (tokenizer(t, { add_special_tokens: false }).input_ids as number[])[0]!,
        ),
      ),
    ];
    expect(ids).toHaveLength(3);
    const the = targets[0]!;
    expect(ids[0]).toBe(vocab[the]);
    const { ids: input, masks, probs } = await maskProbs(text);
    const got = (await unmask(text, { targets, top_k: 10 })) as Candidate[];
    expect(got).toHaveLength(3);
    expectCandidates(got, candidates(input, masks[0]!, probs[0]!, 3, true, ids));
    // The score stays the probability over the whole vocabulary (not renormalised over the targets).
    expect(got.reduce((a, c) => a + c.score, 0)).toBeLessThan(0.999);
    const two = (await unmask(text, { targets: "mat", top_k: 1 })) as Candidate[];
    expect(two).toHaveLength(1);
  });

  it("several masks: a list per mask, sequences keep the special tokens; a list of inputs batches", async () => {
    const unmask = await pipeline("fill-mask", { model: mlm, tokenizer }, { batch_size: 2 });
    const texts = ["[MASK] sat on the [MASK].", "Paris is [MASK].", "A [MASK] day."];
    const forward = vi.spyOn(mlm, "forward");
    const got = await unmask(texts, { top_k: 3 });
    expect(forward).toHaveBeenCalledTimes(2);
    forward.mockRestore();
    expect(got).toHaveLength(3);
    const multi = got[0] as Candidate[][];
    expect(multi).toHaveLength(2);
    const ref = await maskProbs(texts[0]!);
    multi.forEach((list, m) => {
      expectCandidates(list, candidates(ref.ids, ref.masks[m]!, ref.probs[m]!, 3, false));
    });
    expect(multi[0]![0]!.sequence.startsWith("[CLS]")).toBe(true);
    for (const i of [1, 2]) {
      const r = await maskProbs(texts[i]!);
      expectCandidates(got[i] as Candidate[], candidates(r.ids, r.masks[0]!, r.probs[0]!, 3, true));
    }
  });

  it("an input without a mask token is a PIPELINE_NO_MASK_TOKEN error naming it", async () => {
    const unmask = await pipeline("fill-mask", { model: mlm, tokenizer });
    await expect(unmask("No mask here.")).rejects.toMatchObject({
      code: "PIPELINE_NO_MASK_TOKEN",
      argument: "inputs",
    });
    await expect(unmask(["A [MASK].", "none"])).rejects.toMatchObject({
      code: "PIPELINE_NO_MASK_TOKEN",
      argument: "inputs[1]",
    });
    await expect(unmask("A [MASK].", { targets: [""] })).rejects.toMatchObject({ argument: "targets" });
  });

  it("a tokenizer padding on the left: batched rows are cut back at their own mask positions", async () => {
    const left = await DebertaTokenizer.from_pretrained(tokenizerDir(), { padding_side: "left" });
    const unmask = await pipeline("fill-mask", { model: mlm, tokenizer: left }, { batch_size: 3 });
    const texts = [
      "A [MASK].",
      "The capital of France is [MASK].",
      "[MASK] sat on the mat and then the dog sat.",
    ];
    const got = (await unmask(texts, { top_k: 2 })) as Candidate[][];
    for (const [i, text] of texts.entries()) {
      const r = await maskProbs(text);
      expectCandidates(got[i]!, candidates(r.ids, r.masks[0]!, r.probs[0]!, 2, true));
    }
  });
});
