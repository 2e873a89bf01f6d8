// zero-shot-classification, as transformers' ZeroShotClassificationPipeline: every (sequence, label) pair
// becomes an NLI input [sequence, hypothesis_template with {} = label] (truncation "only_first"); all the
// pairs of a call are run in batches of `batch_size` (default: the number of labels, i.e. one forward per
// sequence). Scores: with one label or `multi_label`, per label softmax([contradiction, entailment])[1];
// otherwise the softmax of the entailment logits over the labels. Labels sorted by score, best first.
import type { AnyDebertaConfig } from "@deberta/config";
import { type BatchEncoding, TokenizerError } from "@deberta/tokenizer";
import { batchSizeOf, chunk, forwardRows, type ModelRow, outputOf, rowOf } from "../batching.js";
import { argumentError, describe, missingArgument, PipelineError } from "../errors.js";
import { argsortDescending, softmax } from "../math.js";
import { makePipeline, type PipelineBase, type PipelineContext, type TaskDefinition } from "../types.js";

export interface ZeroShotClassificationOptions {
  /** The labels: a list, or one string of comma-separated labels. */
  candidate_labels?: string | readonly string[];
  /** Default "This example is {}."; `{}` is replaced by each label. */
  hypothesis_template?: string;
  /** Score each label independently (entailment vs contradiction); default false. */
  multi_label?: boolean;
}

export interface ZeroShotClassificationResult {
  sequence: string;
  labels: string[];
  scores: number[];
}

export interface ZeroShotClassificationPipeline extends PipelineBase {
  (
    sequences: string,
    candidateLabelsOrOptions: string | readonly string[] | ZeroShotClassificationOptions,
    options?: ZeroShotClassificationOptions,
  ): Promise<ZeroShotClassificationResult>;
  (
    sequences: readonly string[],
    candidateLabelsOrOptions: string | readonly string[] | ZeroShotClassificationOptions,
    options?: ZeroShotClassificationOptions,
  ): Promise<ZeroShotClassificationResult[]>;
}

export const DEFAULT_HYPOTHESIS_TEMPLATE = "This example is {}.";

/** transformers' `_parse_labels`: a string is split on commas, trimmed, empty entries dropped. */
export function parseCandidateLabels(labels: unknown): string[] {
  if (typeof labels === "string") {
    return labels
      .split(",")
      .map((l) => l.trim())
      .filter((l) => l !== "");
  }
  if (Array.isArray(labels) && labels.every((l) => typeof l === "string")) return [...labels];
  throw argumentError("candidate_labels", `must be a string or a list of strings, got ${describe(labels)}`);
}

/** The label id whose name starts with `prefix` (case-insensitive), in label2id order. */
function labelIdStartingWith(config: AnyDebertaConfig, prefix: string): number | undefined {
  for (const [label, id] of Object.entries(config.label2id)) {
    if (label.toLowerCase().startsWith(prefix)) return id;
  }
  return undefined;
}

/**
 * The NLI label ids: entailment is the label starting with "entail" (an error when there is none);
 * contradiction the one starting with "contra", else transformers' fallback (the last label when
 * entailment is 0, else 0).
 */
export function nliLabelIds(config: AnyDebertaConfig): { entailment: number; contradiction: number } {
  const entailment = labelIdStartingWith(config, "entail");
  if (entailment === undefined) {
    throw new PipelineError(
      "PIPELINE_MODEL_CONFIG",
      `model: zero-shot-classification needs an NLI model with an entailment label (a label2id name starting with "entail"); this one has ${Object.keys(config.label2id).join(", ")}`,
      { argument: "model" },
    );
  }
  const contradiction =
    labelIdStartingWith(config, "contra") ?? (entailment === 0 ? config.num_labels - 1 : 0);
  return { entailment, contradiction };
}

function create(context: PipelineContext): ZeroShotClassificationPipeline {
  const { entailment, contradiction } = nliLabelIds(context.model.config);
  const encodePair = (premise: string, hypothesis: string): ModelRow => {
    let encoded: BatchEncoding;
    try {
      encoded = context.tokenizer(premise, { text_pair: hypothesis, truncation: "only_first" });
    } catch (error) {
      // transformers retries without truncation when the premise is too short to truncate.
      if (!(error instanceof TokenizerError && error.code === "TOKENIZER_TRUNCATION")) throw error;
      encoded = context.tokenizer(premise, { text_pair: hypothesis, truncation: false });
    }
    return {
      input_ids: encoded.input_ids as number[],
      attention_mask: encoded.attention_mask as number[],
      token_type_ids: encoded.token_type_ids as number[],
    };
  };

  const call = async (
    sequences: unknown,
    labelsOrOptions?: unknown,
    maybeOptions: ZeroShotClassificationOptions = {},
  ) => {
    const positional = typeof labelsOrOptions === "string" || Array.isArray(labelsOrOptions);
    const options = (positional ? maybeOptions : (labelsOrOptions ?? {})) as ZeroShotClassificationOptions;
    const rawLabels = positional ? labelsOrOptions : options.candidate_labels;
    if (rawLabels === undefined || rawLabels === null) {
      throw missingArgument("candidate_labels", "zero-shot-classification needs the candidate labels");
    }
    const labels = parseCandidateLabels(rawLabels);
    const batched = Array.isArray(sequences);
    const texts: unknown[] = batched ? sequences : [sequences];
    if (labels.length === 0) throw argumentError("candidate_labels", "must hold at least one label");
    if (texts.length === 0) throw argumentError("sequences", "must hold at least one sequence");
    texts.forEach((t, i) => {
      if (typeof t !== "string")
        throw argumentError(
          batched ? `sequences[${i}]` : "sequences",
          `must be a string, got ${describe(t)}`,
        );
    });
    const template = options.hypothesis_template ?? DEFAULT_HYPOTHESIS_TEMPLATE;
    if (typeof template !== "string" || !template.includes("{}")) {
      throw argumentError(
        "hypothesis_template",
        `must contain "{}" where the label goes, got ${describe(template)}`,
      );
    }
    const multiLabel = options.multi_label ?? false;

    // Every (sequence, label) pair of the call, sequence-major, in batches of batch_size.
    const pairs = (texts as string[]).flatMap((sequence) =>
      labels.map((label) =>
        encodePair(
          sequence,
          template.replace("{}", () => label),
        ),
      ),
    );
    const logits: Float32Array[] = [];
    for (const batch of chunk(pairs, batchSizeOf(context, labels.length))) {
      const { outputs } = await forwardRows(context.model, context.tokenizer, batch);
      const out = outputOf(outputs, "logits", context.task);
      batch.forEach((_, b) => {
        logits.push(rowOf(out, b));
      });
    }

    const results = (texts as string[]).map((sequence, s): ZeroShotClassificationResult => {
      const rows = labels.map((_, l) => logits[s * labels.length + l]!);
      const scores =
        multiLabel || labels.length === 1
          ? rows.map((z) => softmax([z[contradiction]!, z[entailment]!])[1]!)
          : softmax(rows.map((z) => z[entailment]!));
      const order = argsortDescending(scores);
      return { sequence, labels: order.map((i) => labels[i]!), scores: order.map((i) => scores[i]!) };
    });
    return batched ? results : results[0];
  };
  return makePipeline<ZeroShotClassificationPipeline>(context, call);
}

export const zeroShotClassification: TaskDefinition<ZeroShotClassificationPipeline> = {
  task: "zero-shot-classification",
  head: "sequence-classification",
  accepts: ["sequence-classification"],
  create,
};
