import { TokenizerError } from "./errors.js";

/**
 * One encoded sequence (or pair), the equivalent of tokenizers' `Encoding`. Offsets are UTF-16 code unit
 * spans into the input string, so `text.slice(start, end)` gives the token's text.
 */
export interface Encoding {
  ids: number[];
  typeIds: number[];
  offsets: [number, number][];
  specialTokensMask: number[];
  attentionMask: number[];
  /** Index of the pre-token (or, for pre-split input, of the input word) a token came from. */
  wordIds: (number | null)[];
  /** 0 for the first sequence, 1 for the pair, null for special tokens and padding. */
  sequenceIds: (number | null)[];
  /** Windows cut off by truncation, each already a complete encoding. */
  overflowing: Encoding[];
}

export function emptyEncoding(): Encoding {
  return {
    ids: [],
    typeIds: [],
    offsets: [],
    specialTokensMask: [],
    attentionMask: [],
    wordIds: [],
    sequenceIds: [],
    overflowing: [],
  };
}

export function sliceEncoding(e: Encoding, start: number, stop: number): Encoding {
  return {
    ids: e.ids.slice(start, stop),
    typeIds: e.typeIds.slice(start, stop),
    offsets: e.offsets.slice(start, stop),
    specialTokensMask: e.specialTokensMask.slice(start, stop),
    attentionMask: e.attentionMask.slice(start, stop),
    wordIds: e.wordIds.slice(start, stop),
    sequenceIds: e.sequenceIds.slice(start, stop),
    overflowing: [],
  };
}

/** Appends `other`'s tokens to `target` (overflow is handled by the caller). */
export function appendEncoding(target: Encoding, other: Encoding): void {
  target.ids.push(...other.ids);
  target.typeIds.push(...other.typeIds);
  target.offsets.push(...other.offsets);
  target.specialTokensMask.push(...other.specialTokensMask);
  target.attentionMask.push(...other.attentionMask);
  target.wordIds.push(...other.wordIds);
  target.sequenceIds.push(...other.sequenceIds);
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
  const fill = <T>(values: T[], value: T) => {
    const padding = new Array<T>(missing).fill(value);
    if (p.side === "right") values.push(...padding);
    else values.unshift(...padding);
  };
  fill(e.ids, p.padId);
  fill(e.typeIds, p.padTypeId);
  fill<[number, number]>(e.offsets, [0, 0]);
  // Copies, not one shared tuple: callers may mutate offsets later.
  if (p.side === "right") for (let i = e.offsets.length - missing; i < e.offsets.length; i++) e.offsets[i] = [0, 0];
  else for (let i = 0; i < missing; i++) e.offsets[i] = [0, 0];
  fill(e.specialTokensMask, 1);
  fill(e.attentionMask, 0);
  fill<number | null>(e.wordIds, null);
  fill<number | null>(e.sequenceIds, null);
}
