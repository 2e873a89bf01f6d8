/**
 * Fuzzing the encoder (issue 14, target a): seeded random strings — lone surrogates, astral characters,
 * combining marks, control characters, special-token literals and halves, words thousands of units long —
 * with random call options (pairs, truncation, stride, padding, overflow, tensors; valid and invalid), on
 * four tokenizers: the fixture's tokenizer.json and Hub layout, and the tiny vocabulary of transformers'
 * DeBERTa test (most bytes unknown) as Hub layout and as a tokenizer.json with `fuse_unk`. Every call either
 * returns or throws a TokenizerError; what it returns keeps the invariants checked in `checkEncoding`.
 */
import path from "node:path";
import { Tensor } from "onnxruntime-common";
import { beforeAll, describe, expect, it } from "vitest";
import { caseRng, FUZZ_CASES, FUZZ_TIMEOUT_MS, outcome, type Rng, randomText, show } from "../test/fuzz.js";
import { type BatchEncoding, DebertaTokenizer, type TokenizerCallOptions } from "./deberta-tokenizer.js";
import { fixturesDir } from "./test-support.js";
import { parseTokenizerConfig } from "./tokenizer-config.js";
import { parseTokenizerJson } from "./tokenizer-json.js";

const SEED = 14_0001;

const TINY_VOCAB: Record<string, number> = Object.fromEntries(
  ["l", "o", "w", "e", "r", "s", "t", "i", "d", "n", "\u0120", "\u0120l", "\u0120n", "\u0120lo"]
    .concat(["\u0120low", "er", "\u0120lowest", "\u0120newer", "\u0120wider", "[UNK]"])
    .map((t, i) => [t, i]),
);
const TINY_MERGES = ["\u0120 l", "\u0120l o", "\u0120lo w", "e r"];

function tinyFused(): DebertaTokenizer {
  const json = {
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: true, use_regex: true },
    decoder: { type: "ByteLevel" },
    post_processor: { type: "RobertaProcessing", sep: ["[SEP]", 21], cls: ["[CLS]", 20], trim_offsets: true },
    added_tokens: [
      { id: 19, content: "[UNK]", special: true },
      { id: 20, content: "[CLS]", special: true },
      { id: 21, content: "[SEP]", special: true },
      { id: 22, content: "[PAD]", special: true },
    ],
    model: { type: "BPE", vocab: TINY_VOCAB, merges: TINY_MERGES, unk_token: "[UNK]", fuse_unk: true },
  };
  return new DebertaTokenizer(
    parseTokenizerJson(json, "tiny/tokenizer.json"),
    parseTokenizerConfig({ pad_token: "[PAD]", cls_token: "[CLS]", sep_token: "[SEP]" }, "tiny/config"),
  );
}

function pick<T>(r: Rng, items: readonly T[]): T {
  return r.pick(items);
}

/** Valid and invalid options alike: an invalid one must give a TokenizerError, never a crash. */
function randomOptions(r: Rng): TokenizerCallOptions {
  const options: Record<string, unknown> = {};
  const maybe = (key: string, values: readonly unknown[], p = 0.4) => {
    if (r.chance(p)) options[key] = pick(r, values);
  };
  maybe("truncation", [true, false, "longest_first", "only_first", "only_second", "do_not_truncate", "x"]);
  maybe("max_length", [null, 0, 1, 2, 3, 4, 5, 8, 13, 24, -1, 2.5, 1e30]);
  maybe("stride", [0, 1, 2, 3, 8, -1, 0.5], 0.3);
  maybe("padding", [false, true, "longest", "max_length", "do_not_pad", "x"], 0.3);
  maybe("pad_to_multiple_of", [null, 1, 8, 0, -8], 0.15);
  maybe("add_special_tokens", [true, false], 0.3);
  maybe("return_overflowing_tokens", [true, false], 0.3);
  maybe("return_tensor", [true], 0.1);
  return options as TokenizerCallOptions;
}

/** Rows of a field, whatever its form (flat array, array of rows, or an int64 tensor). */
function rowsOf(field: BatchEncoding["input_ids"] | undefined, batched: boolean): number[][] {
  if (field === undefined) return [];
  if (field instanceof Tensor) {
    const [rows, cols] = field.dims as [number, number];
    const data = Array.from(field.data as BigInt64Array, Number);
    return Array.from({ length: rows }, (_, i) => data.slice(i * cols, (i + 1) * cols));
  }
  return batched ? (field as number[][]) : [field as number[]];
}

/**
 * Whether list fields hold one row per window: overflow (or a batch) gives rows, a single text flat arrays.
 * Tensors are always 2-D, which `rowsOf` handles whatever this says.
 */
function isBatched(enc: BatchEncoding): boolean {
  const ids = enc.input_ids;
  return enc.overflow_to_sample_mapping !== undefined || (Array.isArray(ids) && Array.isArray(ids[0]));
}

