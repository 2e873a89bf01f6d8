import type { AnyDebertaConfig } from "@deberta/config";
import type { WeightBinder } from "@deberta/model";
import type { Backend } from "@deberta/tensor";
import { DebertaModel } from "./base-model.js";
import { DebertaForMaskedLM } from "./masked-lm.js";
import { DebertaV2ForMultipleChoice } from "./multiple-choice.js";
import type { DebertaPreTrainedModel } from "./pretrained.js";
import { DebertaForQuestionAnswering } from "./question-answering.js";
import { DebertaForSequenceClassification } from "./sequence-classification.js";
import { DebertaForTokenClassification } from "./token-classification.js";
import {
  DebertaV2ForMaskedLM,
  DebertaV2ForQuestionAnswering,
  DebertaV2ForSequenceClassification,
  DebertaV2ForTokenClassification,
  DebertaV2Model,
} from "./v2-heads.js";

/** A head class: what `config.architectures` names and `from_pretrained` builds. */
export type HeadClass = (new (
  backend: Backend,
  config: AnyDebertaConfig,
  binder: WeightBinder,
) => DebertaPreTrainedModel) & {
  readonly architecture: string;
  readonly modelType: string;
  from_pretrained: typeof DebertaPreTrainedModel.from_pretrained;
};

/** Heads by architecture name. A new head is one file plus one line in `builtinHeads` (or `register`). */
export class HeadRegistry {
  private readonly heads = new Map<string, HeadClass>();

  constructor(heads: readonly HeadClass[] = []) {
    for (const h of heads) this.register(h);
  }

  register(head: HeadClass): void {
    this.heads.set(head.architecture, head);
  }

  get(architecture: string): HeadClass | undefined {
    return this.heads.get(architecture);
  }

  architectures(): string[] {
    return [...this.heads.keys()];
  }
}

export const builtinHeads: readonly HeadClass[] = [
  DebertaModel,
  DebertaForMaskedLM,
  DebertaForSequenceClassification,
  DebertaForTokenClassification,
  DebertaForQuestionAnswering,
  DebertaV2Model,
  DebertaV2ForMaskedLM,
  DebertaV2ForSequenceClassification,
  DebertaV2ForTokenClassification,
  DebertaV2ForQuestionAnswering,
  DebertaV2ForMultipleChoice,
];

export const headRegistry = new HeadRegistry(builtinHeads);
