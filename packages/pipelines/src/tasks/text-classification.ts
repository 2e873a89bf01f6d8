// text-classification (alias sentiment-analysis), as transformers' TextClassificationPipeline:
// scores = function_to_apply(logits) where the default is "none" for problem_type "regression", "sigmoid"
// for "multi_label_classification" or a single label, "softmax" otherwise. Without `top_k` (the legacy
// mode) each input gets its best {label, score}, and a single string is wrapped in a list; with `top_k`
// each input gets its labels sorted by score, cut to top_k (null: all).
import type { AnyDebertaConfig } from "@deberta/config";
import { batchSizeOf, chunk, forwardRows, type ModelRow, outputOf, rowOf } from "../batching.js";
import { argumentError, checkInteger, describe } from "../errors.js";
import { argmax, argsortDescending, sigmoid, softmax } from "../math.js";
import { makePipeline, type PipelineBase, type PipelineContext, type TaskDefinition } from "../types.js";

/** A text, or a pair of texts (premise and hypothesis, question and passage, ...). */
export type TextClassificationInput = string | { text: string; text_pair?: string };

export type ClassificationFunction = "softmax" | "sigmoid" | "none";

export interface TextClassificationOptions {
  /** Labels per input, best first; `null`: all. Absent: only the best label, not in a list. */
  top_k?: number | null;
  /** Default: from the config (see the module comment). */
  function_to_apply?: ClassificationFunction;
  /** Tokenizer truncation, as transformers' tokenizer kwargs (default: none). */
  truncation?: boolean;
  max_length?: number;
}

export interface ClassificationLabel {
  label: string;
  score: number;
}

type WithTopK = TextClassificationOptions & { top_k: number | null };
type Legacy = TextClassificationOptions & { top_k?: undefined };

export interface TextClassificationPipeline extends PipelineBase {
  /** A string without top_k: `[{label, score}]`. */
  (inputs: string, options?: Legacy): Promise<ClassificationLabel[]>;
  /** A pair without top_k: `{label, score}` (transformers does not wrap dict inputs). */
  (inputs: { text: string; text_pair?: string }, options?: Legacy): Promise<ClassificationLabel>;
  /** Several inputs without top_k: one `{label, score}` each. */
  (inputs: readonly TextClassificationInput[], options?: Legacy): Promise<ClassificationLabel[]>;
  /** One input with top_k: its labels, best first. */
  (inputs: TextClassificationInput, options: WithTopK): Promise<ClassificationLabel[]>;
  /** Several inputs with top_k: a list of labels per input. */
  (inputs: readonly TextClassificationInput[], options: WithTopK): Promise<ClassificationLabel[][]>;
}

/** transformers' default `function_to_apply` for a config. */
export function defaultClassificationFunction(config: AnyDebertaConfig): ClassificationFunction {
  if (config.problem_type === "regression") return "none";
  if (config.problem_type === "multi_label_classification" || config.num_labels === 1) return "sigmoid";
  return "softmax";
}

export function labelOf(config: AnyDebertaConfig, index: number): string {
  return config.id2label[index] ?? `LABEL_${index}`;
}

function toRow(
  context: PipelineContext,
  input: unknown,
  options: TextClassificationOptions,
  at: string,
): ModelRow {
  let text: unknown = input;
  let pair: unknown;
  if (typeof input === "object" && input !== null && !Array.isArray(input)) {
    text = (input as { text?: unknown }).text;
    pair = (input as { text_pair?: unknown }).text_pair;
  }
  if (typeof text !== "string") {
    throw argumentError(
      at,
      `must be a string or { text, text_pair }, got ${describe(text)}${Array.isArray(input) ? " (pairs are { text, text_pair } objects)" : ""}`,
    );
  }
  if (pair !== undefined && pair !== null && typeof pair !== "string") {
    throw argumentError(`${at}.text_pair`, `must be a string, got ${describe(pair)}`);
  }
  const encoded = context.tokenizer(text, {
    ...(typeof pair === "string" ? { text_pair: pair } : {}),
    ...(options.truncation === undefined ? {} : { truncation: options.truncation }),
    ...(options.max_length === undefined ? {} : { max_length: options.max_length }),
  });
  return {
    input_ids: encoded.input_ids as number[],
    attention_mask: encoded.attention_mask as number[],
    token_type_ids: encoded.token_type_ids as number[],
  };
}

function create(context: PipelineContext): TextClassificationPipeline {
  const config = context.model.config;
  const call = async (inputs: unknown, options: TextClassificationOptions = {}) => {
    const batched = Array.isArray(inputs);
    const items: unknown[] = batched ? inputs : [inputs];
    if (items.length === 0) throw argumentError("inputs", "must hold at least one text");
    const legacy = options.top_k === undefined;
    const topK =
      options.top_k === undefined || options.top_k === null ? null : checkInteger(options.top_k, "top_k", 1);
    const fn = options.function_to_apply ?? defaultClassificationFunction(config);
    if (fn !== "softmax" && fn !== "sigmoid" && fn !== "none") {
      throw argumentError("function_to_apply", `must be "softmax", "sigmoid" or "none", got ${describe(fn)}`);
    }
    const rows = items.map((item, i) => toRow(context, item, options, batched ? `inputs[${i}]` : "inputs"));
    const results: (ClassificationLabel | ClassificationLabel[])[] = [];
    for (const batch of chunk(rows, batchSizeOf(context))) {
      const { outputs } = await forwardRows(context.model, context.tokenizer, batch);
      const logits = outputOf(outputs, "logits", context.task);
      batch.forEach((_, b) => {
        const z = rowOf(logits, b);
        const scores = fn === "softmax" ? softmax(z) : fn === "sigmoid" ? sigmoid(z) : Array.from(z);
        if (legacy) {
          const best = argmax(scores);
          results.push({ label: labelOf(config, best), score: scores[best]! });
        } else {
          const order = argsortDescending(scores);
          const kept = topK === null ? order : order.slice(0, topK);
          results.push(kept.map((i) => ({ label: labelOf(config, i), score: scores[i]! })));
        }
      });
    }
    if (batched) return results;
    // transformers wraps the legacy result of a single *string* in a list (not that of a { text } input).
    return legacy && typeof inputs === "string" ? results : results[0];
  };
  return makePipeline<TextClassificationPipeline>(context, call);
}

export const textClassification: TaskDefinition<TextClassificationPipeline> = {
  task: "text-classification",
  aliases: ["sentiment-analysis"],
  head: "sequence-classification",
  accepts: ["sequence-classification"],
  create,
};
