/**
 * Fuzzing the file loaders (issue 14, targets b and c): random and mutated `tokenizer.json` and
 * `tokenizer_config.json` documents — wrong types, missing and unknown keys, huge and fractional numbers,
 * bad merges, nested garbage — through the public loaders, and each tokenizer that loads is then used
 * (pair encoding, truncation, padding, tensors, decoding). Every case must give a result or a
 * TokenizerError with a code; a TypeError, RangeError or SyntaxError escaping is a failure.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  caseRng,
  deeplyNested,
  FUZZ_CASES,
  FUZZ_TIMEOUT_MS,
  mutateJson,
  outcome,
  outcomeAsync,
  type Rng,
  randomJson,
  show,
} from "../test/fuzz.js";
import { DebertaTokenizer } from "./deberta-tokenizer.js";
import { parseTokenizerConfig } from "./tokenizer-config.js";
import { parseTokenizerJson } from "./tokenizer-json.js";

const SEED = 14_0100;

const VOCAB: Record<string, number> = Object.fromEntries(
  ["l", "o", "w", "e", "r", "s", "t", "i", "d", "n", "\u0120", "\u0120l", "\u0120n", "\u0120lo"]
    .concat(["\u0120low", "er", "\u0120lowest", "\u0120newer", "\u0120wider", "[UNK]"])
    .map((t, i) => [t, i]),
);
const MERGES = ["\u0120 l", "\u0120l o", "\u0120lo w", "e r"];

/** A valid document using every part of the format the loader reads. */
const BASE_TOKENIZER_JSON = {
  version: "1.0",
  truncation: null,
  padding: null,
  added_tokens: [
    {
      id: 19,
      content: "[UNK]",
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    },
    {
      id: 20,
      content: "[CLS]",
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    },
    {
      id: 21,
      content: "[SEP]",
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    },
    {
      id: 22,
      content: "[PAD]",
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    },
    {
      id: 23,
      content: "[MASK]",
      single_word: true,
      lstrip: true,
      rstrip: false,
      normalized: true,
      special: true,
    },
  ],
  normalizer: null,
  pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
  post_processor: {
    type: "TemplateProcessing",
    single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
    pair: [
      { SpecialToken: { id: "[CLS]", type_id: 0 } },
      { Sequence: { id: "A", type_id: 0 } },
      { SpecialToken: { id: "[SEP]", type_id: 0 } },
      { Sequence: { id: "B", type_id: 1 } },
      { SpecialToken: { id: "[SEP]", type_id: 1 } },
    ],
    special_tokens: {
      "[CLS]": { id: "[CLS]", ids: [20], tokens: ["[CLS]"] },
      "[SEP]": { id: "[SEP]", ids: [21], tokens: ["[SEP]"] },
    },
  },
  decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
  model: {
    type: "BPE",
    dropout: null,
    unk_token: "[UNK]",
    continuing_subword_prefix: "",
    end_of_word_suffix: "",
    fuse_unk: false,
    byte_fallback: false,
    ignore_merges: false,
    vocab: VOCAB,
    merges: MERGES.map((m) => m.split(" ")),
  },
};

const BASE_CONFIG = {
  add_prefix_space: false,
  bos_token: "[CLS]",
  cls_token: "[CLS]",
  eos_token: "[SEP]",
  sep_token: "[SEP]",
  unk_token: "[UNK]",
  pad_token: { content: "[PAD]", lstrip: false, rstrip: false, single_word: false, normalized: false },
  mask_token: { content: "[MASK]", lstrip: true, rstrip: false, single_word: false, normalized: false },
  model_max_length: 16,
  padding_side: "right",
  truncation_side: "left",
  clean_up_tokenization_spaces: true,
  tokenizer_class: "DebertaTokenizer",
};

const TEXTS = ["lower newer", "Hello [MASK] wider!", "é😀\ud800 lowest", ""];

