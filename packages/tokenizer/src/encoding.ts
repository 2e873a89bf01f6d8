import { TokenizerError } from "./errors.js";

/**
 * One encoded sequence (or pair), the equivalent of tokenizers' `Encoding`. Offsets are UTF-16 code unit
 * spans into the input string (`starts[i]`..`ends[i]`), so `text.slice(start, end)` gives the token's text.
 * Fields are parallel flat arrays: no per-token objects, which matters for megabyte inputs.
 */
export interface Encoding {
  ids: number[];
  typeIds: number[];
  starts: number[];
  ends: number[];
  specialTokensMask: number[];
  attentionMask: number[];
  /** Index of the pre-token (or, for pre-split input, of the input word) a token came from. */
  wordIds: (number | null)[];
  /** 0 for the first sequence, 1 for the pair, null for special tokens and padding. */
  sequenceIds: (number | null)[];
  /** Windows cut off by truncation, each already a complete encoding. */
  overflowing: Encoding[];
}

type Field = Exclude<keyof Encoding, "overflowing">;
const FIELDS: readonly Field[] = [
  "ids",
  "typeIds",
  "starts",
  "ends",
  "specialTokensMask",
  "attentionMask",
  "wordIds",
  "sequenceIds",
];

export function emptyEncoding(): Encoding {
  return {
    ids: [],
    typeIds: [],
    starts: [],
    ends: [],
    specialTokensMask: [],
    attentionMask: [],
    wordIds: [],
    sequenceIds: [],
    overflowing: [],
  };
}

/** A sequence's encoding from its ids, spans and word ids; the other fields follow from them. */
export function sequenceEncoding(
  ids: number[],
  starts: number[],
  ends: number[],
  wordIds: number[],
  sequence: 0 | 1,
): Encoding {
  const n = ids.length;
  return {
    ids,
    typeIds: new Array<number>(n).fill(0),
    starts,
    ends,
    specialTokensMask: new Array<number>(n).fill(0),
    attentionMask: new Array<number>(n).fill(1),
    wordIds,
    sequenceIds: new Array<number>(n).fill(sequence),
    overflowing: [],
  };
}

/** Special tokens inserted by a post-processor: no span, no word, no sequence. */
export function specialEncoding(ids: number[], typeId: number): Encoding {
  const n = ids.length;
  return {
    ids: [...ids],
    typeIds: new Array<number>(n).fill(typeId),
    starts: new Array<number>(n).fill(0),
    ends: new Array<number>(n).fill(0),
    specialTokensMask: new Array<number>(n).fill(1),
    attentionMask: new Array<number>(n).fill(1),
    wordIds: new Array<number | null>(n).fill(null),
    sequenceIds: new Array<number | null>(n).fill(null),
    overflowing: [],
  };
}

export function withTypeId(e: Encoding, typeId: number): Encoding {
  return { ...e, typeIds: new Array<number>(e.ids.length).fill(typeId) };
}

export function sliceEncoding(e: Encoding, start: number, stop: number): Encoding {
  const out = emptyEncoding();
  for (const f of FIELDS) (out[f] as unknown[]) = e[f].slice(start, stop);
  return out;
}

/** Concatenates encodings field by field (native concat: no per-token work in JavaScript). */
export function concatEncodings(parts: readonly Encoding[]): Encoding {
  const out = emptyEncoding();
  for (const f of FIELDS) {
    (out[f] as unknown[]) = ([] as unknown[]).concat(...parts.map((p) => p[f] as unknown[]));
  }
  return out;
}

export type TruncationDirection = "right" | "left";

/**
 * Keeps `maxLength` tokens and moves the rest into `overflowing` as windows of `maxLength` tokens that
 * overlap the previous window by `stride` tokens (tokenizers' `Encoding::truncate`).
 */
export function truncateEncoding(
  e: Encoding,
  maxLength: number,
  stride: number,
  direction: TruncationDirection,
): Encoding {
  const length = e.ids.length;
  if (maxLength >= length) return e;
  if (maxLength === 0) {
    const out = emptyEncoding();
    out.overflowing.push({ ...e, overflowing: [] });
    return out;
  }
  if (stride >= maxLength) {
    throw new TokenizerError(
      "TOKENIZER_TRUNCATION",
      `Truncation error: \`stride\` (${stride}) must be strictly less than the effective max_length (${maxLength}, ` +
        "the requested max_length minus the special tokens)",
      { argument: "stride" },
    );
  }
  const step = maxLength - stride;
  const ranges: [number, number][] = [];
  if (direction === "right") {
    for (let start = 0; start < length; start += step) {
      const stop = Math.min(start + maxLength, length);
      ranges.push([start, stop]);
      if (stop === length) break;
    }
  } else {
    for (let stop = length; stop > 0; stop -= step) {
      const start = Math.max(stop - maxLength, 0);
      ranges.push([start, stop]);
      if (start === 0) break;
    }
  }
  const [first, ...rest] = ranges;
  const out = sliceEncoding(e, first![0], first![1]);
  out.overflowing = rest.map(([start, stop]) => sliceEncoding(e, start, stop));
  return out;
}

export interface PaddingParams {
  length: number;
  padId: number;
  padTypeId: number;
  side: "right" | "left";
}

export function padEncoding(e: Encoding, p: PaddingParams): void {
  const missing = p.length - e.ids.length;
  if (missing <= 0) return;
  const padding: Encoding = {
    ids: new Array<number>(missing).fill(p.padId),
    typeIds: new Array<number>(missing).fill(p.padTypeId),
    starts: new Array<number>(missing).fill(0),
    ends: new Array<number>(missing).fill(0),
    specialTokensMask: new Array<number>(missing).fill(1),
    attentionMask: new Array<number>(missing).fill(0),
    wordIds: new Array<number | null>(missing).fill(null),
    sequenceIds: new Array<number | null>(missing).fill(null),
    overflowing: [],
  };
  const padded = concatEncodings(p.side === "right" ? [e, padding] : [padding, e]);
  for (const f of FIELDS) (e[f] as unknown[]) = padded[f];
}
