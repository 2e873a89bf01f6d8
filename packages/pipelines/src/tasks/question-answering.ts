// question-answering, as transformers' QuestionAnsweringPipeline (fast-tokenizer path):
// - each {question, context} is tokenized as the pair (question, context) with truncation "only_second",
//   max_length = max_seq_len and stride = doc_stride, returning every overflowing window (context first,
//   with "only_first", when the tokenizer pads on the left);
// - per window, p_mask marks what cannot be in an answer: everything but the context tokens, except
//   [CLS]; start and end logits of those tokens are set to -10000, each softmaxed over the window, the
//   [CLS] probabilities give the null score (start[0] * end[0], min over windows), then set to 0;
// - candidate spans (s, e) with s <= e < s + max_answer_len, both context tokens, score start[s] * end[e]
//   (the upper triangle of the outer product within max_answer_len); the top_k of each window;
// - a span becomes characters through the context's words (align_to_words: from the start of s's word to
//   the end of e's word) or the tokens' own offsets;
// - the answers of all windows (plus {score: null score, start: 0, end: 0, answer: ""} with
//   handle_impossible_answer) are sorted by score and cut to top_k; a single answer is returned bare.
import { batchSizeOf, chunk, forwardRows, type ModelRow, outputOf, tokensOf } from "../batching.js";
import { argumentError, checkInteger, describe } from "../errors.js";
import { makePipeline, type PipelineBase, type PipelineContext, type TaskDefinition } from "../types.js";

export interface QuestionAnsweringInput {
  question: string;
  context: string;
}

export interface QuestionAnsweringOptions {
  /** Answers to return; default 1. */
  top_k?: number;
  /** Tokens shared by consecutive windows of a long context; default min(max_seq_len / 2, 128). */
  doc_stride?: number;
  /** Longest answer in tokens; default 15. */
  max_answer_len?: number;
  /** Window length in tokens (question, context and special tokens); default min(model_max_length, 384). */
  max_seq_len?: number;
  /** Accepted for compatibility; transformers' fast-tokenizer path does not use it either (default 64). */
  max_question_len?: number;
  /** Also consider "no answer" (score: the [CLS] start x end probability); default false. */
  handle_impossible_answer?: boolean;
  /** Widen answers to whole words of the context; default true. */
  align_to_words?: boolean;
}

export interface QuestionAnsweringAnswer {
  score: number;
  /** Character offsets into the context (UTF-16 indices): `context.slice(start, end) === answer`. */
  start: number;
  end: number;
  answer: string;
}

export type QuestionAnsweringResult = QuestionAnsweringAnswer | QuestionAnsweringAnswer[];

export interface QuestionAnsweringPipeline extends PipelineBase {
  (inputs: QuestionAnsweringInput, options?: QuestionAnsweringOptions): Promise<QuestionAnsweringResult>;
  (
    inputs: readonly QuestionAnsweringInput[],
    options?: QuestionAnsweringOptions,
  ): Promise<QuestionAnsweringResult[]>;
  (question: string, context: string, options?: QuestionAnsweringOptions): Promise<QuestionAnsweringResult>;
}

/** One window of one example. */
interface Feature extends ModelRow {
  example: number;
  pMask: number[];
  offsets: [number, number][];
  wordIds: (number | null)[];
  sequenceIds: (number | null)[];
}

