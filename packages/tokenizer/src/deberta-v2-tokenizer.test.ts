import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DebertaV2Tokenizer } from "./deberta-v2-tokenizer.js";
import { TokenizerError } from "./errors.js";
import { fixturesDir } from "./test-support.js";

const DIR = path.join(fixturesDir(), "deberta-v2", "tokenizer-spm");

interface SpmCase {
  text: string;
  text_pair?: string;
  tokens: string[];
  tokens_pair?: string[];
  input_ids: number[];
  token_type_ids: number[];
  attention_mask: number[];
  special_tokens_mask: number[];
  decoded: string;
  decoded_skip_special: string;
}

const fixture = JSON.parse(readFileSync(path.join(DIR, "tokenizer-cases.json"), "utf8")) as {
  meta: { special_ids: Record<string, number>; vocab_size_with_added: number };
  cases: SpmCase[];
};
const tokenizer = await DebertaV2Tokenizer.from_pretrained(DIR);

describe("DebertaV2Tokenizer (spm.model + tokenizer_config.json) against transformers' slow tokenizer", () => {
  it.each(fixture.cases.map((c) => [JSON.stringify(c.text).slice(0, 60), c] as const))("%s", (_, c) => {
    const pair = c.text_pair === undefined ? {} : { text_pair: c.text_pair };
    const out = tokenizer(c.text, { ...pair, return_special_tokens_mask: true });
    expect(out.input_ids).toEqual(c.input_ids);
    expect(out.token_type_ids).toEqual(c.token_type_ids);
    expect(out.attention_mask).toEqual(c.attention_mask);
    expect(out.special_tokens_mask).toEqual(c.special_tokens_mask);
    expect(tokenizer.tokenize(c.text)).toEqual(c.tokens);
    if (c.text_pair !== undefined) expect(tokenizer.tokenize(c.text_pair)).toEqual(c.tokens_pair);
    expect(tokenizer.decode(c.input_ids)).toBe(c.decoded);
    expect(tokenizer.decode(c.input_ids, { skip_special_tokens: true })).toBe(c.decoded_skip_special);
  });

  it("has the fixture's special ids and vocabulary size", () => {
    const ids = fixture.meta.special_ids;
    expect(tokenizer.pad_token_id).toBe(ids["[PAD]"]);
    expect(tokenizer.cls_token_id).toBe(ids["[CLS]"]);
    expect(tokenizer.sep_token_id).toBe(ids["[SEP]"]);
    expect(tokenizer.unk_token_id).toBe(ids["[UNK]"]);
    expect(tokenizer.mask_token_id).toBe(ids["[MASK]"]);
    expect(tokenizer.vocab_size).toBe(fixture.meta.vocab_size_with_added);
  });
});

describe("DebertaV2Tokenizer call options", () => {
  const c = fixture.cases.find((x) => x.text_pair !== undefined && x.tokens_pair!.length > 8)!;

  it("gives UTF-16 offsets whose slices are the pieces' source text", () => {
    for (const { text } of fixture.cases) {
      const out = tokenizer(text, { return_offsets_mapping: true, add_special_tokens: false });
      const pieces = tokenizer.tokenize(text);
      const offsets = out.offset_mapping as [number, number][];
      expect(offsets).toHaveLength(pieces.length);
      let last = 0;
      for (const [s, e] of offsets) {
        expect(s).toBeGreaterThanOrEqual(last);
        expect(e).toBeGreaterThanOrEqual(s);
        expect(e).toBeLessThanOrEqual(text.length);
        last = s;
      }
    }
    const text = "Hello world 😀 Café";
    const out = tokenizer(text, { return_offsets_mapping: true, add_special_tokens: false });
    const slices = (out.offset_mapping as [number, number][]).map(([s, e]) => text.slice(s, e));
    // A "▁" stands for the space before it (as in tokenizers' offsets); only the dummy prefix has no source.
    const pieces = tokenizer.tokenize(text).map((p) => p.replaceAll("\u2581", " "));
    pieces[0] = pieces[0]!.slice(1);
    expect(slices).toEqual(pieces);
  });

  it("truncates the longest sequence first, with overflowing windows and stride", () => {
    const full = c.input_ids.length;
    const out = tokenizer(c.text, {
      text_pair: c.text_pair!,
      truncation: true,
      max_length: full - 4,
      stride: 2,
      return_overflowing_tokens: true,
    });
    const rows = out.input_ids as number[][];
    expect(rows[0]).toHaveLength(full - 4);
    expect(rows.length).toBeGreaterThan(1);
    expect(out.overflow_to_sample_mapping!.every((i) => i === 0)).toBe(true);
    const onlySecond = tokenizer(c.text, {
      text_pair: c.text_pair!,
      truncation: "only_second",
      max_length: full - 3,
    });
    const ids = onlySecond.input_ids as number[];
    expect(ids.slice(0, c.tokens.length + 2)).toEqual(c.input_ids.slice(0, c.tokens.length + 2));
    expect(ids.at(-1)).toBe(tokenizer.sep_token_id);
    expect(() =>
      tokenizer(c.text, { text_pair: c.text_pair!, truncation: "only_first", max_length: 4 }),
    ).toThrow(TokenizerError);
  });

  it("pads a batch on the configured side with the pad id", () => {
    const singles = fixture.cases.filter((x) => x.text_pair === undefined).slice(0, 4);
    const out = tokenizer(
      singles.map((x) => x.text),
      { padding: true },
    );
    const rows = out.input_ids as number[][];
    const longest = Math.max(...singles.map((x) => x.input_ids.length));
    rows.forEach((row, i) => {
      const expected = singles[i]!.input_ids;
      expect(row).toEqual([
        ...expected,
        ...new Array(longest - expected.length).fill(tokenizer.pad_token_id),
      ]);
    });
  });

  it("numbers words at each ▁ piece and keeps pre-split words apart", () => {
    const out = tokenizer("Hello world", {});
    expect(out.word_ids()).toEqual([null, 0, 0, 1, null]);
    const split = tokenizer(["Hello", "world"], { is_split_into_words: true });
    expect(split.word_ids()).toEqual([null, 0, 0, 1, null]);
    expect(split.input_ids).toEqual(fixture.cases[0]!.input_ids);
  });

  it("lower-cases and splits at punctuation when tokenizer_config.json asks", async () => {
    const spm = readFileSync(path.join(DIR, "spm.model"));
    const lower = DebertaV2Tokenizer.from_spm(spm, { do_lower_case: true });
    const upper = fixture.cases.find((x) => x.text === "MiXeD CaSe WoRdS")!;
    expect(lower.tokenize(upper.text)).toEqual(tokenizer.tokenize(upper.text.toLowerCase()));
    const punct = DebertaV2Tokenizer.from_spm(spm, { split_by_punct: true });
    // Every chunk between punctuation is encoded on its own, so "world" after "!" gets a dummy prefix.
    expect(punct.tokenize("Hello,world")).toEqual([
      ...tokenizer.tokenize("Hello"),
      ...tokenizer.tokenize(","),
      ...tokenizer.tokenize("world"),
    ]);
    expect(() => DebertaV2Tokenizer.from_spm(spm, { do_lower_case: "yes" })).toThrow(/do_lower_case/);
  });

  it("reports a missing spm.model as a typed error", async () => {
    await expect(DebertaV2Tokenizer.from_pretrained(path.join(DIR, "no-such-folder"))).rejects.toMatchObject({
      code: "TOKENIZER_FILE_MISSING",
    });
  });
});
