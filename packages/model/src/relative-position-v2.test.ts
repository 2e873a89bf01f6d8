// Properties of the v2 log-bucket relative positions (the fixtures check the values themselves, through the
// attentions of deberta-v2-backbone.test.ts).
import { describe, expect, it } from "vitest";
import {
  buildRelativePosition,
  makeLogBucketPosition,
  relativeGatherIndices,
  relativeIndexTable,
} from "./relative-position-v2.js";

const SETTINGS: [number, number][] = [
  [16, 512],
  [256, 512],
  [256, 1024],
  [32, 128],
];

describe.each(SETTINGS)("buckets %i, max position %i", (buckets, maxPosition) => {
  const mid = Math.floor(buckets / 2);
  const bucket = (r: number) => makeLogBucketPosition(r, buckets, maxPosition);

  it("keeps positions within ±mid as they are", () => {
    for (let r = -mid; r <= mid; r++) expect(bucket(r)).toBe(r);
  });

  it("is odd, non-decreasing, and stays below the attention span for positions up to maxPosition", () => {
    let previous = bucket(0);
    for (let r = 1; r < 4 * maxPosition; r++) {
      const value = bucket(r);
      expect(bucket(-r)).toBe(-value);
      expect(value).toBeGreaterThanOrEqual(previous);
      if (r < maxPosition) expect(value).toBeLessThan(buckets);
      previous = value;
    }
  });

  it("agrees with the same formula in float64 (no float32 rounding flips a bucket here)", () => {
    for (let r = -4 * maxPosition; r <= 4 * maxPosition; r++) {
      const abs = Math.abs(r);
      const expected =
        abs <= mid
          ? r
          : Math.sign(r) *
            (Math.ceil((Math.log(abs / mid) / Math.log((maxPosition - 1) / mid)) * (mid - 1)) + mid);
      expect(bucket(r)).toBe(expected);
    }
  });
});

describe("buildRelativePosition", () => {
  it("is i - j without buckets", () => {
    const rel = buildRelativePosition(3, 4, -1, 512);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) expect(rel[i * 4 + j]).toBe(i - j);
  });

  it("buckets i - j with buckets", () => {
    const rel = buildRelativePosition(40, 40, 16, 512);
    for (let i = 0; i < 40; i++)
      for (let j = 0; j < 40; j++) expect(rel[i * 40 + j]).toBe(makeLogBucketPosition(i - j, 16, 512));
  });
});

describe("relativeGatherIndices", () => {
  it("clamps rel + span (c2p) and -rel + span (p2c) into [0, 2 span)", () => {
    const length = 30;
    const span = 4;
    const rel = buildRelativePosition(length, length, -1, 512);
    const { c2p, p2c } = relativeGatherIndices(length, span, -1, 512);
    for (let n = 0; n < rel.length; n++) {
      expect(c2p[n]).toBe(Math.min(Math.max(rel[n]! + span, 0), 2 * span - 1));
      expect(p2c[n]).toBe(Math.min(Math.max(-rel[n]! + span, 0), 2 * span - 1));
    }
  });
});

describe("relativeIndexTable", () => {
  // (length, span, buckets, max position): buckets reached and not, spans below and above the length, and
  // no buckets at all (span clamps i − j).
  const cases: [number, number, number, number][] = [
    [40, 16, 16, 512],
    [300, 256, 256, 512],
    [7, 16, 16, 512],
    [30, 4, -1, 512],
    [1, 8, 16, 512],
  ];
  it.each(cases)(
    "length %i, span %i, buckets %i, max position %i: entry i − j + L − 1 is both gather indices of (i, j)",
    (length, span, buckets, maxPosition) => {
      const table = relativeIndexTable(length, span, buckets, maxPosition);
      expect(table).toHaveLength(2 * length - 1);
      const { c2p, p2c } = relativeGatherIndices(length, span, buckets, maxPosition);
      for (let i = 0; i < length; i++) {
        for (let j = 0; j < length; j++) {
          const entry = table[i - j + length - 1]!;
          // c2p is indexed [query i][key j]; p2c [key j][query i] (gathered on the key's rows).
          expect(entry).toBe(c2p[i * length + j]);
          expect(entry).toBe(p2c[j * length + i]);
        }
      }
    },
  );
});