/** Softmax of the logits with p-masked tokens at -10000 (transformers' `select_starts_ends`). */
function maskedSoftmax(logits: Float32Array, undesired: readonly boolean[]): number[] {
  const z = Array.from(logits, (v, i) => (undesired[i] ? -10000 : v));
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

function create(context: PipelineContext): QuestionAnsweringPipeline {
  const { tokenizer } = context;
  const call = async (inputs: unknown, second?: unknown, third?: unknown) => {
    let examples: unknown[];
    let options: QuestionAnsweringOptions;
    let batched = false;
    if (typeof inputs === "string") {
      examples = [{ question: inputs, context: second }];
      options = (third ?? {}) as QuestionAnsweringOptions;
    } else {
      batched = Array.isArray(inputs);
      examples = batched ? (inputs as unknown[]) : [inputs];
      options = (second ?? {}) as QuestionAnsweringOptions;
    }
    if (examples.length === 0) throw argumentError("inputs", "must hold at least one { question, context }");
    const parsed = examples.map((ex, i) => {
      const at = batched ? `inputs[${i}]` : "inputs";
      if (typeof ex !== "object" || ex === null) {
        throw argumentError(at, `must be { question, context }, got ${describe(ex)}`);
      }
      const { question, context: passage } = ex as { question?: unknown; context?: unknown };
      for (const [name, value] of [
        ["question", question],
        ["context", passage],
      ] as const) {
        if (typeof value !== "string" || value === "") {
          throw argumentError(`${at}.${name}`, `must be a non-empty string, got ${describe(value)}`);
        }
      }
      return { question: question as string, context: passage as string };
    });

    const topK = checkInteger(options.top_k ?? 1, "top_k", 1);
    const maxAnswerLen = checkInteger(options.max_answer_len ?? 15, "max_answer_len", 1);
    const maxSeqLen = checkInteger(
      options.max_seq_len ?? Math.min(tokenizer.model_max_length, 384),
      "max_seq_len",
      1,
    );
    const docStride = checkInteger(
      options.doc_stride ?? Math.min(Math.floor(maxSeqLen / 2), 128),
      "doc_stride",
      0,
    );
    checkInteger(options.max_question_len ?? 64, "max_question_len", 1);
    if (docStride > maxSeqLen) {
      throw argumentError("doc_stride", `(${docStride}) is larger than max_seq_len (${maxSeqLen})`);
    }
    const handleImpossible = options.handle_impossible_answer ?? false;
    const alignToWords = options.align_to_words ?? true;

    const questionFirst = tokenizer.padding_side === "right";
    const contextSequence = questionFirst ? 1 : 0;
    const clsId = tokenizer.cls_token_id;
    const features: Feature[] = parsed.flatMap((ex, example) => {
      const encoded = tokenizer(questionFirst ? ex.question : ex.context, {
        text_pair: questionFirst ? ex.context : ex.question,
        truncation: questionFirst ? "only_second" : "only_first",
        max_length: maxSeqLen,
        stride: docStride,
        return_overflowing_tokens: true,
        return_offsets_mapping: true,
        return_special_tokens_mask: true,
      });
      const ids = encoded.input_ids as number[][];
      return ids.map((input_ids, w): Feature => {
        const sequenceIds = encoded.sequence_ids(w);
        return {
          example,
          input_ids,
          attention_mask: (encoded.attention_mask as number[][])[w]!,
          token_type_ids: (encoded.token_type_ids as number[][])[w]!,
          pMask: input_ids.map((id, t) => (sequenceIds[t] === contextSequence || id === clsId ? 0 : 1)),
          offsets: (encoded.offset_mapping as [number, number][][])[w]!,
          wordIds: encoded.word_ids(w),
          sequenceIds,
        };
      });
    });

    const answers: QuestionAnsweringAnswer[][] = parsed.map(() => []);
    const minNull = parsed.map(() => 1_000_000);
    for (const batch of chunk(features, batchSizeOf(context))) {
      const { outputs, shifts } = await forwardRows(context.model, tokenizer, batch);
      const startLogits = outputOf(outputs, "start_logits", context.task);
      const endLogits = outputOf(outputs, "end_logits", context.task);
      batch.forEach((f, b) => {
        const n = f.input_ids.length;
        const undesired = f.pMask.map((p, t) => !(p === 0 && (f.attention_mask?.[t] ?? 1) === 1));
        const start = maskedSoftmax(tokensOf(startLogits, b, shifts[b]!, n), undesired);
        const end = maskedSoftmax(tokensOf(endLogits, b, shifts[b]!, n), undesired);
        if (handleImpossible) minNull[f.example] = Math.min(minNull[f.example]!, start[0]! * end[0]!);
        start[0] = 0;
        end[0] = 0;
        const spans: { s: number; e: number; score: number }[] = [];
        for (let s = 1; s < n; s++) {
          if (undesired[s]) continue;
          for (let e = s; e < Math.min(n, s + maxAnswerLen); e++) {
            if (!undesired[e]) spans.push({ s, e, score: start[s]! * end[e]! });
          }
        }
        // Stable: ties keep the (start, end) order, as numpy's argmax does for top_k = 1.
        spans.sort((a, b) => b.score - a.score);
        for (const { s, e, score } of spans.slice(0, topK)) {
          const [charStart, charEnd] = alignToWords
            ? wordSpan(f, s, e, contextSequence)
            : [f.offsets[s]![0], f.offsets[e]![1]];
          const text = parsed[f.example]!.context;
          answers[f.example]!.push({
            score,
            start: charStart,
            end: charEnd,
            answer: text.slice(charStart, charEnd),
          });
        }
      });
    }

    const results = answers.map((list, i): QuestionAnsweringResult => {
      if (handleImpossible) list.push({ score: minNull[i]!, start: 0, end: 0, answer: "" });
      const best = [...list].sort((a, b) => b.score - a.score).slice(0, topK);
      return best.length === 1 ? best[0]! : best;
    });
    return batched ? results : results[0];
  };
  return makePipeline<QuestionAnsweringPipeline>(context, call);
}

/**
 * transformers' `get_indices` with align_to_words: `word_to_chars` of the words of tokens s and e in the
 * context sequence of this window, i.e. from the first token of s's word to the last token of e's word.
 */
function wordSpan(f: Feature, s: number, e: number, sequence: number): [number, number] {
  const inWord = (t: number, word: number | null) =>
    word !== null && f.sequenceIds[t] === sequence && f.wordIds[t] === word;
  const startWord = f.wordIds[s] ?? null;
  const endWord = f.wordIds[e] ?? null;
  if (startWord === null || endWord === null) return [f.offsets[s]![0], f.offsets[e]![1]];
  let first = s;
  while (first > 0 && inWord(first - 1, startWord)) first--;
  let last = e;
  while (last + 1 < f.input_ids.length && inWord(last + 1, endWord)) last++;
  return [f.offsets[first]![0], f.offsets[last]![1]];
}

export const questionAnswering: TaskDefinition<QuestionAnsweringPipeline> = {
  task: "question-answering",
  head: "question-answering",
  accepts: ["question-answering"],
  create,
};
