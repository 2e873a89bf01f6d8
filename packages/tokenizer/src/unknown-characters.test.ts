// Characters the vocabulary lacks. The vocab.json + merges.txt path follows transformers' slow
// DebertaTokenizer (an unk token per unknown byte-level symbol); a tokenizer.json follows its own
// `model.unk_token` and `fuse_unk`. The tiny vocabulary is the one of transformers'
// tests/models/deberta/test_tokenization_deberta.py, whose expected outputs are asserted here.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DebertaTokenizer } from "./deberta-tokenizer.js";
import { TokenizerError } from "./errors.js";
import { parseTokenizerConfig } from "./tokenizer-config.js";
import { parseTokenizerJson } from "./tokenizer-json.js";

const VOCAB = [
  "l",
  "o",
  "w",
  "e",
  "r",
  "s",
  "t",
  "i",
  "d",
  "n",
  "\u0120",
  "\u0120l",
  "\u0120n",
  "\u0120lo",
  "\u0120low",
  "er",
  "\u0120lowest",
  "\u0120newer",
  "\u0120wider",
  "[UNK]",
];
const VOCAB_JSON: Record<string, number> = Object.fromEntries(VOCAB.map((t, i) => [t, i]));
const MERGES = ["#version: 0.2", "\u0120 l", "\u0120l o", "\u0120lo w", "e r", ""];

function hubLayoutDir(config: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "deberta-unk-"));
  writeFileSync(path.join(dir, "vocab.json"), `${JSON.stringify(VOCAB_JSON)}\n`);
  writeFileSync(path.join(dir, "merges.txt"), MERGES.join("\n"));
  writeFileSync(path.join(dir, "tokenizer_config.json"), JSON.stringify(config));
  return dir;
}

describe("vocab.json + merges.txt: unknown characters (transformers' slow DebertaTokenizer)", () => {
  it('tokenizer("Hello", "World") gives 13 tokens, [UNK] for H and W, type ids 0 x7 then 1 x6', async () => {
    const tok = await DebertaTokenizer.from_pretrained(hubLayoutDir({ unk_token: "[UNK]" }));
    const enc = tok("Hello", { text_pair: "World" });
    const ids = enc.input_ids as number[];
    expect(ids).toHaveLength(13);
    expect(enc.token_type_ids).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect(tok.convert_ids_to_tokens(ids)).toEqual([
      "[CLS]",
      "[UNK]",
      "e",
      "l",
      "l",
      "o",
      "[SEP]",
      "[UNK]",
      "o",
      "r",
      "l",
      "d",
      "[SEP]",
    ]);
    expect(tok.unk_token_id).toBe(19);
  });

  it("tokenizes and converts test_full_tokenizer's text as transformers does", async () => {
    const tok = await DebertaTokenizer.from_pretrained(hubLayoutDir({ unk_token: "[UNK]" }));
    const tokens = tok.tokenize("lower newer");
    expect(tokens).toEqual(["l", "o", "w", "er", "\u0120", "n", "e", "w", "er"]);
    expect(tok.convert_tokens_to_ids([...tokens, tok.unk_token!])).toEqual([
      0, 1, 2, 15, 10, 9, 3, 2, 15, 19,
    ]);
  });

  it("emits one unk per unknown byte: never fused, offsets span the whole character", () => {
    const tok = DebertaTokenizer.from_vocab_and_merges(VOCAB_JSON, MERGES.join("\n"));
    // "é" is two UTF-8 bytes, both missing; "HW" two missing one-byte characters.
    const text = "HWé";
    const enc = tok(text, { add_special_tokens: false, return_offsets_mapping: true });
    expect(enc.input_ids).toEqual([19, 19, 19, 19]);
    expect(enc.offset_mapping).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [2, 3],
    ]);
  });

  it("uses the config's unk token, an added token when the vocabulary lacks it", () => {
    const tok = DebertaTokenizer.from_vocab_and_merges(VOCAB_JSON, MERGES.join("\n"), {
      unk_token: "<unk>",
    });
    const unkId = tok.unk_token_id!;
    expect(unkId).toBeGreaterThanOrEqual(VOCAB.length);
    expect(tok.encode("Hi", { add_special_tokens: false })).toEqual([unkId, 7]);
    expect(tok.decode([unkId, 7])).toBe("<unk>i");
  });
});

function tinyTokenizerJson(model: Record<string, unknown>): unknown {
  return {
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, use_regex: true },
    decoder: { type: "ByteLevel" },
    post_processor: null,
    added_tokens: [{ id: 19, content: "[UNK]", special: true }],
    model: { type: "BPE", vocab: VOCAB_JSON, merges: MERGES.slice(1, -1), ...model },
  };
}

function fromJson(model: Record<string, unknown>): DebertaTokenizer {
  return new DebertaTokenizer(
    parseTokenizerJson(tinyTokenizerJson(model), "tiny/tokenizer.json"),
    parseTokenizerConfig({}, "tiny/tokenizer_config.json"),
  );
}

describe("tokenizer.json: unknown characters follow model.unk_token", () => {
  const ids = (tok: DebertaTokenizer, text: string) => tok.encode(text, { add_special_tokens: false });

  it("drops them when unk_token is null", () => {
    expect(ids(fromJson({ unk_token: null }), "HWello")).toEqual([3, 0, 0, 1]);
  });

  it("emits one unk per unknown byte when unk_token is set", () => {
    expect(ids(fromJson({ unk_token: "[UNK]" }), "HWello")).toEqual([19, 19, 3, 0, 0, 1]);
  });

  it("fuses consecutive unknowns into one unk with fuse_unk, spanning them all", () => {
    const tok = fromJson({ unk_token: "[UNK]", fuse_unk: true });
    const enc = tok("HWeéHl", { add_special_tokens: false, return_offsets_mapping: true });
    expect(enc.input_ids).toEqual([19, 3, 19, 0]);
    expect(enc.offset_mapping).toEqual([
      [0, 2],
      [2, 3],
      [3, 5],
      [5, 6],
    ]);
  });

  it("refuses, with a typed error naming model.unk_token, an unk token the vocabulary lacks", () => {
    const tok = fromJson({ unk_token: "<unk>" });
    expect(ids(tok, "lower")).toEqual([0, 1, 2, 15]);
    let error: unknown;
    try {
      ids(tok, "Hello");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TokenizerError);
    expect((error as TokenizerError).code).toBe("TOKENIZER_FILE_INVALID");
    expect((error as TokenizerError).key).toBe("model.unk_token");
    expect((error as TokenizerError).file).toBe("tiny/tokenizer.json");
  });
});
