// Every task on DeBERTa-v2 / v3 checkpoints (../shared/fixtures/deberta-v2/models) with the SentencePiece
// tokenizer of the fixtures (tokenizer-spm: spm.model + tokenizer_config.json, as microsoft/deberta-v3-*
// ship). The fixtures' inputs are synthetic ids, but row 1 of every fixture batch (40 tokens, one sequence,
// a [MASK] and an [UNK] in it, no padding) is what the tokenizer gives for its own decoded text: the
// pipelines run on that text, and what they return is checked against the fixtures' float64 outputs of
// that row (text-classification, fill-mask, token-classification, feature-extraction). Zero-shot and QA
// need sentence pairs, which no fixture row is: their reference runs the head alone on the tokenizer's
// pairs (the head itself is checked against the fixtures in @deberta/heads) and applies transformers'
// rules written out here.
import path from "node:path";
import { DebertaV2Config } from "@deberta/config";
import {
  DebertaV2ForMaskedLM,
  DebertaV2ForQuestionAnswering,
  DebertaV2ForSequenceClassification,
  DebertaV2ForTokenClassification,
  DebertaV2Model,
  headRegistry,
} from "@deberta/heads";
import { readWeightsFile } from "@deberta/hub";
import { expectedTensor, fixturesDir, type ReferenceTensor } from "@deberta/testing";
import { DebertaV2Tokenizer } from "@deberta/tokenizer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PipelineError } from "./errors.js";
import { loadModelAndTokenizer } from "./load.js";
import { pipeline } from "./pipeline.js";
import { int64, newBackend, row } from "./test-support.js";

const backend = await newBackend();
afterAll(() => backend.close());

const V2 = path.join(fixturesDir(), "deberta-v2");
const SPM = path.join(V2, "tokenizer-spm");
const checkpoint = (head: string, variant = "v3-like") => path.join(V2, "models", variant, head);
/** The fixture row the tokenizer reproduces from text (see the top of the file). */
const ROW = 1;

let tokenizer: DebertaV2Tokenizer;
beforeAll(async () => {
  tokenizer = await DebertaV2Tokenizer.from_pretrained(SPM);
});

interface Reference {
  dir: string;
  expected: Map<string, ReferenceTensor>;
}

async function reference(dir: string): Promise<Reference> {
  return { dir, expected: new Map(await readWeightsFile(path.join(dir, "expected.safetensors"))) };
}

/** Row ROW of a fixture output [4, ...] as float64 values. */
function fixtureRow(f: Reference, name: string): number[] {
  const t = expectedTensor(f, name);
  const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from(t.data.subarray(ROW * width, (ROW + 1) * width));
}

/** The ids of row ROW and the text they decode to, which the tokenizer encodes back to the same ids. */
function rowText(f: Reference): { ids: number[]; text: string } {
  const ids = fixtureRow(f, "input_ids");
  const mask = fixtureRow(f, "attention_mask");
  expect(mask.every((m) => m === 1)).toBe(true);
  const text = tokenizer.decode(ids.slice(1, -1));
  expect(tokenizer(text).input_ids).toEqual(ids);
  return { ids, text };
}

const softmax = (z: readonly number[]) => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const argmax = (z: readonly number[]) => z.indexOf(Math.max(...z));
const order = (scores: readonly number[]) => scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);

