// The one model a server runs: loaded once as the head of its task, and shared by every other task that can
// run on that head (a sequence classifier also serves zero-shot classification when it has an entailment
// label, and every head serves feature extraction from its last hidden state). Also what the server needs
// to know about it: the longest input it takes, its labels, its backend and dtype.
import {
  pipeline as loadPipeline,
  nliLabelIds,
  type Pipeline,
  PipelineError,
  taskRegistry,
} from "@deberta/pipelines";
import {
  type AnyDebertaConfig,
  type AnyDebertaTokenizer,
  headRegistry,
  loadDebertaConfig,
  registerDefaultBackends,
  resolveModel,
  resolveModelFiles,
} from "deberta";
import { optionError } from "./errors.js";
import type { ResolvedServeOptions } from "./options.js";

/**
 * The pipeline task a checkpoint's `architectures[0]` is for: the first registered pipeline task whose head
 * is that architecture's head task in `@deberta/heads`' registry (a checkpoint without architectures is a
 * bare encoder: feature extraction).
 */
export function taskOfArchitecture(architecture: string | undefined): string | undefined {
  const headTask = architecture === undefined ? "model" : headRegistry.get(architecture)?.task;
  if (headTask === undefined) return undefined;
  return taskRegistry
    .tasks()
    .map((task) => taskRegistry.get(task))
    .find((definition) => definition?.head === headTask)?.task;
}

/** How POST /rerank scores a (query, text) pair with this classifier, if it can. */
export interface RerankScore {
  /** The label whose score is the pair's: the only one, or the entailment label of an NLI model. */
  label: string;
  /** `function_to_apply` that gives the score: sigmoid of a single logit, softmax over NLI labels. */
  fn: "sigmoid" | "softmax";
}

export class ServedModel {
  private constructor(
    /** The `--model` reference as given. */
    readonly modelId: string,
    /** The Hub commit (snapshot folder name) when the model came from the Hub. */
    readonly modelSha: string | undefined,
    /** The task it was loaded for (canonical name). */
    readonly task: string,
    /** Every task it serves, by canonical name; the first is `task`. */
    readonly pipelines: ReadonlyMap<string, Pipeline>,
    readonly config: AnyDebertaConfig,
    readonly tokenizer: AnyDebertaTokenizer,
    /** Tokens per input (special tokens included) that the server lets through. */
    readonly maxInputLength: number,
    readonly device: string,
    readonly dtype: string,
    readonly rerank: RerankScore | undefined,
  ) {}

  static async load(options: ResolvedServeOptions): Promise<ServedModel> {
    registerDefaultBackends();
    const resolved = await resolveModel(options.model, {
      ...(options.revision === undefined ? {} : { revision: options.revision }),
    });
    const config = await loadDebertaConfig(resolved.dir);
    const architecture = config.architectures?.[0];
    const requested = options.task ?? taskOfArchitecture(architecture);
    if (requested === undefined)
      throw optionError(
        "--task",
        `the checkpoint's architecture ${architecture} is not one of a task; pass --task`,
      );
    const definition = taskRegistry.get(requested);
    if (definition === undefined)
      throw optionError(
        "--task",
        `unknown task ${JSON.stringify(requested)}; tasks: ${taskRegistry.names().join(", ")}`,
      );
    const main = await loadPipeline(definition.task, resolved.dir, {
      device: options.device,
      // One pipeline call is one batch that the batcher sized already.
      batch_size: Number.MAX_SAFE_INTEGER,
      ...(options.tokenizer === undefined ? {} : { tokenizer: options.tokenizer }),
      resolve: (ref: string) => resolveModelFiles(ref),
    });
    try {
      const { model, tokenizer } = main;
      const modelMax = Math.min(tokenizer.model_max_length, model.config.max_position_embeddings);
      if (options.maxInputLength !== undefined && options.maxInputLength > modelMax)
        throw optionError(
          "--max-input-length",
          `${options.maxInputLength} is more than the model takes (${modelMax} tokens)`,
        );
      const maxInputLength = options.maxInputLength ?? modelMax;
      // The pipelines truncate (when asked to) at the tokenizer's model_max_length, which many checkpoints
      // leave unset (10^30): make it the length the server lets through.
      tokenizer.model_max_length = maxInputLength;
      const pipelines = new Map<string, Pipeline>([[definition.task, main]]);
      for (const task of taskRegistry.tasks()) {
        if (pipelines.has(task)) continue;
        try {
          pipelines.set(
            task,
            await loadPipeline(task, { model, tokenizer }, { batch_size: Number.MAX_SAFE_INTEGER }),
          );
        } catch (error) {
          // This head cannot run that task (another head, no entailment label, no mask token): not served.
          if (!(error instanceof PipelineError)) throw error;
        }
      }
      const dtype = (model.backend as { dtype?: unknown }).dtype;
      return new ServedModel(
        options.model,
        resolved.commit,
        definition.task,
        pipelines,
        model.config,
        tokenizer,
        maxInputLength,
        options.device,
        typeof dtype === "string" ? normaliseDtype(dtype) : "float32",
        pipelines.has("text-classification") ? rerankScore(model.config) : undefined,
      );
    } catch (error) {
      main.dispose();
      throw error;
    }
  }

  /** The pipeline of `task` (a name or alias), or undefined when this model does not serve it. */
  pipeline(task: string): Pipeline | undefined {
    const canonical = taskRegistry.get(task)?.task;
    return canonical === undefined ? undefined : this.pipelines.get(canonical);
  }

  /** Every name (and alias) of the tasks served. */
  servedTaskNames(): string[] {
    return taskRegistry.names().filter((name) => this.pipeline(name) !== undefined);
  }

  /** Tokens of `text` (and `pair`) as the model gets them, special tokens included, without truncation. */
  countTokens(text: string, pair?: string): number {
    const encoded = this.tokenizer(text, {
      ...(pair === undefined ? {} : { text_pair: pair }),
      return_attention_mask: false,
      return_token_type_ids: false,
    });
    return (encoded.input_ids as number[]).length;
  }

  /** The label name of class `index`, as the pipelines name it. */
  labelOf(index: number): string {
    return this.config.id2label[index] ?? `LABEL_${index}`;
  }

  dispose(): void {
    // The other pipelines were built on the main one's model and tokenizer: disposing it frees both.
    this.pipelines.get(this.task)?.dispose();
  }
}

function rerankScore(config: AnyDebertaConfig): RerankScore | undefined {
  if (config.num_labels === 1) return { label: config.id2label[0] ?? "LABEL_0", fn: "sigmoid" };
  try {
    const { entailment } = nliLabelIds(config);
    return { label: config.id2label[entailment] ?? `LABEL_${entailment}`, fn: "softmax" };
  } catch {
    return undefined;
  }
}

function normaliseDtype(dtype: string): string {
  const names: Record<string, string> = { f32: "float32", f16: "float16", fp16: "float16", bf16: "bfloat16" };
  return names[dtype] ?? dtype;
}
