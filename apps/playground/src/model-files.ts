// Builds a model and its tokenizer from files held in memory (a folder picked or dropped in the page, or the
// demo model fetched from the server): nothing here touches a filesystem or the network. config.json's
// model_type decides v1 or v2 (DeBERTa-v2 / v3 / mDeBERTa) for the config and, with the files, the tokenizer.
import { type AnyDebertaConfig, configFromDict } from "@deberta/config";
import { readWeightsFromBuffer, type WeightTensor } from "@deberta/hub";
import {
  type AnyDebertaTokenizer,
  DebertaTokenizer,
  DebertaV2Tokenizer,
  debertaTokenizerKind,
  parseTokenizerConfig,
  parseTokenizerJson,
} from "@deberta/tokenizer";

export type FileMap = Map<string, Uint8Array>;

const decoder = new TextDecoder();

function json(files: FileMap, name: string): unknown {
  const bytes = files.get(name);
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw new Error(`${name} is not valid JSON: ${(e as Error).message}`);
  }
}

export function hasTokenizer(files: FileMap): boolean {
  return (
    files.has("tokenizer.json") ||
    files.has("spm.model") ||
    (files.has("vocab.json") && files.has("merges.txt"))
  );
}

export function hasModel(files: FileMap): boolean {
  return files.has("config.json");
}

/**
 * The tokenizer of the files: `DebertaV2Tokenizer` (tokenizer.json or spm.model) or `DebertaTokenizer`
 * (tokenizer.json or vocab.json + merges.txt), as `@deberta/tokenizer`'s `debertaTokenizerKind` decides from
 * tokenizer_config.json, config.json's model_type, tokenizer.json's model and the files present.
 */
export function tokenizerFromFiles(files: FileMap): AnyDebertaTokenizer {
  const rawConfig = (json(files, "tokenizer_config.json") ?? {}) as Record<string, unknown>;
  const config = parseTokenizerConfig(rawConfig, "tokenizer_config.json");
  const tokenizerJson = json(files, "tokenizer.json");
  const kind = debertaTokenizerKind({
    tokenizerConfig: rawConfig,
    modelConfig: json(files, "config.json"),
    tokenizerJson,
    hasSpmModel: files.has("spm.model"),
    hasVocabAndMerges: files.has("vocab.json") && files.has("merges.txt"),
  });
  if (kind === "deberta-v2") {
    if (tokenizerJson !== undefined) return DebertaV2Tokenizer.from_tokenizer_json(tokenizerJson, config);
    const spm = files.get("spm.model");
    if (spm !== undefined) return DebertaV2Tokenizer.from_spm(spm, config);
    throw new Error(
      "no tokenizer: this DeBERTa-v2 / v3 model's folder holds neither tokenizer.json nor spm.model. " +
        "Load a tokenizer folder next (its files are added to this model's).",
    );
  }
  if (kind === "deberta" && tokenizerJson !== undefined)
    return new DebertaTokenizer(parseTokenizerJson(tokenizerJson, "tokenizer.json"), config);
  if (kind === "deberta" && files.has("vocab.json") && files.has("merges.txt"))
    return DebertaTokenizer.from_vocab_and_merges(
      json(files, "vocab.json") as Record<string, number>,
      decoder.decode(files.get("merges.txt")),
      config,
    );
  throw new Error(
    "no tokenizer: the folder holds none of tokenizer.json, spm.model, vocab.json + merges.txt. " +
      "Load a tokenizer folder next (its files are added to this model's).",
  );
}

/** config.json as `DebertaConfig` or `DebertaV2Config`, as its `model_type` says. */
export function configFromFiles(files: FileMap): AnyDebertaConfig {
  const dict = json(files, "config.json");
  if (dict === undefined) throw new Error("no config.json: pick or drop the model's folder itself");
  return configFromDict(dict, { source: "config.json" });
}

const WEIGHT_FILES = ["model.safetensors", "pytorch_model.bin"];

export async function weightsFromFiles(files: FileMap): Promise<Map<string, WeightTensor>> {
  for (const name of WEIGHT_FILES) {
    const bytes = files.get(name);
    if (bytes !== undefined) return readWeightsFromBuffer(bytes, name);
  }
  if (files.has("model.safetensors.index.json") || files.has("pytorch_model.bin.index.json"))
    throw new Error("sharded checkpoints (*.index.json) are not supported in the playground yet");
  throw new Error(`no weights: the folder holds neither ${WEIGHT_FILES.join(" nor ")}`);
}
