// transformers' Auto classes for DeBERTa: config.json's model_type decides between the v1 and the v2 classes
// (config, tokenizer, head). The heads come from @deberta/heads' registry by model_type + task, so a new
// model type or head is a registry entry there, not a branch here.
import { type AnyDebertaConfig, loadDebertaConfig } from "@deberta/config";
import type {
  DebertaForMaskedLM,
  DebertaForQuestionAnswering,
  DebertaForSequenceClassification,
  DebertaForTokenClassification,
  DebertaPreTrainedModel,
  FromPretrainedOptions,
  HeadTask,
} from "@deberta/heads";
import { headRegistry } from "@deberta/heads";
import { type ResolveModelOptions, resolveModelFiles } from "@deberta/hub";
import {
  type AnyDebertaTokenizer,
  type AnyDebertaTokenizerOptions,
  loadDebertaTokenizer,
} from "@deberta/tokenizer";
import { registerDefaultBackends } from "./defaults.js";

/** Options of the `Auto*` loaders: where the files come from (Hub id, URL or folder) and how to load them. */
export type AutoOptions = FromPretrainedOptions & ResolveModelOptions;

/**
 * transformers' AutoConfig for DeBERTa: `DebertaConfig` or `DebertaV2Config`, as `config.json`'s `model_type`
 * says. A Hub id fetches `config.json` alone.
 *
 * @example
 * ```ts
 * const config = await AutoConfig.from_pretrained("microsoft/mdeberta-v3-base");
 * config.model_type; // "deberta-v2"
 * ```
 */
export const AutoConfig = {
  async from_pretrained(reference: string, options: ResolveModelOptions = {}): Promise<AnyDebertaConfig> {
    const folder = await resolveModelFiles(reference, { files: ["config.json"], ...options });
    return loadDebertaConfig(folder);
  },
};

/**
 * transformers' AutoTokenizer for DeBERTa: a Hub id, URL or folder; `DebertaV2Tokenizer` (SentencePiece) for
 * `deberta-v2` checkpoints, `DebertaTokenizer` (byte-level BPE) for `deberta` ones (see `loadDebertaTokenizer`
 * for how a folder without `config.json` is told apart).
 *
 * @example
 * ```ts
 * const tokenizer = await AutoTokenizer.from_pretrained("microsoft/mdeberta-v3-base"); // DebertaV2Tokenizer
 * tokenizer("Hello world").input_ids;
 * ```
 */
export const AutoTokenizer = {
  async from_pretrained(
    reference: string,
    options: ResolveModelOptions & AnyDebertaTokenizerOptions = {},
  ): Promise<AnyDebertaTokenizer> {
    return loadDebertaTokenizer(await resolveModelFiles(reference, options), options);
  },
};

/** An `AutoModel*` loader: the head of `task` for the checkpoint's `model_type` (no task: as `architectures` says). */
export interface AutoModelLoader<T extends DebertaPreTrainedModel> {
  /** The head task this loader builds; undefined for `AutoModel`, which follows `config.architectures`. */
  readonly task: HeadTask | undefined;
  from_pretrained(reference: string, options?: AutoOptions): Promise<T>;
}

function autoLoader<T extends DebertaPreTrainedModel>(task?: HeadTask): AutoModelLoader<T> {
  return {
    task,
    async from_pretrained(reference: string, options: AutoOptions = {}): Promise<T> {
      registerDefaultBackends();
      const folder = await resolveModelFiles(reference, options);
      const config = options.config ?? (await loadDebertaConfig(folder));
      const Head = headRegistry.resolve(config, task);
      return (await Head.from_pretrained(folder, { ...options, config })) as T;
    },
  };
}

/**
 * Dispatch on `config.json`: the head its `architectures` names (`DebertaV2ForSequenceClassification` for a
 * v3 NLI checkpoint), else the bare model of its `model_type`.
 */
export const AutoModel = autoLoader<DebertaPreTrainedModel>();
/** `DebertaForSequenceClassification`, or `DebertaV2ForSequenceClassification` (a subclass) for `deberta-v2`. */
export const AutoModelForSequenceClassification =
  autoLoader<DebertaForSequenceClassification>("sequence-classification");
/** `DebertaForTokenClassification`, or `DebertaV2ForTokenClassification` for `deberta-v2`. */
export const AutoModelForTokenClassification =
  autoLoader<DebertaForTokenClassification>("token-classification");
/** `DebertaForQuestionAnswering`, or `DebertaV2ForQuestionAnswering` for `deberta-v2`. */
export const AutoModelForQuestionAnswering = autoLoader<DebertaForQuestionAnswering>("question-answering");
/** `DebertaForMaskedLM`, or `DebertaV2ForMaskedLM` for `deberta-v2`. */
export const AutoModelForMaskedLM = autoLoader<DebertaForMaskedLM>("masked-lm");
/**
 * `DebertaV2ForMultipleChoice` for `deberta-v2` checkpoints (transformers has no v1 multiple-choice head: a v1
 * checkpoint is a `HEAD_ARCHITECTURE` error unless one is registered, as examples/multiple-choice-head does).
 */
export const AutoModelForMultipleChoice = autoLoader<DebertaPreTrainedModel>("multiple-choice");
