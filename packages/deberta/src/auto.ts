import { DebertaConfig } from "@deberta/config";
import {
  DebertaForMaskedLM,
  DebertaForQuestionAnswering,
  DebertaForSequenceClassification,
  DebertaForTokenClassification,
  DebertaModel,
  type DebertaPreTrainedModel,
  type FromPretrainedOptions,
  headRegistry,
} from "@deberta/heads";
import { type ResolveModelOptions, resolveModelFiles } from "@deberta/hub";
import { DebertaTokenizer, type DebertaTokenizerOptions } from "@deberta/tokenizer";
import { registerDefaultBackends } from "./defaults.js";

/** Options of the `Auto*` loaders: where the files come from (Hub id, URL or folder) and how to load them. */
export type AutoOptions = FromPretrainedOptions & ResolveModelOptions;

/** transformers' AutoTokenizer for DeBERTa: a Hub id, URL or folder. */
export const AutoTokenizer = {
  async from_pretrained(
    reference: string,
    options: ResolveModelOptions & DebertaTokenizerOptions = {},
  ): Promise<DebertaTokenizer> {
    return DebertaTokenizer.from_pretrained(await resolveModelFiles(reference, options), options);
  },
};

type HeadClass = { from_pretrained: typeof DebertaPreTrainedModel.from_pretrained };

function autoLoader<T extends DebertaPreTrainedModel>(fixed?: HeadClass) {
  return {
    /** Loads the model class that `config.architectures` names (or this loader's class). */
    async from_pretrained(reference: string, options: AutoOptions = {}): Promise<T> {
      registerDefaultBackends();
      const folder = await resolveModelFiles(reference, options);
      const config = options.config ?? (await DebertaConfig.from_pretrained(folder));
      const architecture = config.architectures?.[0] ?? "DebertaModel";
      const Head = fixed ?? headRegistry.get(architecture) ?? DebertaModel;
      return (await Head.from_pretrained.call(Head as never, folder, { ...options, config })) as T;
    },
  };
}

/** Dispatch on `config.json`'s `architectures`, like transformers' AutoModel. */
export const AutoModel = autoLoader();
export const AutoModelForSequenceClassification = autoLoader<DebertaForSequenceClassification>(
  DebertaForSequenceClassification,
);
export const AutoModelForTokenClassification = autoLoader<DebertaForTokenClassification>(
  DebertaForTokenClassification,
);
export const AutoModelForQuestionAnswering =
  autoLoader<DebertaForQuestionAnswering>(DebertaForQuestionAnswering);
export const AutoModelForMaskedLM = autoLoader<DebertaForMaskedLM>(DebertaForMaskedLM);
