/**
 * Fuzzing DebertaV2Tokenizer, seeded: (a) malformed `spm.model` bytes (bytes flipped, cut, inserted, spliced
 * from elsewhere in the file, or random), (b) mutated Unigram `tokenizer.json` documents (4.x and 5.x layouts)
 * and (c) random texts with random call options on the three fixture tokenizers. Every load or call either
 * returns or throws a TokenizerError; what a call returns keeps the invariants of `checkEncoding`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  caseRng,
  FUZZ_CASES,
  FUZZ_TIMEOUT_MS,
  mutateJson,
  outcome,
  type Rng,
  randomText,
  show,
} from "../test/fuzz.js";
import type { BatchEncoding, TokenizerCallOptions } from "./call-options.js";
import { DebertaV2Tokenizer } from "./deberta-v2-tokenizer.js";
import { fixturesDir } from "./test-support.js";

const SEED = 13_0002;
const DIR = path.join(fixturesDir(), "deberta-v2");
const SPM = new Uint8Array(readFileSync(path.join(DIR, "tokenizer-spm", "spm.model")));
const JSON_V4 = JSON.parse(
  readFileSync(path.join(DIR, "tokenizer-json-v4", "tokenizer.json"), "utf8"),
) as Record<string, unknown>;
const JSON_V5 = JSON.parse(
  readFileSync(path.join(DIR, "tokenizer-json-v5", "tokenizer.json"), "utf8"),
) as Record<string, unknown>;

function mutateBytes(r: Rng, base: Uint8Array): Uint8Array {
  if (r.chance(0.03)) return r.bytes(r.int(0, 64));
  let bytes = base;
  for (let m = r.int(1, 4); m > 0; m--) {
    const at = r.int(0, Math.max(0, bytes.length - 1));
    const action = r.int(0, 4);
    if (action === 0) {
      bytes = bytes.slice();
      bytes[at] = r.int(0, 255);
    } else if (action === 1) bytes = bytes.subarray(0, at);
    else if (action === 2) {
      const insert = r.bytes(r.int(1, 12));
      const grown = new Uint8Array(bytes.length + insert.length);
      grown.set(bytes.subarray(0, at));
      grown.set(insert, at);
      grown.set(bytes.subarray(at), at + insert.length);
      bytes = grown;
    } else if (action === 3) {
      // A run copied from elsewhere: a length or tag that is valid somewhere, wrong here.
      const from = r.int(0, Math.max(0, bytes.length - 16));
      const run = bytes.slice(from, from + r.int(1, 16));
      bytes = bytes.slice();
      bytes.set(run.subarray(0, Math.max(0, bytes.length - at)), at);
    } else {
      // Header region: the piece list, trainer and normalizer specs start near the front or back.
      bytes = bytes.slice();
      const near = r.chance(0.5)
        ? r.int(0, Math.min(64, bytes.length - 1))
        : Math.max(0, bytes.length - r.int(1, 64));
      if (bytes.length > 0) bytes[near] = r.int(0, 255);
    }
  }
  return bytes;
}

/** Bytes inside the precompiled charsmap (near the file's end): a malformed trie rather than a malformed file. */
function mutateCharsmap(r: Rng): Uint8Array {
  const bytes = SPM.slice();
  // The charsmap blob is the bulk of the normalizer spec, which follows the pieces at the end of the file.
  const at = SPM.length - r.int(1, 230_000);
  for (let i = r.int(1, 8); i > 0; i--) bytes[at + r.int(0, 64)] = r.int(0, 255);
  return bytes;
}

function randomOptions(r: Rng): TokenizerCallOptions {
  const options: Record<string, unknown> = {};
  const maybe = (key: string, values: readonly unknown[], p = 0.4) => {
    if (r.chance(p)) options[key] = r.pick(values);
  };
  maybe("truncation", [true, false, "longest_first", "only_first", "only_second", "do_not_truncate", "x"]);
  maybe("max_length", [null, 0, 1, 2, 3, 4, 5, 8, 13, 24, -1, 2.5]);
  maybe("stride", [0, 1, 2, 3, 8, -1], 0.3);
  maybe("padding", [false, true, "longest", "max_length", "x"], 0.3);
  maybe("add_special_tokens", [true, false], 0.3);
  maybe("return_overflowing_tokens", [true, false], 0.3);
  options.return_offsets_mapping = true;
  options.return_special_tokens_mask = true;
  return options as TokenizerCallOptions;
}

