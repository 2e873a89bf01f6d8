// token-classification (alias ner), as transformers' TokenClassificationPipeline: per-token softmax of the
// logits, special tokens dropped, then `aggregation_strategy`:
// - "none": one entity per token {entity, score, index, word, start, end};
// - "simple": tokens grouped by group_entities (below);
// - "first" / "average" / "max": tokens first fused into words, taking the first token's label, the label
//   of the averaged scores, or the label of the token with the highest score; then group_entities. Which
//   tokens are sub-words depends on the tokenizer: for byte-level BPE (v1), a token is a sub-word when the
//   character before it and its first character are both not a space (transformers' fallback heuristic for
//   tokenizers without a continuing-subword prefix); for SentencePiece (v2 / v3), a token is a sub-word when
//   it belongs to the same word as the token before it (the tokenizer's word ids: a "▁" piece starts a
//   word), which is what that heuristic approximates on Metaspace offsets.
// group_entities: an entity joins the open group when its tag (label without "B-" / "I-") equals the
// group's last tag and it is not a "B-"; labels without a prefix count as "I-". A group is
// {entity_group: first label minus its prefix, score: mean of the scores, word, start, end}.
// Entities whose label (or group) is in `ignore_labels` (default ["O"]) are dropped after grouping.
// `word` is the text's slice [start, end) (see the README).
import { isDebertaV2Tokenizer } from "@deberta/tokenizer";
import { batchSizeOf, chunk, forwardRows, type ModelRow, outputOf, tokensOf } from "../batching.js";
import { argumentError, describe } from "../errors.js";
import { argmax, nanmean, softmax } from "../math.js";
import { makePipeline, type PipelineBase, type PipelineContext, type TaskDefinition } from "../types.js";
import { labelOf } from "./text-classification.js";

export type AggregationStrategy = "none" | "simple" | "first" | "average" | "max";
export const AGGREGATION_STRATEGIES: readonly AggregationStrategy[] = [
  "none",
  "simple",
  "first",
  "average",
  "max",
];

export interface TokenClassificationOptions {
  /** Default "none". */
  aggregation_strategy?: AggregationStrategy;
  /** Labels (or entity groups) left out; default ["O"]. */
  ignore_labels?: readonly string[];
}

/** One token ("none"): its label, score, position in the input ids and character span. */
export interface TokenEntity {
  entity: string;
  score: number;
  index: number;
  word: string;
  start: number;
  end: number;
}

/** A group of tokens or words ("simple", "first", "average", "max"). */
export interface GroupedEntity {
  entity_group: string;
  score: number;
  word: string;
  start: number;
  end: number;
}

export type TokenClassificationResult = TokenEntity[] | GroupedEntity[];

export interface TokenClassificationPipeline extends PipelineBase {
  (
    inputs: string,
    options?: TokenClassificationOptions & { aggregation_strategy?: "none" },
  ): Promise<TokenEntity[]>;
  (
    inputs: readonly string[],
    options?: TokenClassificationOptions & { aggregation_strategy?: "none" },
  ): Promise<TokenEntity[][]>;
  (inputs: string, options: TokenClassificationOptions): Promise<TokenClassificationResult>;
  (inputs: readonly string[], options: TokenClassificationOptions): Promise<TokenClassificationResult[]>;
}

interface PreEntity {
  scores: number[];
  start: number;
  end: number;
  index: number;
  isSubword: boolean;
}

interface Labelled {
  entity: string;
  score: number;
  start: number;
  end: number;
}

/** transformers' `get_tag`: ("B" | "I", tag); a label without a B-/I- prefix counts as "I". */
export function getTag(label: string): [string, string] {
  if (label.startsWith("B-")) return ["B", label.slice(2)];
  if (label.startsWith("I-")) return ["I", label.slice(2)];
  return ["I", label];
}

function groupEntities(entities: readonly Labelled[], text: string): GroupedEntity[] {
  const groups: GroupedEntity[] = [];
  let open: Labelled[] = [];
  const close = () => {
    const first = open[0]!;
    const last = open[open.length - 1]!;
    const dash = first.entity.indexOf("-");
    groups.push({
      entity_group: dash === -1 ? first.entity : first.entity.slice(dash + 1),
      score: nanmean(open.map((e) => e.score)),
      word: text.slice(first.start, last.end),
      start: first.start,
      end: last.end,
    });
  };
  for (const entity of entities) {
    if (open.length === 0) {
      open.push(entity);
      continue;
    }
    const [bi, tag] = getTag(entity.entity);
    const [, lastTag] = getTag(open[open.length - 1]!.entity);
    if (tag === lastTag && bi !== "B") {
      open.push(entity);
    } else {
      close();
      open = [entity];
    }
  }
  if (open.length > 0) close();
  return groups;
}

