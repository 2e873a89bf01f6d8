// Builds a model and its tokenizer from files held in memory (a folder picked or dropped in the page, or the
// demo model fetched from the server): nothing here touches a filesystem or the network.
import { DebertaConfig } from "@deberta/config";
import { readWeightsFromBuffer, type WeightTensor } from "@deberta/hub";
import { DebertaTokenizer, parseTokenizerConfig, parseTokenizerJson } from "@deberta/tokenizer";

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
  return files.has("tokenizer.json") || (files.has("vocab.json") && files.has("merges.txt"));
}

export function hasModel(files: FileMap): boolean {
  return files.has("config.json");
}

/** The tokenizer of tokenizer.json (+ tokenizer_config.json), or of vocab.json + merges.txt. */
export function tokenizerFromFiles(files: FileMap): DebertaTokenizer {
  const config = parseTokenizerConfig(
    (json(files, "tokenizer_config.json") ?? {}) as Record<string, unknown>,
    "tokenizer_config.json",
  );
  if (files.has("tokenizer.json"))
    return new DebertaTokenizer(parseTokenizerJson(json(files, "tokenizer.json"), "tokenizer.json"), config);
  if (files.has("vocab.json") && files.has("merges.txt"))
    return DebertaTokenizer.from_vocab_and_merges(
      json(files, "vocab.json") as Record<string, number>,
      decoder.decode(files.get("merges.txt")),
      config,
    );
  throw new Error(
    "no tokenizer: the folder holds neither tokenizer.json nor vocab.json + merges.txt. " +
      "Load a tokenizer folder next (its files are added to this model's).",
  );
}

export function configFromFiles(files: FileMap): DebertaConfig {
  const dict = json(files, "config.json");
  if (dict === undefined) throw new Error("no config.json: pick or drop the model's folder itself");
  return DebertaConfig.from_dict(dict as Record<string, unknown>, { source: "config.json" });
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