function checkEncoding(tok: DebertaTokenizer, enc: BatchEncoding, texts: [string, string | undefined]): void {
  const fail = (what: string) => {
    throw new Error(`invariant broken: ${what}`);
  };
  const offsets = enc.offset_mapping as [number, number][] | [number, number][][];
  const batched = isBatched(enc);
  const idRows = rowsOf(enc.input_ids, batched);
  const offsetRows = (batched ? offsets : [offsets]) as [number, number][][];
  const maskRows = rowsOf(enc.attention_mask, batched);
  const typeRows = rowsOf(enc.token_type_ids, batched);
  const specialRows = rowsOf(enc.special_tokens_mask, batched);
  if (idRows.length !== offsetRows.length) fail(`${idRows.length} id rows, ${offsetRows.length} offset rows`);
  const vocabSize = tok.vocab_size;
  idRows.forEach((row, i) => {
    const n = row.length;
    for (const [name, other] of [
      ["attention_mask", maskRows[i]],
      ["token_type_ids", typeRows[i]],
      ["special_tokens_mask", specialRows[i]],
      ["offset_mapping", offsetRows[i]],
    ] as const) {
      if (other?.length !== n) fail(`row ${i}: ${name} has ${other?.length} entries for ${n} ids`);
    }
    const sequenceIds = enc.sequence_ids(i);
    if (sequenceIds.length !== n)
      fail(`row ${i}: sequence_ids has ${sequenceIds.length} entries for ${n} ids`);
    const lastStart = [0, 0];
    for (let j = 0; j < n; j++) {
      const id = row[j]!;
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
        fail(`row ${i}: id ${id} outside [0, ${vocabSize})`);
      const mask = maskRows[i]![j]!;
      if (mask !== 0 && mask !== 1) fail(`row ${i}: attention mask ${mask}`);
      const seq = sequenceIds[j];
      if (seq === null || seq === undefined) continue;
      const text = texts[seq];
      const [start, end] = offsetRows[i]![j]!;
      if (text === undefined) fail(`row ${i}: token ${j} belongs to sequence ${seq}, which was not given`);
      if (
        !(
          Number.isInteger(start) &&
          Number.isInteger(end) &&
          start >= 0 &&
          start <= end &&
          end <= text!.length
        )
      )
        fail(`row ${i}: offsets [${start}, ${end}] outside [0, ${text!.length}] of sequence ${seq}`);
      if (start < lastStart[seq]!)
        fail(`row ${i}: offset start ${start} after ${lastStart[seq]} (decreasing)`);
      lastStart[seq] = start;
    }
  });
}

/** Node 20 has String.prototype.toWellFormed (ES2024); the project's lib setting (ES2023) does not type it. */
const toWellFormed = (s: string) => (s as string & { toWellFormed(): string }).toWellFormed();

interface Target {
  name: string;
  tok: () => DebertaTokenizer;
  /** decode(encode(s)) gives s back: a complete byte alphabet and no special token that eats spaces. */
  roundTrips: boolean;
}

const tokenizers: Record<string, DebertaTokenizer> = {};
beforeAll(async () => {
  tokenizers.json = await DebertaTokenizer.from_pretrained(path.join(fixturesDir(), "tokenizer"));
  tokenizers.hub = await DebertaTokenizer.from_pretrained(path.join(fixturesDir(), "tokenizer-hub-layout"));
  tokenizers.tinyHub = DebertaTokenizer.from_vocab_and_merges(TINY_VOCAB, TINY_MERGES.join("\n"));
  tokenizers.tinyFused = tinyFused();
});

const TARGETS: Target[] = [
  { name: "fixture tokenizer.json", tok: () => tokenizers.json!, roundTrips: true },
  { name: "fixture Hub layout (vocab.json + merges.txt)", tok: () => tokenizers.hub!, roundTrips: false },
  { name: "tiny vocabulary, Hub layout (unknown bytes)", tok: () => tokenizers.tinyHub!, roundTrips: false },
  {
    name: "tiny vocabulary, tokenizer.json with fuse_unk",
    tok: () => tokenizers.tinyFused!,
    roundTrips: false,
  },
];

describe("fuzz: encode, decode and offsets on random Unicode text", () => {
  TARGETS.forEach((target, t) => {
    it(
      `${target.name}: ${FUZZ_CASES} cases return or throw a TokenizerError, keeping the invariants`,
      () => {
        const tok = target.tok();
        const outcomes = new Map<string, number>();
        for (let i = 0; i < FUZZ_CASES; i++) {
          const r = caseRng(SEED + t, i);
          const text = randomText(r);
          const pair = r.chance(0.3) ? randomText(r) : undefined;
          const options: TokenizerCallOptions = {
            ...(r.chance(0.5) ? randomOptions(r) : {}),
            return_offsets_mapping: true,
            return_special_tokens_mask: true,
          };
          const describeCase = () =>
            `case ${i} (seed ${SEED + t}): text ${show(text)}, pair ${show(pair)}, options ${show(options)}`;
          const result = outcome(() => {
            const enc = tok(text, { ...options, ...(pair === undefined ? {} : { text_pair: pair }) });
            checkEncoding(tok, enc, [text, pair]);
            for (const row of rowsOf(enc.input_ids, isBatched(enc))) {
              expect(typeof tok.decode(row)).toBe("string");
              expect(typeof tok.decode(row, { skip_special_tokens: true })).toBe("string");
            }
            if (target.roundTrips) {
              const plain = tok.encode(text, { add_special_tokens: false });
              const back = tok.decode(plain);
              if (back !== toWellFormed(text)) throw new Error(`decode(encode(s)) is ${show(back)}`);
            }
          }, describeCase);
          outcomes.set(result, (outcomes.get(result) ?? 0) + 1);
        }
        // Most cases must succeed: a run that only collects errors would exercise nothing.
        expect(outcomes.get("ok") ?? 0).toBeGreaterThan(FUZZ_CASES / 2);
      },
      FUZZ_TIMEOUT_MS,
    );
  });
});

describe("cases the fuzzer found", () => {
  it("padding to max_length 1e30 is a TOKENIZER_PADDING error, not a RangeError (seed 140002, case 756)", () => {
    let error: unknown;
    try {
      tokenizers.hub!("a", { text_pair: "b", max_length: 1e30, padding: "max_length" });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      name: "TokenizerError",
      code: "TOKENIZER_PADDING",
      argument: "max_length",
    });
  });
});