/** Uses a tokenizer that loaded the way a caller would: pairs, truncation with overflow, padded tensors. */
function exercise(tok: DebertaTokenizer, r: Rng): void {
  const text = r.pick(TEXTS);
  const pair = r.pick(TEXTS);
  const enc = tok(text, { text_pair: pair, return_offsets_mapping: true, return_special_tokens_mask: true });
  tok.decode(enc.input_ids as number[], { skip_special_tokens: r.chance(0.5) });
  tok([text, pair], { truncation: true, max_length: r.int(0, 12), padding: true, return_tensor: true });
  tok(text, {
    truncation: true,
    return_overflowing_tokens: true,
    stride: r.int(0, 3),
    padding: "max_length",
  });
  tok.tokenize(text);
  tok.convert_tokens_to_ids(["[MASK]", "nope"]);
  void [tok.cls_token_id, tok.sep_token_id, tok.pad_token_id, tok.unk_token_id, tok.mask_token_id];
  void [tok.all_special_ids, tok.vocab_size, tok.get_vocab()];
}

/** 85% mutations of the valid base (deep enough to get past the first checks), 15% arbitrary JSON. */
function randomDocument(r: Rng, base: unknown): unknown {
  if (r.chance(0.01)) return deeplyNested(r.int(1_000, 20_000));
  return r.chance(0.85) ? mutateJson(r, base) : randomJson(r, 4);
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Every 100th case also goes through from_pretrained, as text (sometimes cut short) in a folder. */
async function throughFiles(files: Record<string, string>): Promise<DebertaTokenizer> {
  const dir = mkdtempSync(path.join(tmpdir(), "deberta-fuzz-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return DebertaTokenizer.from_pretrained(dir);
}

function jsonText(r: Rng, doc: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(doc) ?? "null";
  } catch {
    // Too deep for JSON.stringify; the parser still has to cope with such a file.
    text = `${"[".repeat(50_000)}${"]".repeat(50_000)}`;
  }
  return r.chance(0.3) ? text.slice(0, r.int(0, text.length)) : text;
}

describe("fuzz: tokenizer.json through the public loaders", () => {
  it(
    `${FUZZ_CASES} random and mutated documents load or throw a TokenizerError`,
    async () => {
      const outcomes = new Map<string, number>();
      for (let i = 0; i < FUZZ_CASES; i++) {
        const r = caseRng(SEED, i);
        const doc = randomDocument(r, BASE_TOKENIZER_JSON);
        const describeCase = () => `case ${i} (seed ${SEED}): ${show(doc)}`;
        const result = outcome(() => {
          const spec = parseTokenizerJson(doc, "fuzz/tokenizer.json");
          exercise(new DebertaTokenizer(spec, parseTokenizerConfig(BASE_CONFIG, "fuzz/config")), r);
        }, describeCase);
        outcomes.set(result, (outcomes.get(result) ?? 0) + 1);
        if (i % 100 === 0) {
          const text = jsonText(r, doc);
          await outcomeAsync(
            async () => exercise(await throughFiles({ "tokenizer.json": text }), r),
            () => `file case ${i} (seed ${SEED}): ${show(text)}`,
          );
        }
      }
      // Both must happen often: only errors would mean the mutations never get past the first check.
      expect(outcomes.get("ok") ?? 0).toBeGreaterThan(FUZZ_CASES / 10);
      expect(outcomes.get("TOKENIZER_FILE_INVALID") ?? 0).toBeGreaterThan(FUZZ_CASES / 10);
    },
    FUZZ_TIMEOUT_MS,
  );
});

describe("fuzz: tokenizer_config.json through the public loaders", () => {
  it(
    `${FUZZ_CASES} random and mutated configs load (tokenizer.json and Hub layout) or throw a TokenizerError`,
    async () => {
      const outcomes = new Map<string, number>();
      for (let i = 0; i < FUZZ_CASES; i++) {
        const r = caseRng(SEED + 1, i);
        const doc = randomDocument(r, BASE_CONFIG);
        const describeCase = () => `case ${i} (seed ${SEED + 1}): ${show(doc)}`;
        const result = outcome(() => {
          const config = parseTokenizerConfig(doc, "fuzz/tokenizer_config.json");
          const spec = parseTokenizerJson(BASE_TOKENIZER_JSON, "fuzz/tokenizer.json");
          exercise(new DebertaTokenizer(spec, config), r);
          exercise(DebertaTokenizer.from_vocab_and_merges(VOCAB, MERGES.join("\n"), config), r);
        }, describeCase);
        outcomes.set(result, (outcomes.get(result) ?? 0) + 1);
        if (i % 100 === 0) {
          const text = jsonText(r, doc);
          await outcomeAsync(
            async () =>
              exercise(
                await throughFiles({
                  "tokenizer_config.json": text,
                  "vocab.json": JSON.stringify(VOCAB),
                  "merges.txt": `#version: 0.2\n${MERGES.join("\n")}\n`,
                }),
                r,
              ),
            () => `file case ${i} (seed ${SEED + 1}): ${show(text)}`,
          );
        }
      }
      expect(outcomes.get("ok") ?? 0).toBeGreaterThan(FUZZ_CASES / 10);
      expect(outcomes.get("TOKENIZER_FILE_INVALID") ?? 0).toBeGreaterThan(FUZZ_CASES / 10);
    },
    FUZZ_TIMEOUT_MS,
  );
});

describe("base documents", () => {
  it("load and encode (so that mutations start from a working file)", () => {
    const tok = new DebertaTokenizer(
      parseTokenizerJson(BASE_TOKENIZER_JSON, "base/tokenizer.json"),
      parseTokenizerConfig(BASE_CONFIG, "base/tokenizer_config.json"),
    );
    const ids = tok.encode("lower", { text_pair: "newer" });
    expect(tok.convert_ids_to_tokens(ids)).toEqual([
      "[CLS]",
      "l",
      "o",
      "w",
      "er",
      "[SEP]",
      "n",
      "e",
      "w",
      "er",
      "[SEP]",
    ]);
  });
});

describe("cases the fuzzer found", () => {
  const withModel = (model: Record<string, unknown>) => ({
    ...BASE_TOKENIZER_JSON,
    model: { ...BASE_TOKENIZER_JSON.model, ...model },
  });
  const error = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it("a vocabulary id of 2^53 is a typed error naming the token, not a RangeError (seed 140100, case 4)", () => {
    const doc = withModel({ vocab: { ...VOCAB, huge: 2 ** 53 } });
    expect(error(() => parseTokenizerJson(doc, "f/tokenizer.json"))).toMatchObject({
      name: "TokenizerError",
      code: "TOKENIZER_FILE_INVALID",
      key: 'model.vocab["huge"]',
    });
  });

  it("a fractional model_max_length is refused at load, not a RangeError when padding (seed 140101, case 2715)", () => {
    expect(
      error(() => parseTokenizerConfig({ model_max_length: 1.5 }, "f/tokenizer_config.json")),
    ).toMatchObject({
      name: "TokenizerError",
      code: "TOKENIZER_FILE_INVALID",
      key: "model_max_length",
    });
  });

  it("non-integer template type ids and special-token ids are typed errors, not RangeErrors in tensors", () => {
    const pp = BASE_TOKENIZER_JSON.post_processor;
    const badType = {
      ...BASE_TOKENIZER_JSON,
      post_processor: { ...pp, single: [{ Sequence: { id: "A", type_id: "x" } }] },
    };
    expect(error(() => parseTokenizerJson(badType, "f/tokenizer.json"))).toMatchObject({
      code: "TOKENIZER_FILE_INVALID",
      key: "post_processor.single[0].Sequence.type_id",
    });
    const badIds = {
      ...BASE_TOKENIZER_JSON,
      post_processor: {
        ...pp,
        special_tokens: { ...pp.special_tokens, "[CLS]": { id: "[CLS]", ids: [1.5] } },
      },
    };
    expect(error(() => parseTokenizerJson(badIds, "f/tokenizer.json"))).toMatchObject({
      code: "TOKENIZER_FILE_INVALID",
      key: 'post_processor.special_tokens["[CLS]"].ids',
    });
  });

  it("a special token flag that is not a boolean is a typed error naming it", () => {
    const config = { mask_token: { content: "[MASK]", lstrip: 1e300 } };
    expect(error(() => parseTokenizerConfig(config, "f/tokenizer_config.json"))).toMatchObject({
      code: "TOKENIZER_FILE_INVALID",
      key: "mask_token.lstrip",
    });
  });
});