function create(context: PipelineContext): TokenClassificationPipeline {
  const { tokenizer } = context;
  const config = context.model.config;
  const call = async (inputs: unknown, options: TokenClassificationOptions = {}) => {
    const strategy = options.aggregation_strategy ?? "none";
    if (!AGGREGATION_STRATEGIES.includes(strategy)) {
      throw argumentError(
        "aggregation_strategy",
        `must be one of ${AGGREGATION_STRATEGIES.join(", ")}, got ${describe(strategy)}`,
      );
    }
    const ignore = options.ignore_labels ?? ["O"];
    if (!Array.isArray(ignore) || ignore.some((l) => typeof l !== "string")) {
      throw argumentError("ignore_labels", `must be a list of labels, got ${describe(ignore)}`);
    }
    const batched = Array.isArray(inputs);
    const texts: unknown[] = batched ? inputs : [inputs];
    if (texts.length === 0) throw argumentError("inputs", "must hold at least one text");
    const rows = texts.map((text, i) => {
      if (typeof text !== "string") {
        throw argumentError(batched ? `inputs[${i}]` : "inputs", `must be a string, got ${describe(text)}`);
      }
      const encoded = tokenizer(text, {
        truncation: true,
        return_special_tokens_mask: true,
        return_offsets_mapping: true,
      });
      return {
        text,
        input_ids: encoded.input_ids as number[],
        attention_mask: encoded.attention_mask as number[],
        token_type_ids: encoded.token_type_ids as number[],
        special: encoded.special_tokens_mask as number[],
        offsets: encoded.offset_mapping as [number, number][],
        wordIds: encoded.word_ids(),
      } satisfies ModelRow & Record<string, unknown>;
    });

    const unkId = tokenizer.unk_token_id;
    const byWordIds = isDebertaV2Tokenizer(tokenizer);
    const results: TokenClassificationResult[] = [];
    for (const batch of chunk(rows, batchSizeOf(context))) {
      const { outputs, shifts } = await forwardRows(context.model, tokenizer, batch);
      const logits = outputOf(outputs, "logits", context.task);
      const width = logits.dims[2]!;
      batch.forEach((row, b) => {
        const z = tokensOf(logits, b, shifts[b]!, row.input_ids.length);
        const { text } = row;
        const pre: PreEntity[] = [];
        row.input_ids.forEach((id, index) => {
          if (row.special[index]) return;
          const [start, end] = row.offsets[index]!;
          const word = row.wordIds[index] ?? null;
          const isSubword = byWordIds
            ? word !== null && index > 0 && row.wordIds[index - 1] === word
            : id !== unkId && start > 0 && !text.slice(start - 1, start + 1).includes(" ");
          pre.push({
            scores: softmax(z.subarray(index * width, (index + 1) * width)),
            start,
            end,
            index,
            isSubword,
          });
        });

        let entities: (TokenEntity | GroupedEntity)[];
        if (strategy === "none" || strategy === "simple") {
          const tokens = pre.map((p): TokenEntity => {
            const best = argmax(p.scores);
            return {
              entity: labelOf(config, best),
              score: p.scores[best]!,
              index: p.index,
              word: text.slice(p.start, p.end),
              start: p.start,
              end: p.end,
            };
          });
          entities = strategy === "none" ? tokens : groupEntities(tokens, text);
        } else {
          // Fuse sub-word tokens into words, then label each word.
          const words: PreEntity[][] = [];
          for (const p of pre) {
            if (words.length > 0 && p.isSubword) words[words.length - 1]!.push(p);
            else words.push([p]);
          }
          const labelled = words.map((word): Labelled => {
            let scores: number[];
            if (strategy === "first") scores = word[0]!.scores;
            else if (strategy === "max") {
              // The token whose best score is highest (the first such token on ties).
              let best = word[0]!;
              for (const p of word) if (Math.max(...p.scores) > Math.max(...best.scores)) best = p;
              scores = best.scores;
            } else {
              scores = word[0]!.scores.map((_, c) => nanmean(word.map((p) => p.scores[c]!)));
            }
            const idx = argmax(scores);
            return {
              entity: labelOf(config, idx),
              score: scores[idx]!,
              start: word[0]!.start,
              end: word[word.length - 1]!.end,
            };
          });
          entities = groupEntities(labelled, text);
        }
        results.push(
          entities.filter(
            (e) => !ignore.includes("entity" in e ? e.entity : e.entity_group),
          ) as TokenClassificationResult,
        );
      });
    }
    return batched ? results : results[0];
  };
  return makePipeline<TokenClassificationPipeline>(context, call);
}

export const tokenClassification: TaskDefinition<TokenClassificationPipeline> = {
  task: "token-classification",
  aliases: ["ner"],
  head: "token-classification",
  accepts: ["token-classification"],
  create,
};
