import type { AnyDebertaConfig } from "@deberta/config";
import type { WeightBinder } from "@deberta/model";
import type { Backend } from "@deberta/tensor";
import { DebertaModel } from "./base-model.js";
import { HeadError } from "./errors.js";
import { DebertaForMaskedLM } from "./masked-lm.js";
import { DebertaV2ForMultipleChoice } from "./multiple-choice.js";
import type { DebertaPreTrainedModel, HeadTask } from "./pretrained.js";
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
  /** What the head computes; a head without one is found by architecture only. */
  readonly task?: HeadTask | undefined;
  from_pretrained: typeof DebertaPreTrainedModel.from_pretrained;
};

/** What the registry needs of a config to pick its head. */
export interface HeadConfigLike {
  readonly model_type: string;
  readonly architectures?: readonly string[] | null | undefined;
}

/**
 * Heads by architecture name, and by `model_type` + task (as transformers' `AutoModelFor...` mappings are):
 * `forTask("deberta-v2", "sequence-classification")` is `DebertaV2ForSequenceClassification`. A new head is
 * one file plus one line in `builtinHeads` (or `register`); a new model type is its heads, each declaring
 * `modelType` and `task`.
 */
export class HeadRegistry {
  private readonly heads = new Map<string, HeadClass>();
  private readonly byTask = new Map<string, Map<string, HeadClass>>();

  constructor(heads: readonly HeadClass[] = []) {
    for (const h of heads) this.register(h);
  }

  /** Adds a head under its architecture and, when it declares one, its model type and task (a later head of the same pair wins). */
  register(head: HeadClass): void {
    this.heads.set(head.architecture, head);
    if (head.task === undefined) return;
    const tasks = this.byTask.get(head.modelType) ?? new Map<string, HeadClass>();
    tasks.set(head.task, head);
    this.byTask.set(head.modelType, tasks);
  }

  get(architecture: string): HeadClass | undefined {
    return this.heads.get(architecture);
  }

  architectures(): string[] {
    return [...this.heads.keys()];
  }

  /** The head of `task` for configs of `modelType`, if one is registered. */
  forTask(modelType: string, task: HeadTask): HeadClass | undefined {
    return this.byTask.get(modelType)?.get(task);
  }

  /** The tasks that have a head for `modelType`, in registration order. */
  tasks(modelType: string): HeadTask[] {
    return [...(this.byTask.get(modelType)?.keys() ?? [])];
  }

  /** The model types that have heads by task. */
  modelTypes(): string[] {
    return [...this.byTask.keys()];
  }

  /**
   * The head to build for `config`, as transformers' Auto classes pick it: with `task`, that task's head for
   * `config.model_type` (`AutoModelForSequenceClassification` on a v3 checkpoint gives
   * `DebertaV2ForSequenceClassification`); without, the head `config.architectures[0]` names (a head of
   * another model type stands for its task: the v2 sequence-classification head for a `deberta-v2` config
   * naming `DebertaForSequenceClassification`), else the bare model of the model type.
   *
   * @throws {@link HeadError} `HEAD_ARCHITECTURE` naming the model type and task when nothing fits.
   */
  resolve(config: HeadConfigLike, task?: HeadTask): HeadClass {
    const modelType = config.model_type;
    let wanted = task;
    if (wanted === undefined) {
      const named = config.architectures?.[0];
      const Head = named === undefined ? undefined : this.heads.get(named);
      if (Head !== undefined && Head.modelType === modelType) return Head;
      wanted = Head?.task ?? "model";
    }
    const Head = this.forTask(modelType, wanted);
    if (Head !== undefined) return Head;
    const known = this.tasks(modelType);
    throw new HeadError(
      "HEAD_ARCHITECTURE",
      `config: no ${wanted} head is registered for model_type "${modelType}" (${
        known.length === 0
          ? `model types with heads: ${this.modelTypes().join(", ")}`
          : `its tasks: ${known.join(", ")}`
      })`,
      { argument: "config" },
    );
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
