import type { DebertaPreTrainedModel, HeadTask } from "@deberta/heads";
import type { AnyDebertaTokenizer } from "@deberta/tokenizer";

/** What every pipeline has besides its call signature. */
export interface PipelineBase {
  /** The task's canonical name ("text-classification" for "sentiment-analysis" too). */
  readonly task: string;
  readonly model: DebertaPreTrainedModel;
  readonly tokenizer: AnyDebertaTokenizer;
  /** The `batch_size` given to `pipeline()`; `undefined` means the task's default. */
  readonly batch_size: number | undefined;
  /** Frees what `pipeline()` loaded itself (the model, and the backend it resolved); objects passed in stay. */
  dispose(): void;
}

/** A pipeline of any task: callable with that task's inputs and options. */
export interface Pipeline extends PipelineBase {
  // biome-ignore lint/suspicious/noExplicitAny: the generic pipeline accepts whatever its task accepts.
  (inputs: any, ...rest: any[]): Promise<unknown>;
}

/** What a task's factory gets: the loaded model and tokenizer and the pipeline-level options. */
export interface PipelineContext {
  readonly task: string;
  readonly model: DebertaPreTrainedModel;
  readonly tokenizer: AnyDebertaTokenizer;
  readonly batch_size: number | undefined;
  readonly dispose: () => void;
}

/**
 * One task: its name and aliases, the head a model folder is loaded with, the heads a loaded model may be,
 * and the factory that builds the callable pipeline. A new task is one file exporting one of these, plus
 * one line in `builtinTasks` (`src/registry.ts`).
 */
export interface TaskDefinition<P extends PipelineBase = Pipeline> {
  readonly task: string;
  readonly aliases?: readonly string[];
  /**
   * The head a model folder is loaded as, by its task (`@deberta/heads`' `HeadTask`): the class is the one
   * `headRegistry` holds for the config's `model_type` (`"sequence-classification"` is
   * `DebertaForSequenceClassification` for DeBERTa, `DebertaV2ForSequenceClassification` for v2 / v3).
   */
  readonly head: HeadTask;
  /** Head tasks a model object passed in may have; absent: any head. */
  readonly accepts?: readonly HeadTask[];
  /** Builds the pipeline; it reads `context.batch_size` and applies its own default when undefined. */
  readonly create: (context: PipelineContext) => P;
}

/** Builds the callable pipeline object from its call function and context. */
export function makePipeline<P extends PipelineBase>(
  context: PipelineContext,
  call: (...args: never[]) => unknown,
): P {
  Object.defineProperties(call, {
    task: { value: context.task, enumerable: true },
    model: { value: context.model, enumerable: true },
    tokenizer: { value: context.tokenizer, enumerable: true },
    batch_size: { value: context.batch_size, enumerable: true },
    dispose: { value: context.dispose },
  });
  return call as unknown as P;
}
