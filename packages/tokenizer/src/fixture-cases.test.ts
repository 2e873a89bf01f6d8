import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DebertaTokenizer } from "./deberta-tokenizer.js";
import { TokenizerError } from "./errors.js";
import { codePointToUtf16, fixturesDir } from "./test-support.js";

interface Case {
  kind: string;
  args: Record<string, unknown>;
  out?: unknown;
  error?: string;
}

type Out = Record<string, unknown>;
const FIXTURES = fixturesDir();
const cases = JSON.parse(readFileSync(path.join(FIXTURES, "tokenizer-cases.json"), "utf8")) as {
  cases: Case[];
  special_ids: Record<string, number>;
};

/** Python reports code-point offsets; ours are UTF-16 so that `text.slice(start, end)` works. */
function utf16Offsets(text: string, offsets: [number, number][]): [number, number][] {
  return offsets.map(([s, e]) => [codePointToUtf16(text, s), codePointToUtf16(text, e)]);
}

function label(c: Case): string {
  const text = JSON.stringify(c.args).slice(0, 70);
  return `${c.kind} ${text}`;
}

/** Runs one fixture case and returns what transformers' output would be, in the fixture's shape. */
function run(tok: DebertaTokenizer, prefixTok: DebertaTokenizer, c: Case): unknown {
  const a = c.args;
  switch (c.kind) {
    case "encode":
    case "encode_pair": {
      const text = a.text as string;
      const out = tok(text, {
        ...(a.text_pair === undefined ? {} : { text_pair: a.text_pair as string }),
        return_special_tokens_mask: true,
        return_offsets_mapping: true,
      });
      return { ...out };
    }
    case "tokens":
      return tok.tokenize(a.text as string);
    case "encode_no_special":
      return tok.encode(a.text as string, { add_special_tokens: false });
    case "decode":
      return tok.decode(a.ids as number[], { skip_special_tokens: a.skip_special_tokens as boolean });
    case "encode_pair_trunc":
      return {
        ...tok(a.text as string, {
          text_pair: a.text_pair as string,
          max_length: a.max_length as number,
          truncation: a.truncation as "longest_first",
        }),
      };
    case "batch_pad_longest":
      return { ...tok(a.texts as string[], { padding: "longest" }) };
    case "batch_pad_max_trunc":
      return {
        ...tok(a.texts as string[], {
          padding: "max_length",
          truncation: true,
          max_length: a.max_length as number,
        }),
      };
    case "batch_pairs": {
      const pairs = a.pairs as [string, string][];
      return {
        ...tok(
          pairs.map((p) => p[0]),
          { text_pair: pairs.map((p) => p[1]), padding: true },
        ),
      };
    }
    case "overflow":
      return {
        ...tok(a.text as string, {
          max_length: a.max_length as number,
          stride: a.stride as number,
          truncation: true,
          return_overflowing_tokens: true,
        }),
      };
    case "split_words": {
      const out = tok(a.words as string[], { is_split_into_words: true });
      return { ...out, word_ids: out.word_ids() };
    }
    case "encode_prefix_space":
      return { ...prefixTok(a.text as string) };
    default:
      throw new Error(`unknown fixture case kind ${c.kind}`);
  }
}

function expectedFor(c: Case): unknown {
  if (c.kind === "encode" || c.kind === "encode_pair") {
    const out = { ...(c.out as Out) };
    const text = c.args.text as string;
    if (c.kind === "encode")
      out.offset_mapping = utf16Offsets(text, out.offset_mapping as [number, number][]);
    return out;
  }
  return c.out;
}

