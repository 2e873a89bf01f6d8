// question-answering on the qa checkpoint. The reference tokenizes (question, context) into overflowing
// windows, runs each window alone through the head, and decodes spans with transformers' rule:
// p-masked logits at -10000, softmax per window, [CLS] zeroed, best start[s] * end[e] with
// s <= e < s + max_answer_len over context tokens, widened to whole words of the context.
import { DebertaForQuestionAnswering } from "@deberta/heads";
import { DebertaTokenizer } from "@deberta/tokenizer";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { pipeline } from "../pipeline.js";
import { int64, modelDir, newBackend, row } from "../test-support.js";

const backend = await newBackend();
afterAll(() => backend.close());

let tokenizer: DebertaTokenizer;
let qa: DebertaForQuestionAnswering;
beforeAll(async () => {
  tokenizer = await DebertaTokenizer.from_pretrained(modelDir("qa"));
  qa = await DebertaForQuestionAnswering.from_pretrained(modelDir("qa"), { backend });
});

const QUESTION = "Where does the dog sleep?";
const CONTEXT =
  "The cat sat on the mat and then the dog sat on the log all day long. Later the dog went home to sleep " +
  "in a small wooden house near the river, where the old fisherman kept his boats and his nets.";

interface Answer {
  score: number;
  start: number;
  end: number;
  answer: string;
  window: number;
}

async function reference(
  question: string,
  context: string,
  o: {
    maxSeqLen: number;
    stride: number;
    maxAnswerLen: number;
    alignToWords?: boolean;
    contextFirst?: boolean;
  },
): Promise<{ answers: Answer[]; windows: number; nullScore: number }> {
  // transformers puts the context first (truncation "only_first") when the tokenizer pads on the left.
  const ctx = o.contextFirst ? 0 : 1;
  const enc = tokenizer(o.contextFirst ? context : question, {
    text_pair: o.contextFirst ? question : context,
    truncation: o.contextFirst ? "only_first" : "only_second",
    max_length: o.maxSeqLen,
    stride: o.stride,
    return_overflowing_tokens: true,
    return_offsets_mapping: true,
  });
  const windows = (enc.input_ids as number[][]).length;
  const answers: Answer[] = [];
  let nullScore = 1e6;
  for (let w = 0; w < windows; w++) {
    const ids = (enc.input_ids as number[][])[w]!;
    const seq = enc.sequence_ids(w);
    const words = enc.word_ids(w);
    const offsets = (enc.offset_mapping as [number, number][][])[w]!;
    const out = await qa({ input_ids: int64([ids]) });
    const ok = ids.map((_, t) => seq[t] === ctx || t === 0); // context tokens and [CLS]
    const norm = (z: number[]) => {
      const masked = z.map((v, t) => (ok[t] ? v : -10000));
      const m = Math.max(...masked);
      const e = masked.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    };
    const start = norm(row(out.start_logits!, 0));
    const end = norm(row(out.end_logits!, 0));
    nullScore = Math.min(nullScore, start[0]! * end[0]!);
    for (let s = 1; s < ids.length; s++) {
      for (let e = s; e < ids.length && e - s < o.maxAnswerLen; e++) {
        if (seq[s] !== ctx || seq[e] !== ctx) continue;
        let a = s;
        let b = e;
        if (o.alignToWords ?? true) {
          while (seq[a - 1] === ctx && words[a - 1] === words[s]) a--;
          while (seq[b + 1] === ctx && words[b + 1] === words[e]) b++;
        }
        const [cs, ce] = [offsets[a]![0], offsets[b]![1]];
        answers.push({
          score: start[s]! * end[e]!,
          start: cs,
          end: ce,
          answer: context.slice(cs, ce),
          window: w,
        });
      }
    }
  }
  answers.sort((x, y) => y.score - x.score);
  return { answers, windows, nullScore };
}

function expectAnswer(got: unknown, want: Answer) {
  const a = got as Answer;
  expect([a.start, a.end, a.answer]).toEqual([want.start, want.end, want.answer]);
  expect(Math.abs(a.score - want.score)).toBeLessThan(1e-6);
}

const SMALL = { max_seq_len: 24, doc_stride: 6 };