describe("DeBERTa-v2 checkpoints in the pipelines", () => {
  it("a folder loads as the v2 head of the task, and a tokenizer folder as DebertaV2Tokenizer", async () => {
    const cases: [string, string, unknown][] = [
      ["text-classification", "ForSequenceClassification", DebertaV2ForSequenceClassification],
      ["zero-shot-classification", "ForSequenceClassification", DebertaV2ForSequenceClassification],
      ["fill-mask", "ForMaskedLM", DebertaV2ForMaskedLM],
      ["token-classification", "ForTokenClassification", DebertaV2ForTokenClassification],
      ["question-answering", "ForQuestionAnswering", DebertaV2ForQuestionAnswering],
      ["feature-extraction", "Model", DebertaV2Model],
    ];
    for (const [task, head, Head] of cases) {
      const p = await pipeline(task, checkpoint(head), { backend, tokenizer: SPM });
      expect(p.model, task).toBeInstanceOf(Head as never);
      expect(p.tokenizer).toBeInstanceOf(DebertaV2Tokenizer);
      p.dispose();
    }
    // Without a task: the head config.architectures names, for every v2 checkpoint.
    for (const head of ["ForMaskedLM-nonlegacy", "ForMultipleChoice"]) {
      const loaded = await loadModelAndTokenizer(checkpoint(head), { backend, tokenizer: SPM });
      expect(loaded.model.constructor).toBe(headRegistry.get(loaded.model.config.architectures![0]!));
      loaded.dispose();
    }
  });

  it("a v2 model object of the wrong head is refused, naming the v2 class the task needs", async () => {
    const { model, dispose } = await loadModelAndTokenizer(checkpoint("ForMaskedLM"), {
      backend,
      tokenizer: SPM,
    });
    const error = await pipeline("text-classification", { model, tokenizer }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).code).toBe("PIPELINE_ARGUMENT");
    expect((error as PipelineError).message).toContain("DebertaV2ForSequenceClassification");
    expect((error as PipelineError).message).toContain("DebertaV2ForMaskedLM");
    dispose();
  });

  it.each([
    ["v3-like", 1e-5],
    ["v2-xlarge-like", 1e-5],
  ])(
    "text-classification (%s): labels and scores of the fixture's float64 logits",
    async (variant, tolerance) => {
      const dir = checkpoint("ForSequenceClassification", variant);
      const f = await reference(dir);
      const { text } = rowText(f);
      const classify = await pipeline("text-classification", dir, { backend, tokenizer: SPM });
      const scores = softmax(fixtureRow(f, "logits"));
      const id2label = classify.model.config.id2label;
      const got = await classify(text, { top_k: null });
      expect(got.map((x) => x.label)).toEqual(order(scores).map((i) => id2label[i]));
      got.forEach((x, k) => {
        expect(Math.abs(x.score - scores[order(scores)[k]!]!)).toBeLessThan(tolerance);
      });
      expect(await classify(text)).toEqual([got[0]]);
      classify.dispose();
    },
  );

  it.each(["ForMaskedLM", "ForMaskedLM-nonlegacy"])(
    "fill-mask (%s): [MASK] found, the top tokens and scores of the fixture's logits at the mask",
    async (head) => {
      const dir = checkpoint(head);
      const f = await reference(dir);
      const { ids, text } = rowText(f);
      expect(tokenizer.mask_token).toBe("[MASK]");
      expect(text).toContain("[MASK]");
      const position = ids.indexOf(tokenizer.mask_token_id!);
      const logits = fixtureRow(f, "logits");
      const vocab = logits.length / ids.length;
      const probs = softmax(logits.slice(position * vocab, (position + 1) * vocab));
      const best = order(probs).slice(0, 5);
      const unmask = await pipeline("fill-mask", dir, { backend, tokenizer: SPM });
      const got = (await unmask(text)) as {
        score: number;
        token: number;
        token_str: string;
        sequence: string;
      }[];
      expect(got.map((c) => c.token)).toEqual(best);
      got.forEach((c, k) => {
        expect(Math.abs(c.score - probs[best[k]!]!)).toBeLessThan(1e-5);
        expect(c.token_str).toBe(tokenizer.decode([best[k]!]));
        const filled = ids.map((id, p) => (p === position ? best[k]! : id));
        expect(c.sequence).toBe(tokenizer.decode(filled, { skip_special_tokens: true }));
      });
      // targets: the probabilities of those tokens only.
      const targets = [best[3]!, best[0]!].map((id) => tokenizer.convert_ids_to_tokens(id));
      const targeted = (await unmask(text, { targets })) as { token: number; score: number }[];
      expect(targeted.map((c) => c.token)).toEqual([best[0], best[3]]);
      unmask.dispose();
    },
  );

  it("token-classification: labels of the fixture's logits; words start at '▁' pieces (and added tokens)", async () => {
    const dir = checkpoint("ForTokenClassification");
    const f = await reference(dir);
    const { ids, text } = rowText(f);
    const ner = await pipeline("token-classification", dir, { backend, tokenizer: SPM });
    const id2label = ner.model.config.id2label;
    const logits = fixtureRow(f, "logits");
    const width = logits.length / ids.length;
    const enc = tokenizer(text, { return_offsets_mapping: true, return_special_tokens_mask: true });
    const offsets = enc.offset_mapping as [number, number][];
    const special = enc.special_tokens_mask as number[];
    const pieces = tokenizer.convert_ids_to_tokens(ids);
    const added = new Set(tokenizer.all_special_tokens);
    // The tokens the pipeline keeps, each with its scores and whether it starts a word.
    const tokens = ids.flatMap((_, t) =>
      special[t] === 1
        ? []
        : [
            {
              t,
              scores: softmax(logits.slice(t * width, (t + 1) * width)),
              starts: pieces[t]!.startsWith("▁") || added.has(pieces[t]!) || added.has(pieces[t - 1]!),
            },
          ],
    );
    expect(tokens.filter((k) => !k.starts).length).toBeGreaterThan(5);

    const none = (await ner(text)) as {
      entity: string;
      score: number;
      index: number;
      start: number;
      end: number;
    }[];
    expect(none.map((e) => e.index)).toEqual(tokens.map((k) => k.t));
    none.forEach((e, i) => {
      const scores = tokens[i]!.scores;
      expect(e.entity).toBe(id2label[argmax(scores)]);
      expect(Math.abs(e.score - Math.max(...scores))).toBeLessThan(1e-5);
      expect([e.start, e.end]).toEqual(offsets[tokens[i]!.t]);
    });

    // "first": each word labelled by its first token; then consecutive words of one tag grouped (no B-/I-
    // prefixes here, so every tag counts as I-).
    const words: (typeof tokens)[] = [];
    for (const k of tokens) {
      if (k.starts || words.length === 0) words.push([k]);
      else words[words.length - 1]!.push(k);
    }
    const labelled = words.map((w) => ({
      entity: id2label[argmax(w[0]!.scores)]!,
      score: Math.max(...w[0]!.scores),
      start: offsets[w[0]!.t]![0],
      end: offsets[w[w.length - 1]!.t]![1],
    }));
    const groups: { entity_group: string; scores: number[]; start: number; end: number }[] = [];
    for (const w of labelled) {
      const last = groups[groups.length - 1];
      if (last !== undefined && last.entity_group === w.entity) {
        last.scores.push(w.score);
        last.end = w.end;
      } else groups.push({ entity_group: w.entity, scores: [w.score], start: w.start, end: w.end });
    }
    const first = (await ner(text, { aggregation_strategy: "first" })) as {
      entity_group: string;
      score: number;
      word: string;
      start: number;
      end: number;
    }[];
    expect(first.map((g) => [g.entity_group, g.start, g.end])).toEqual(
      groups.map((g) => [g.entity_group, g.start, g.end]),
    );
    first.forEach((g, i) => {
      const scores = groups[i]!.scores;
      expect(Math.abs(g.score - scores.reduce((a, b) => a + b, 0) / scores.length)).toBeLessThan(1e-5);
      expect(g.word).toBe(text.slice(g.start, g.end));
    });
    // A word is never split between two groups by the word-level strategies.
    const wordStarts = new Set(words.map((w) => offsets[w[0]!.t]![0]));
    for (const strategy of ["average", "max"] as const) {
      const grouped = (await ner(text, { aggregation_strategy: strategy })) as { start: number }[];
      for (const g of grouped) expect(wordStarts.has(g.start), strategy).toBe(true);
    }
    ner.dispose();
  });

  it("zero-shot-classification: the entailment label of a v3 NLI config ('entailment' = 0), any case", async () => {
    const dir = checkpoint("ForSequenceClassification");
    const config = await DebertaV2Config.from_pretrained(dir);
    expect(config.id2label[0]).toBe("entailment");
    const model = await DebertaV2ForSequenceClassification.from_pretrained(dir, { backend });
    const sequence = "One day I will see the world.";
    const labels = ["travel", "cooking", "dancing"];
    const logits: number[][] = [];
    for (const label of labels) {
      const enc = tokenizer(sequence, { text_pair: `This example is ${label}.` });
      const out = await model({
        input_ids: int64([enc.input_ids as number[]]),
        attention_mask: int64([enc.attention_mask as number[]]),
        token_type_ids: int64([enc.token_type_ids as number[]]),
      });
      logits.push(row(out.logits!, 0));
    }
    const entail = config.label2id.entailment!;
    const contra = config.label2id.contradiction!;
    const single = softmax(logits.map((z) => z[entail]!));
    const multi = logits.map((z) => softmax([z[contra]!, z[entail]!])[1]!);

    // The same checkpoint with its labels in capitals: found case-insensitively.
    const shouting = DebertaV2Config.from_dict({
      ...config.to_dict(),
      id2label: { 0: "ENTAILMENT", 1: "NEUTRAL", 2: "CONTRADICTION" },
      label2id: { ENTAILMENT: 0, NEUTRAL: 1, CONTRADICTION: 2 },
    });
    for (const options of [{}, { config: shouting }]) {
      const classify = await pipeline("zero-shot-classification", dir, {
        backend,
        tokenizer: SPM,
        ...options,
      });
      for (const [multiLabel, scores] of [
        [false, single],
        [true, multi],
      ] as const) {
        const got = await classify(sequence, labels, { multi_label: multiLabel });
        expect(got.labels).toEqual(order(scores).map((i) => labels[i]));
        got.scores.forEach((s, k) => {
          expect(Math.abs(s - scores[order(scores)[k]!]!)).toBeLessThan(1e-6);
        });
      }
      classify.dispose();
    }
    model.dispose();
  });

  it("question-answering: the span through the SentencePiece offsets, whole words, as the reference finds it", async () => {
    const dir = checkpoint("ForQuestionAnswering");
    const model = await DebertaV2ForQuestionAnswering.from_pretrained(dir, { backend });
    const question = "Where does the dog sleep?";
    const context =
      "The dog sleeps in a small wooden house near the river, where the fisherman keeps his boats.";
    const enc = tokenizer(question, { text_pair: context, return_offsets_mapping: true });
    const ids = enc.input_ids as number[];
    const sequences = enc.sequence_ids();
    const words = enc.word_ids();
    const offsets = enc.offset_mapping as [number, number][];
    const out = await model({
      input_ids: int64([ids]),
      token_type_ids: int64([enc.token_type_ids as number[]]),
    });
    const ok = ids.map((_, t) => sequences[t] === 1 || t === 0);
    const norm = (z: number[]) => softmax(z.map((v, t) => (ok[t] ? v : -10000)));
    const start = norm(row(out.start_logits!, 0));
    const end = norm(row(out.end_logits!, 0));
    let best = { score: -1, s: 0, e: 0 };
    for (let s = 1; s < ids.length; s++)
      for (let e = s; e < ids.length && e - s < 15; e++)
        if (sequences[s] === 1 && sequences[e] === 1 && start[s]! * end[e]! > best.score)
          best = { score: start[s]! * end[e]!, s, e };
    // Whole words of the context: from the first token of s's word to the last of e's.
    let a = best.s;
    while (a > 0 && sequences[a - 1] === 1 && words[a - 1] === words[best.s]) a--;
    let b = best.e;
    while (b + 1 < ids.length && sequences[b + 1] === 1 && words[b + 1] === words[best.e]) b++;
    const answer = await pipeline("question-answering", dir, { backend, tokenizer: SPM });
    const got = (await answer({ question, context })) as {
      score: number;
      start: number;
      end: number;
      answer: string;
    };
    expect([got.start, got.end]).toEqual([offsets[a]![0], offsets[b]![1]]);
    expect(got.answer).toBe(context.slice(got.start, got.end));
    expect(Math.abs(got.score - best.score)).toBeLessThan(1e-6);
    // Offsets, not re-decoded pieces: the answer is the context's own characters.
    const plain = (await answer({ question, context }, { align_to_words: false })) as {
      start: number;
      end: number;
    };
    expect([plain.start, plain.end]).toEqual([offsets[best.s]![0], offsets[best.e]![1]]);
    answer.dispose();
    model.dispose();
  });

  it.each(["v3-like", "v2-xlarge-like"])(
    "feature-extraction (%s): the fixture's float64 last hidden state, and its mean",
    async (variant) => {
      const dir = checkpoint("Model", variant);
      const f = await reference(dir);
      const { ids, text } = rowText(f);
      const extract = await pipeline("feature-extraction", dir, { backend, tokenizer: SPM });
      const want = fixtureRow(f, "last_hidden_state");
      const hidden = want.length / ids.length;
      const got = await extract(text);
      expect(got.dims).toEqual([1, ids.length, hidden]);
      const data = got.data as Float32Array;
      expect(Math.max(...want.map((w, i) => Math.abs(data[i]! - w)))).toBeLessThan(1e-4);
      const mean = await extract(text, { pooling: "mean" });
      const wantMean = Array.from({ length: hidden }, (_, h) => {
        let sum = 0;
        for (let t = 0; t < ids.length; t++) sum += want[t * hidden + h]!;
        return sum / ids.length;
      });
      const meanData = mean.data as Float32Array;
      expect(Math.max(...wantMean.map((w, h) => Math.abs(meanData[h]! - w)))).toBeLessThan(1e-4);
      extract.dispose();
    },
  );
});
