import { type ResolveModelOptions, resolveModelFiles } from "@deberta/hub";
import { pipeline as basePipeline, type PipelineOptions, type PipelineTypes } from "@deberta/pipelines";
import { registerDefaultBackends } from "./defaults.js";

/**
 * transformers' `pipeline(task, model)`: `model` is a Hub id (`microsoft/deberta-base-mnli`), a URL or a
 * folder; files are fetched into the Hugging Face cache when needed. The CPU backend is the default device.
 *
 * @example
 * ```ts
 * const classifier = await pipeline("text-classification", "microsoft/deberta-base-mnli");
 * await classifier({ text: "A soccer game.", text_pair: "Some people play a sport." });
 * ```
 */
export async function pipeline<T extends keyof PipelineTypes>(
  task: T,
  model: string,
  options: PipelineOptions & ResolveModelOptions = {},
): Promise<PipelineTypes[T]> {
  registerDefaultBackends();
  return basePipeline(task, model, { ...options, resolve: (ref: string) => resolveModelFiles(ref, options) });
}
