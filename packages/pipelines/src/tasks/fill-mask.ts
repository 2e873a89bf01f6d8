// fill-mask, as transformers' FillMaskPipeline: for each mask token of an input, the softmax of its logits
// over the vocabulary (restricted to `targets` when given), the top_k tokens, and the input with each one
// in place of the mask, decoded (special tokens skipped when the input has a single mask, kept otherwise
// so that the other masks stay visible; padding removed).
import type { AnyDebertaTokenizer } from "@deberta/tokenizer";
import { batchSizeOf, chunk, forwardRows, type ModelRow, outputOf, tokensOf } from "../batching.js";
import { argumentError, checkInteger, describe, PipelineError } from "../errors.js";
import { argsortDescending, softmax } from "../math.js";
import { makePipeline, type PipelineBase, type PipelineContext, type TaskDefinition } from "../types.js";

export interface FillMaskOptions {
  /** Candidates per mask; default 5 (at most the number of targets). */
  top_k?: number;
  /** Only score these words: each is looked up in the vocabulary, else tokenized and its first token used. */
  targets?: string | readonly string[];
}

export interface FillMaskCandidate {
  score: number;
  token: number;
  token_str: string;
  sequence: string;
}

/** One input's result: the candidates of its mask, or a list per mask when it holds several. */
export type FillMaskResult = FillMaskCandidate[] | FillMaskCandidate[][];

export interface FillMaskPipeline extends PipelineBase {
  (inputs: string, options?: FillMaskOptions): Promise<FillMaskResult>;
  (inputs: readonly string[], options?: FillMaskOptions): Promise<FillMaskResult[]>;
}

/**
 * transformers' `get_target_ids`: a target that is a vocabulary entry is used as is; otherwise it is
 * tokenized without special tokens and its first token is used (transformers warns there; this does not);
 * a target with no token is dropped. Duplicates are removed, first occurrence kept.
 */
export function targetIds(tokenizer: AnyDebertaTokenizer, targets: string | readonly string[]): number[] {
  const list: unknown[] =
    typeof targets === "string" ? [targets] : Array.isArray(targets) ? targets : [targets];
  const vocab = tokenizer.get_vocab();
  const ids: number[] = [];
  list.forEach((target, i) => {
    if (typeof target !== "string")
      throw argumentError(`targets[${i}]`, `must be a string, got ${describe(target)}`);
    let id: number | undefined = Object.hasOwn(vocab, target) ? vocab[target] : undefined;
    if (id === undefined) {
      const encoded = tokenizer(target, {
        add_special_tokens: false,
        return_attention_mask: false,
        return_token_type_ids: false,
        max_length: 1,
        truncation: true,
      }).input_ids as number[];
      id = encoded[0];
    }
    if (id !== undefined && !ids.includes(id)) ids.push(id);
  });
  if (ids.length === 0) throw argumentError("targets", "at least one target must map to a token");
  return ids;
}

function create(context: PipelineContext): FillMaskPipeline {
  const { tokenizer } = context;
  const maskId = tokenizer.mask_token_id;
  if (maskId === null) {
    throw new PipelineError(
      "PIPELINE_MODEL_CONFIG",
      "tokenizer: fill-mask needs a tokenizer with a mask_token",
      {
        argument: "tokenizer",
      },
    );
  }
  const call = async (inputs: unknown, options: FillMaskOptions = {}) => {
    const batched = Array.isArray(inputs);
    const texts: unknown[] = batched ? inputs : [inputs];
    if (texts.length === 0) throw argumentError("inputs", "must hold at least one text");
    const targets =
      options.targets === undefined || options.targets === null
        ? undefined
        : targetIds(tokenizer, options.targets);
    // With targets, at most one candidate per target (transformers caps top_k there).
    const topK = options.top_k === undefined ? 5 : checkInteger(options.top_k, "top_k", 1);

    const rows: (ModelRow & { masks: number[] })[] = texts.map((text, i) => {
      const at = batched ? `inputs[${i}]` : "inputs";
      if (typeof text !== "string") throw argumentError(at, `must be a string, got ${describe(text)}`);
      const encoded = tokenizer(text);
      const ids = encoded.input_ids as number[];
      const masks = ids.flatMap((id, p) => (id === maskId ? [p] : []));
      if (masks.length === 0) {
        throw new PipelineError(
          "PIPELINE_NO_MASK_TOKEN",
          `${at}: no mask token (${tokenizer.mask_token}) found in ${JSON.stringify(text)}`,
          { argument: at },
        );
      }
      return {
        input_ids: ids,
        attention_mask: encoded.attention_mask as number[],
        token_type_ids: encoded.token_type_ids as number[],
        masks,
      };
    });

    const padId = tokenizer.pad_token_id;
    const results: FillMaskResult[] = [];
    for (const batch of chunk(rows, batchSizeOf(context))) {
      const { outputs, shifts } = await forwardRows(context.model, tokenizer, batch);
      const logits = outputOf(outputs, "logits", context.task);
      const vocabSize = logits.dims[2]!;
      batch.forEach((row, b) => {
        const rowLogits = tokensOf(logits, b, shifts[b]!, row.input_ids.length);
        const single = row.masks.length === 1;
        const perMask = row.masks.map((position) => {
          const probs = softmax(rowLogits.subarray(position * vocabSize, (position + 1) * vocabSize));
          const ids = targets ?? probs.map((_, id) => id);
          const values = ids.map((id) => probs[id]!);
          return argsortDescending(values)
            .slice(0, topK)
            .map((k): FillMaskCandidate => {
              const token = ids[k]!;
              const filled = row.input_ids
                .map((id, p) => (p === position ? token : id))
                .filter((id) => id !== padId);
              return {
                score: values[k]!,
                token,
                token_str: tokenizer.decode([token]),
                sequence: tokenizer.decode(filled, { skip_special_tokens: single }),
              };
            });
        });
        results.push(single ? perMask[0]! : perMask);
      });
    }
    return batched ? results : results[0];
  };
  return makePipeline<FillMaskPipeline>(context, call);
}

export const fillMask: TaskDefinition<FillMaskPipeline> = {
  task: "fill-mask",
  head: "masked-lm",
  accepts: ["masked-lm"],
  create,
};