function checkEncoding(
  tok: DebertaV2Tokenizer,
  enc: BatchEncoding,
  texts: [string, string | undefined],
): void {
  const fail = (what: string) => {
    throw new Error(`invariant broken: ${what}`);
  };
  const batched = Array.isArray((enc.input_ids as unknown[])[0]);
  const rows = (batched ? enc.input_ids : [enc.input_ids]) as number[][];
  const offsets = (batched ? enc.offset_mapping : [enc.offset_mapping]) as [number, number][][];
  const masks = (batched ? enc.attention_mask : [enc.attention_mask]) as number[][];
  rows.forEach((row, i) => {
    if (offsets[i]?.length !== row.length || masks[i]?.length !== row.length) fail(`row ${i}: field lengths`);
    const sequenceIds = enc.sequence_ids(i);
    const lastStart = [0, 0];
    row.forEach((id, j) => {
      if (!Number.isInteger(id) || id < 0 || id >= tok.vocab_size) fail(`row ${i}: id ${id}`);
      const seq = sequenceIds[j];
      if (seq === null || seq === undefined) return;
      const text = texts[seq];
      const [start, end] = offsets[i]![j]!;
      if (text === undefined || !(start >= 0 && start <= end && end <= text.length)) {
        fail(`row ${i}: offsets [${start}, ${end}] of sequence ${seq}`);
      }
      if (start < lastStart[seq]!) fail(`row ${i}: offset start ${start} after ${lastStart[seq]}`);
      lastStart[seq] = start;
    });
  });
}

describe("DebertaV2Tokenizer fuzzing", () => {
  it(
    `malformed spm.model bytes give a TokenizerError or a working tokenizer (${FUZZ_CASES} cases)`,
    () => {
      const outcomes = new Map<string, number>();
      for (let i = 0; i < FUZZ_CASES; i++) {
        const r = caseRng(SEED, i);
        const bytes = r.chance(0.3) ? mutateCharsmap(r) : mutateBytes(r, SPM);
        const text = randomText(r);
        const result = outcome(
          () => {
            const tok = DebertaV2Tokenizer.from_spm(bytes, {}, {}, "fuzz/spm.model");
            const enc = tok(text, { return_offsets_mapping: true });
            checkEncoding(tok, enc, [text, undefined]);
            tok.decode(enc.input_ids as number[]);
          },
          () => `spm case ${i}: ${bytes.length} bytes, text ${show(text)}`,
        );
        outcomes.set(result, (outcomes.get(result) ?? 0) + 1);
      }
      expect(outcomes.get("TOKENIZER_FILE_INVALID") ?? 0).toBeGreaterThan(FUZZ_CASES / 10);
      expect(outcomes.get("ok") ?? 0).toBeGreaterThan(0);
    },
    FUZZ_TIMEOUT_MS * 2,
  );

  it(
    `mutated tokenizer.json documents give a TokenizerError or a working tokenizer (${FUZZ_CASES} cases)`,
    () => {
      // The 4.x layout's vocabulary and charsmap are large: mutate a copy whose model is the 5.x one, so
      // each case clones a small document while the Precompiled normalizer is still exercised.
      const v4Small = { ...JSON_V4, model: JSON_V5.model };
      const outcomes = new Map<string, number>();
      for (let i = 0; i < FUZZ_CASES; i++) {
        const r = caseRng(SEED + 1, i);
        const base = r.chance(0.5)
          ? JSON_V5
          : { ...v4Small, normalizer: r.chance(0.7) ? JSON_V4.normalizer : null };
        const doc = r.chance(0.05) ? r.pick([null, 1, "x", [], {}]) : mutateJson(r, base);
        const text = randomText(r);
        const result = outcome(
          () => {
            const tok = DebertaV2Tokenizer.from_tokenizer_json(doc, {}, {}, "fuzz/tokenizer.json");
            const enc = tok(text, { return_offsets_mapping: true });
            checkEncoding(tok, enc, [text, undefined]);
            tok.decode(enc.input_ids as number[]);
          },
          () => `json case ${i}: text ${show(text)}`,
        );
        outcomes.set(result, (outcomes.get(result) ?? 0) + 1);
      }
      expect(outcomes.get("TOKENIZER_FILE_INVALID") ?? 0).toBeGreaterThan(FUZZ_CASES / 20);
      expect(outcomes.get("ok") ?? 0).toBeGreaterThan(FUZZ_CASES / 20);
    },
    FUZZ_TIMEOUT_MS * 2,
  );

  it(
    `random texts and options on the three layouts keep the encoding invariants (${FUZZ_CASES} cases)`,
    async () => {
      const tokenizers = await Promise.all(
        ["tokenizer-spm", "tokenizer-json-v4", "tokenizer-json-v5"].map((d) =>
          DebertaV2Tokenizer.from_pretrained(path.join(DIR, d)),
        ),
      );
      for (let i = 0; i < FUZZ_CASES; i++) {
        const r = caseRng(SEED + 2, i);
        const tok = r.pick(tokenizers);
        const text = randomText(r);
        const pair = r.chance(0.3) ? randomText(r) : undefined;
        const options = randomOptions(r);
        outcome(
          () => {
            const enc = tok(text, pair === undefined ? options : { ...options, text_pair: pair });
            checkEncoding(tok, enc, [text, pair === "" && !("sp" in tok.core) ? undefined : pair]);
            const ids = (
              Array.isArray((enc.input_ids as unknown[])[0])
                ? (enc.input_ids as number[][])[0]
                : enc.input_ids
            ) as number[];
            tok.decode(ids, { skip_special_tokens: r.chance(0.5) });
          },
          () =>
            `text case ${i}: ${show(text)} / ${pair === undefined ? "-" : show(pair)} ${JSON.stringify(options)}`,
        );
      }
    },
    FUZZ_TIMEOUT_MS * 2,
  );
});