function checkCase(
  tok: DebertaTokenizer,
  prefixTok: DebertaTokenizer,
  c: Case,
  expected: unknown,
  error?: string,
) {
  if (error !== undefined) {
    let thrown: unknown;
    try {
      run(tok, prefixTok, c);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(TokenizerError);
    expect((thrown as TokenizerError).code).toBe("TOKENIZER_TRUNCATION");
    // transformers: "Truncation error: Sequence to truncate too short to respect the provided max_length"
    expect((thrown as Error).message).toContain(error.replace(/^Exception\('(.*)'\)$/, "$1"));
    return;
  }
  expect(run(tok, prefixTok, c)).toEqual(expected);
}

describe("tokenizer-cases.json against fixtures/tokenizer (tokenizer.json)", () => {
  let tok: DebertaTokenizer;
  let prefixTok: DebertaTokenizer;
  beforeAll(async () => {
    tok = await DebertaTokenizer.from_pretrained(path.join(FIXTURES, "tokenizer"));
    prefixTok = await DebertaTokenizer.from_pretrained(path.join(FIXTURES, "tokenizer"), {
      add_prefix_space: true,
    });
  });

  it("has the fixture's special token ids", () => {
    for (const [token, id] of Object.entries(cases.special_ids))
      expect(tok.convert_tokens_to_ids(token)).toBe(id);
    expect(tok.cls_token_id).toBe(cases.special_ids["[CLS]"]);
    expect(tok.sep_token_id).toBe(cases.special_ids["[SEP]"]);
    expect(tok.pad_token_id).toBe(cases.special_ids["[PAD]"]);
    expect(tok.unk_token_id).toBe(cases.special_ids["[UNK]"]);
    expect(tok.mask_token_id).toBe(cases.special_ids["[MASK]"]);
  });

  it.each(cases.cases.map((c) => [label(c), c] as const))("%s", (_, c) => {
    checkCase(tok, prefixTok, c, expectedFor(c), c.error);
  });
});

// ---- The Hub layout (vocab.json + merges.txt): original DeBERTa pairs and [MASK] -------------------------

const CLS = cases.special_ids["[CLS]"]!;
const SEP = cases.special_ids["[SEP]"]!;
const PAD = cases.special_ids["[PAD]"]!;
const MASK = cases.special_ids["[MASK]"]!;
const SPACE_TOKEN = 224; // "Ġ" in the fixture vocabulary: a lone space before [MASK]

/** Splits a transformers 5 pair encoding `[CLS] A [SEP] [SEP] B [SEP]` into A and B (no padding). */
function pairParts(ids: number[]): { a: number[]; b: number[] } {
  const real = ids.filter((id) => id !== PAD);
  const firstSep = real.indexOf(SEP);
  return { a: real.slice(1, firstSep), b: real.slice(firstSep + 2, real.length - 1) };
}

/** The original DeBERTa pair: `[CLS] A [SEP] B [SEP]`, type ids 0 then 1. */
function originalPair(a: number[], b: number[]) {
  const input_ids = [CLS, ...a, SEP, ...b, SEP];
  const token_type_ids = [...a.map(() => 0), 0, 0, ...b.map(() => 1), 1];
  return { input_ids, token_type_ids, attention_mask: input_ids.map(() => 1) };
}

/**
 * Truncation of a pair to `maxLength` with the original format's 3 special tokens, by the rules of
 * transformers' fast (tokenizers) truncation, which AutoTokenizer used for DeBERTa in 4.x: longest_first
 * keeps the shorter side whole when the longer one can absorb the cut, else splits the budget in half
 * (the odd token to the longer side); only_first / only_second cut one side or fail.
 */
function truncateOriginal(a: number[], b: number[], maxLength: number, strategy: string) {
  const budget = maxLength - 3;
  let x = [...a];
  let y = [...b];
  const excess = x.length + y.length - budget;
  if (excess <= 0) return { a: x, b: y };
  if (strategy === "longest_first") {
    const shorter = Math.min(x.length, y.length);
    let keepShort = shorter;
    let keepLong = shorter > budget ? shorter : Math.max(shorter, budget - shorter);
    if (keepShort + keepLong > budget) {
      keepShort = Math.floor(budget / 2);
      keepLong = keepShort + (budget % 2);
    }
    const firstIsLonger = x.length > y.length;
    x = x.slice(0, firstIsLonger ? keepLong : keepShort);
    y = y.slice(0, firstIsLonger ? keepShort : keepLong);
    return { a: x, b: y };
  }
  const target = strategy === "only_first" ? x : y;
  if (target.length <= excess) return undefined;
  if (strategy === "only_first") x = x.slice(0, x.length - excess);
  else y = y.slice(0, y.length - excess);
  return { a: x, b: y };
}

/** `[MASK]` with lstrip absorbs the lone space token before it, and its span grows to cover that space. */
function absorbSpaceBeforeMask(out: Out): Out {
  const ids = out.input_ids as number[];
  const result: Out = { ...out };
  const drop = new Set<number>();
  ids.forEach((id, i) => {
    if (id === MASK && i > 0 && ids[i - 1] === SPACE_TOKEN) drop.add(i - 1);
  });
  for (const [key, value] of Object.entries(out)) {
    if (!Array.isArray(value) || value.length !== ids.length) continue;
    const kept: unknown[] = [];
    value.forEach((v, i) => {
      if (drop.has(i)) return;
      // The mask's span starts where the absorbed space started.
      if (key === "offset_mapping" && drop.has(i - 1))
        kept.push([(value[i - 1] as number[])[0], (v as number[])[1]]);
      else kept.push(v);
    });
    result[key] = kept;
  }
  return result;
}

/** transformers' untruncated ids for a pair, from an `encode_pair` case or a `batch_pairs` row. */
function untruncatedPairIds(text: string, pair: string): number[] {
  const single = cases.cases.find(
    (x) => x.kind === "encode_pair" && x.args.text === text && x.args.text_pair === pair,
  );
  if (single) return (single.out as Out).input_ids as number[];
  const batch = cases.cases.find((x) => x.kind === "batch_pairs")!;
  const row = (batch.args.pairs as [string, string][]).findIndex(([t, p]) => t === text && p === pair);
  if (row < 0) throw new Error(`no untruncated encoding of the pair ${text} / ${pair} in the fixtures`);
  return ((batch.out as Out).input_ids as number[][])[row]!;
}

function originalExpectation(c: Case): { expected?: unknown; error?: string; derived: boolean } {
  const a = c.args;
  const mentionsMask = JSON.stringify(a).includes("[MASK]");
  switch (c.kind) {
    case "encode_pair": {
      const out = c.out as Out;
      const { a: ia, b: ib } = pairParts(out.input_ids as number[]);
      const offsets = out.offset_mapping as [number, number][];
      const offA = offsets.slice(1, 1 + ia.length);
      const offB = offsets.slice(3 + ia.length, 3 + ia.length + ib.length);
      return {
        derived: true,
        expected: {
          ...originalPair(ia, ib),
          special_tokens_mask: [1, ...ia.map(() => 0), 1, ...ib.map(() => 0), 1],
          offset_mapping: [[0, 0], ...offA, [0, 0], ...offB, [0, 0]],
        },
      };
    }
    case "encode_pair_trunc": {
      const { a: ia, b: ib } = pairParts(untruncatedPairIds(a.text as string, a.text_pair as string));
      const t = truncateOriginal(ia, ib, a.max_length as number, a.truncation as string);
      if (t === undefined) {
        return {
          derived: true,
          error: "Truncation error: Sequence to truncate too short to respect the provided max_length",
        };
      }
      return { derived: true, expected: originalPair(t.a, t.b) };
    }
    case "batch_pairs": {
      const out = c.out as Out;
      const rows = (out.input_ids as number[][]).map((ids) => {
        const { a: ia, b: ib } = pairParts(ids);
        return originalPair(ia, ib);
      });
      const width = Math.max(...rows.map((r) => r.input_ids.length));
      const pad = (values: number[], fill: number) => [
        ...values,
        ...new Array(width - values.length).fill(fill),
      ];
      return {
        derived: true,
        expected: {
          input_ids: rows.map((r) => pad(r.input_ids, PAD)),
          token_type_ids: rows.map((r) => pad(r.token_type_ids, 0)),
          attention_mask: rows.map((r) => pad(r.attention_mask, 0)),
        },
      };
    }
    default:
      break;
  }
  if (!mentionsMask) return { derived: false, expected: expectedFor(c) };
  if (c.kind === "encode") return { derived: true, expected: absorbSpaceBeforeMask(expectedFor(c) as Out) };
  if (c.kind === "tokens") {
    const tokens = c.out as string[];
    return { derived: true, expected: tokens.filter((t, i) => !(t === "Ġ" && tokens[i + 1] === "[MASK]")) };
  }
  if (c.kind === "encode_no_special") {
    const ids = c.out as number[];
    return { derived: true, expected: ids.filter((id, i) => !(id === SPACE_TOKEN && ids[i + 1] === MASK)) };
  }
  if (c.kind === "batch_pad_longest" || c.kind === "batch_pad_max_trunc") {
    const out = c.out as Out;
    const ids = out.input_ids as number[][];
    const width = ids[0]!.length;
    const rows = ids.map((row, r) => {
      const real = row.filter((_, j) => (out.attention_mask as number[][])[r]![j] === 1);
      return absorbSpaceBeforeMask({
        input_ids: real,
        token_type_ids: real.map(() => 0),
        attention_mask: real.map(() => 1),
      });
    });
    if (c.kind === "batch_pad_max_trunc") {
      // Removing the space leaves room for one more token of the text: re-derive those rows from `encode`.
      return { derived: false, expected: undefined };
    }
    const pad = (values: number[], fill: number) => [
      ...values,
      ...new Array(width - values.length).fill(fill),
    ];
    return {
      derived: true,
      expected: {
        input_ids: rows.map((r) => pad(r.input_ids as number[], PAD)),
        token_type_ids: rows.map((r) => pad(r.token_type_ids as number[], 0)),
        attention_mask: rows.map((r) => pad(r.attention_mask as number[], 0)),
      },
    };
  }
  return { derived: false, expected: expectedFor(c) };
}

describe("tokenizer-cases.json against fixtures/tokenizer-hub-layout (vocab.json + merges.txt)", () => {
  let hub: DebertaTokenizer;
  let hubPrefix: DebertaTokenizer;
  beforeAll(async () => {
    hub = await DebertaTokenizer.from_pretrained(path.join(FIXTURES, "tokenizer-hub-layout"));
    hubPrefix = await DebertaTokenizer.from_pretrained(path.join(FIXTURES, "tokenizer-hub-layout"), {
      add_prefix_space: true,
    });
  });

  it("loads like AutoTokenizer does (fixture `build` line: 1200 tokens, 'Hello world' ids)", () => {
    expect(hub.vocab_size).toBe(1200);
    expect(hub.encode("Hello world")).toEqual([1, 43, 379, 390, 314, 279, 79, 71, 2]);
  });

  const runnable = cases.cases.filter((c) => {
    const { expected, error } = originalExpectation(c);
    return expected !== undefined || error !== undefined;
  });
  it.each(runnable.map((c) => [label(c), c] as const))("%s", (_, c) => {
    const { expected, error } = originalExpectation(c);
    checkCase(hub, hubPrefix, c, expected, error ?? (c.kind === "encode_pair_trunc" ? undefined : c.error));
  });

  it("batch_pad_max_trunc with [MASK] rows: each row equals the single-text encoding cut to max_length", () => {
    const c = cases.cases.find((x) => x.kind === "batch_pad_max_trunc")!;
    const texts = c.args.texts as string[];
    const maxLength = c.args.max_length as number;
    const out = hub(texts, { padding: "max_length", truncation: true, max_length: maxLength });
    texts.forEach((text, i) => {
      const full = hub.encode(text);
      const expected = full.length <= maxLength ? full : [...full.slice(0, maxLength - 1), SEP];
      expect((out.input_ids as number[][])[i]).toEqual([
        ...expected,
        ...new Array(maxLength - expected.length).fill(PAD),
      ]);
    });
  });

  it("[MASK] absorbs the space before it; a pair gets token type ids 0 then 1", () => {
    const out = hub("The capital of France is [MASK].", { text_pair: "Paris", return_offsets_mapping: true });
    const ids = out.input_ids as number[];
    const maskAt = ids.indexOf(MASK);
    expect(ids[maskAt - 1]).not.toBe(SPACE_TOKEN);
    expect((out.offset_mapping as [number, number][])[maskAt]).toEqual([24, 31]);
    const firstSep = ids.indexOf(SEP);
    expect(out.token_type_ids).toEqual(ids.map((_, i) => (i <= firstSep ? 0 : 1)));
    expect(ids.filter((id) => id === SEP)).toHaveLength(2);
  });
});
