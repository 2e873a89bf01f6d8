import { headRegistry } from "@deberta/heads";
import { checkInteger, PipelineError } from "./errors.js";
import { type LoadOptions, loadModelAndTokenizer, type ModelReference } from "./load.js";
import { taskRegistry } from "./registry.js";
import type { FeatureExtractionPipeline } from "./tasks/feature-extraction.js";
import type { FillMaskPipeline } from "./tasks/fill-mask.js";
import type { QuestionAnsweringPipeline } from "./tasks/question-answering.js";
import type { TextClassificationPipeline } from "./tasks/text-classification.js";
import type { TokenClassificationPipeline } from "./tasks/token-classification.js";
import type { ZeroShotClassificationPipeline } from "./tasks/zero-shot-classification.js";
import type { Pipeline, PipelineContext } from "./types.js";

export interface PipelineOptions extends Omit<LoadOptions, "architecture" | "task"> {
  /** Inputs (or windows, or pairs) per forward; default 1, zero-shot: the number of candidate labels. */
  batch_size?: number;
}

/** The pipeline type of each built-in task name. */
export interface PipelineTypes {
  "text-classification": TextClassificationPipeline;
  "sentiment-analysis": TextClassificationPipeline;
  "zero-shot-classification": ZeroShotClassificationPipeline;
  "fill-mask": FillMaskPipeline;
  "token-classification": TokenClassificationPipeline;
  ner: TokenClassificationPipeline;
  "question-answering": QuestionAnsweringPipeline;
  "feature-extraction": FeatureExtractionPipeline;
}

/**
 * Builds the pipeline of `task` on `model` (a folder, or `{ model, tokenizer }` already loaded), like
 * transformers' `pipeline(task, model=...)`.
 *
 * @example
 * ```ts
 * const classifier = await pipeline("text-classification", "./deberta-base-mnli");
 * await classifier("A soccer game with multiple males playing."); // [{ label: "neutral", score: 0.87 }]
 * ```
 */
export async function pipeline<T extends keyof PipelineTypes>(
  task: T,
  model: ModelReference,
  options?: PipelineOptions,
): Promise<PipelineTypes[T]>;
export async function pipeline(
  task: string,
  model: ModelReference,
  options?: PipelineOptions,
): Promise<Pipeline>;
export async function pipeline(
  task: string,
  model: ModelReference,
  options: PipelineOptions = {},
): Promise<Pipeline> {
  const definition = typeof task === "string" ? taskRegistry.get(task) : undefined;
  if (definition === undefined) {
    throw new PipelineError(
      "PIPELINE_UNKNOWN_TASK",
      `task: unknown task ${JSON.stringify(task)}; known tasks: ${taskRegistry.names().join(", ")}`,
      { argument: "task" },
    );
  }
  if (options.batch_size !== undefined) checkInteger(options.batch_size, "batch_size", 1);
  const loaded = await loadModelAndTokenizer(model, { ...options, task: definition.head });
  try {
    const Loaded = loaded.model.constructor as { task?: string; architecture?: string };
    if (definition.accepts !== undefined && !definition.accepts.includes(Loaded.task ?? "")) {
      // Name the classes that would do, for this model's model_type, as well as the tasks.
      const wanted = definition.accepts.map(
        (task) =>
          headRegistry.forTask(loaded.model.config.model_type, task)?.architecture ?? `a ${task} head`,
      );
      throw new PipelineError(
        "PIPELINE_ARGUMENT",
        `model: ${definition.task} needs a ${wanted.join(" or ")} (${definition.accepts.join(" or ")}), got a ${Loaded.architecture || "model of unknown class"}`,
        { argument: "model" },
      );
    }
    const context: PipelineContext = {
      task: definition.task,
      model: loaded.model,
      tokenizer: loaded.tokenizer,
      batch_size: options.batch_size,
      dispose: loaded.dispose,
    };
    return definition.create(context) as unknown as Pipeline;
  } catch (error) {
    loaded.dispose();
    throw error;
  }
}
