// Loading a model and its tokenizer for a pipeline. A reference is a local folder today; `resolve` maps any
// other reference (a Hub id, a URL) to a local folder, which is where @deberta/hub plugs in. The config's
// model_type decides everything loaded here: the config class, the head class and the tokenizer class.
import { type AnyDebertaConfig, loadDebertaConfig } from "@deberta/config";
import {
  type DebertaPreTrainedModel,
  type HeadClass,
  HeadError,
  type HeadTask,
  headRegistry,
  resolveDevice,
} from "@deberta/heads";
import type { Backend } from "@deberta/tensor";
import { type AnyDebertaTokenizer, loadDebertaTokenizer } from "@deberta/tokenizer";
import { describe, missingArgument, PipelineError } from "./errors.js";

/** A model folder (or, through `resolve`, any reference), or a model and tokenizer already loaded. */
export type ModelReference =
  | string
  | { model: DebertaPreTrainedModel; tokenizer?: AnyDebertaTokenizer | string | undefined };

export interface LoadOptions {
  /** Backend name(s) resolved through @deberta/tensor's registry (default "cpu"); ignored with `backend`. */
  device?: string | number | readonly (string | number)[];
  /** A backend instance to build the model on. */
  backend?: Backend;
  /**
   * Tokenizer folder (or reference) or instance; default: the model's folder. A folder's tokenizer is
   * `DebertaTokenizer` or `DebertaV2Tokenizer` as `@deberta/tokenizer`'s `loadDebertaTokenizer` decides.
   */
  tokenizer?: string | AnyDebertaTokenizer;
  /** A config to build the model with instead of the folder's `config.json` (either model type). */
  config?: AnyDebertaConfig;
  /** Maps a reference to a local folder (default: the reference is a folder). */
  resolve?: (reference: string) => Promise<string>;
  /** The head to load by task: the class `headRegistry` holds for the config's `model_type` and this task. */
  task?: HeadTask;
  /** The head to load by name (a name in `headRegistry`); overrides `task`. Default: see `task`, else the config's `architectures[0]`. */
  architecture?: string;
}

export interface LoadedModelAndTokenizer {
  model: DebertaPreTrainedModel;
  tokenizer: AnyDebertaTokenizer;
  /** Frees what this call loaded (the model, and the backend when it resolved one); not objects given. */
  dispose: () => void;
}

/** Duck-typed so that a model from another copy of @deberta/heads (ESM beside CJS) is still accepted. */
export function isModel(value: unknown): value is DebertaPreTrainedModel {
  return (
    typeof value === "function" &&
    typeof (value as { forward?: unknown }).forward === "function" &&
    (value as { config?: unknown }).config !== undefined
  );
}

function isTokenizer(value: unknown): value is AnyDebertaTokenizer {
  return (
    typeof value === "function" &&
    typeof (value as { decode?: unknown }).decode === "function" &&
    typeof (value as { convert_ids_to_tokens?: unknown }).convert_ids_to_tokens === "function"
  );
}

/**
 * Loads the model (as `options.architecture`, else the head of `options.task` for the config's
 * `model_type`, else the head its config names) and the tokenizer (`options.tokenizer`, else the model's
 * folder), or takes the objects given.
 */
export async function loadModelAndTokenizer(
  reference: ModelReference,
  options: LoadOptions = {},
): Promise<LoadedModelAndTokenizer> {
  const resolve = options.resolve ?? (async (ref: string) => ref);
  if (typeof reference === "string") {
    if (reference === "") throw missingArgument("model", "must be a model folder, got an empty string");
    const dir = await resolve(reference);
    // The tokenizer and config are read together; a failure of either is reported, never left unhandled.
    const [config, tokenizer] = await Promise.all([
      options.config ?? loadDebertaConfig(dir),
      options.tokenizer === undefined ? loadDebertaTokenizer(dir) : loadTokenizer(options.tokenizer, resolve),
    ]);
    const Head = headFor(config, options);
    const backend = options.backend ?? (await resolveDevice(options.device ?? "cpu"));
    const ownsBackend = options.backend === undefined;
    let model: DebertaPreTrainedModel;
    try {
      model = await Head.from_pretrained(dir, { backend, config });
    } catch (error) {
      if (ownsBackend) backend.close();
      throw error;
    }
    let disposed = false;
    return {
      model,
      tokenizer,
      dispose: () => {
        if (disposed) return;
        disposed = true;
        model.dispose();
        if (ownsBackend) backend.close();
      },
    };
  }
  if (typeof reference !== "object" || reference === null || !isModel(reference.model)) {
    throw new PipelineError(
      "PIPELINE_ARGUMENT",
      `model: must be a model folder or { model, tokenizer } with a loaded model, got ${describe(reference)}`,
      { argument: "model" },
    );
  }
  const given = reference.tokenizer ?? options.tokenizer;
  if (given === undefined) {
    throw missingArgument(
      "tokenizer",
      "a loaded model needs a tokenizer: pass { model, tokenizer } or the tokenizer option",
    );
  }
  return { model: reference.model, tokenizer: await loadTokenizer(given, resolve), dispose: () => {} };
}

/** The head class to build for `config`, with a PipelineError naming `model` when there is none. */
function headFor(config: AnyDebertaConfig, options: LoadOptions): HeadClass {
  if (options.architecture !== undefined) {
    const Head = headRegistry.get(options.architecture);
    if (Head === undefined) {
      throw new PipelineError(
        "PIPELINE_MODEL_CONFIG",
        `model: no head for architecture "${options.architecture}" (known: ${headRegistry.architectures().join(", ")})`,
        { argument: "model" },
      );
    }
    return Head;
  }
  try {
    return headRegistry.resolve(config, options.task);
  } catch (error) {
    if (!(error instanceof HeadError)) throw error;
    throw new PipelineError("PIPELINE_MODEL_CONFIG", `model: ${error.message.replace(/^config: /, "")}`, {
      argument: "model",
      cause: error,
    });
  }
}

async function loadTokenizer(
  value: string | AnyDebertaTokenizer,
  resolve: (reference: string) => Promise<string>,
): Promise<AnyDebertaTokenizer> {
  if (typeof value === "string") return loadDebertaTokenizer(await resolve(value));
  if (isTokenizer(value)) return value;
  throw new PipelineError(
    "PIPELINE_ARGUMENT",
    `tokenizer: must be a folder or a DebertaTokenizer / DebertaV2Tokenizer, got ${describe(value)}`,
    {
      argument: "tokenizer",
    },
  );
}