describe("question-answering", () => {
  it("a context longer than the window is split with doc_stride; the best span is the best over all windows", async () => {
    const answer = await pipeline("question-answering", { model: qa, tokenizer });
    const want = await reference(QUESTION, CONTEXT, { maxSeqLen: 24, stride: 6, maxAnswerLen: 15 });
    expect(want.windows).toBeGreaterThan(3);
    const forward = vi.spyOn(qa, "forward");
    const got = await answer({ question: QUESTION, context: CONTEXT }, SMALL);
    // One forward per window (batch_size 1), so as many forwards as windows.
    expect(forward).toHaveBeenCalledTimes(want.windows);
    forward.mockRestore();
    const best = want.answers[0]!;
    // The winning span comes from a later window, not from the first one: the stride mattered.
    expect(best.window).toBeGreaterThan(0);
    expectAnswer(got, best);
    expect(CONTEXT.slice((got as Answer).start, (got as Answer).end)).toBe((got as Answer).answer);
    // A different stride gives other windows (and so another answer list).
    const other = await reference(QUESTION, CONTEXT, { maxSeqLen: 24, stride: 2, maxAnswerLen: 15 });
    expect(other.windows).not.toBe(want.windows);
    expectAnswer(
      await answer({ question: QUESTION, context: CONTEXT }, { max_seq_len: 24, doc_stride: 2 }),
      other.answers[0]!,
    );
  });

  it("windows are batched by batch_size; top_k answers are sorted over all windows", async () => {
    const answer = await pipeline("question-answering", { model: qa, tokenizer }, { batch_size: 4 });
    const want = await reference(QUESTION, CONTEXT, { maxSeqLen: 24, stride: 6, maxAnswerLen: 15 });
    const forward = vi.spyOn(qa, "forward");
    const got = (await answer(QUESTION, CONTEXT, { ...SMALL, top_k: 3 })) as Answer[];
    expect(forward).toHaveBeenCalledTimes(Math.ceil(want.windows / 4));
    forward.mockRestore();
    expect(got).toHaveLength(3);
    // transformers keeps each window's top_k, then sorts them all: the same as the global top 3 here.
    got.forEach((a, i) => {
      expectAnswer(a, want.answers[i]!);
    });
  });

  it("max_answer_len bounds the span length; align_to_words: false keeps token offsets", async () => {
    const answer = await pipeline("question-answering", { model: qa, tokenizer });
    const short = await reference(QUESTION, CONTEXT, { maxSeqLen: 24, stride: 6, maxAnswerLen: 1 });
    expectAnswer(
      await answer({ question: QUESTION, context: CONTEXT }, { ...SMALL, max_answer_len: 1 }),
      short.answers[0]!,
    );
    const tokens = await reference(QUESTION, CONTEXT, {
      maxSeqLen: 24,
      stride: 6,
      maxAnswerLen: 15,
      alignToWords: false,
    });
    expectAnswer(
      await answer({ question: QUESTION, context: CONTEXT }, { ...SMALL, align_to_words: false }),
      tokens.answers[0]!,
    );
  });

  it("handle_impossible_answer adds the min [CLS] score over windows as the empty answer", async () => {
    const answer = await pipeline("question-answering", { model: qa, tokenizer });
    const want = await reference(QUESTION, CONTEXT, { maxSeqLen: 24, stride: 6, maxAnswerLen: 15 });
    const list = [...want.answers, { score: want.nullScore, start: 0, end: 0, answer: "", window: -1 }].sort(
      (a, b) => b.score - a.score,
    );
    const got = (await answer(
      { question: QUESTION, context: CONTEXT },
      {
        ...SMALL,
        top_k: list.length,
        handle_impossible_answer: true,
      },
    )) as Answer[];
    const empty = got.find((a) => a.answer === "");
    expect(empty).toBeDefined();
    expect(Math.abs(empty!.score - want.nullScore)).toBeLessThan(1e-6);
    expect(got).toHaveLength(list.length);
    expect(got.indexOf(empty!)).toBe(list.findIndex((a) => a.window === -1));
    // Without the option there is no empty answer.
    const plain = (await answer(
      { question: QUESTION, context: CONTEXT },
      { ...SMALL, top_k: list.length },
    )) as Answer[];
    expect(plain.some((a) => a.answer === "")).toBe(false);
  });

  it("a short context is one window; a list of examples gives a list; bad arguments are named", async () => {
    const answer = await pipeline("question-answering", modelDir("qa"), { backend });
    const context = "Paris is the capital of France.";
    const want = await reference("What is the capital?", context, {
      maxSeqLen: 384,
      stride: 128,
      maxAnswerLen: 15,
    });
    expect(want.windows).toBe(1);
    const got = await answer([
      { question: "What is the capital?", context },
      { question: QUESTION, context: CONTEXT },
    ]);
    expect(got).toHaveLength(2);
    expectAnswer(got[0], want.answers[0]!);
    await expect(
      answer({ question: QUESTION, context: CONTEXT }, { max_seq_len: 24, doc_stride: 30 }),
    ).rejects.toMatchObject({
      code: "PIPELINE_ARGUMENT",
      argument: "doc_stride",
    });
    await expect(answer({ question: QUESTION } as never)).rejects.toMatchObject({
      argument: "inputs.context",
    });
    answer.dispose();
  });

  it("a tokenizer padding on the left puts the context first, and left-padded batches are cut back right", async () => {
    const left = await DebertaTokenizer.from_pretrained(modelDir("qa"), { padding_side: "left" });
    const answer = await pipeline("question-answering", { model: qa, tokenizer: left }, { batch_size: 3 });
    const want = await reference(QUESTION, CONTEXT, {
      maxSeqLen: 24,
      stride: 6,
      maxAnswerLen: 15,
      contextFirst: true,
    });
    expect(want.windows).toBeGreaterThan(3);
    const forward = vi.spyOn(qa, "forward");
    const got = (await answer({ question: QUESTION, context: CONTEXT }, { ...SMALL, top_k: 3 })) as Answer[];
    // The first window starts with [CLS] and the context's first tokens, not the question's.
    const ids = Array.from(forward.mock.calls[0]![0].input_ids.data as BigInt64Array, Number);
    forward.mockRestore();
    const contextIds = left(CONTEXT, { add_special_tokens: false }).input_ids as number[];
    expect(ids.slice(0, 4)).toEqual([left.cls_token_id, ...contextIds.slice(0, 3)]);
    got.forEach((a, i) => {
      expectAnswer(a, want.answers[i]!);
    });
  });
});
