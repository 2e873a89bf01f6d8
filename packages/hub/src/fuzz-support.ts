// Helpers of the loader fuzz tests (never part of the package build): a seeded PRNG, so that every run
// replays the same cases and a failure names a case that can be replayed alone, and the outcome check.
import { expect } from "vitest";
import { WeightsError, type WeightsErrorCode } from "./errors.js";

const CODES: ReadonlySet<WeightsErrorCode> = new Set<WeightsErrorCode>([
  "WEIGHTS_FILE_MISSING",
  "WEIGHTS_READ",
  "WEIGHTS_CORRUPT",
  "WEIGHTS_UNSUPPORTED",
  "WEIGHTS_UNSAFE_PICKLE",
]);

/** mulberry32: small, fast, and good enough to spread cases; the same seed always gives the same cases. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  /** A "sizeable" number: mostly small, sometimes at the edges of the integer ranges a reader must survive. */
  edgyInt(): number {
    return this.pick([
      0,
      1,
      2,
      this.int(16),
      this.int(1000),
      255,
      256,
      65_535,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 53 - 1,
      2 ** 53,
      2 ** 63,
      -1,
      -(2 ** 31),
    ]);
  }
}

/**
 * Runs `cases` cases of `run(rng, index)` with one PRNG seeded `seed` and checks each outcome: a value, or a
 * WeightsError with a known code. Anything else (a TypeError, a RangeError, a stack overflow) fails the test,
 * naming the case index and the bytes (base64) so that it can become a regular test.
 */
export async function fuzz(
  seed: number,
  cases: number,
  makeInput: (rng: Rng, index: number) => Uint8Array,
  read: (bytes: Uint8Array) => unknown,
): Promise<{ values: number; errors: Map<WeightsErrorCode, number> }> {
  const rng = new Rng(seed);
  const errors = new Map<WeightsErrorCode, number>();
  let values = 0;
  for (let index = 0; index < cases; index++) {
    const bytes = makeInput(rng, index);
    try {
      await read(bytes);
      values++;
    } catch (error) {
      if (error instanceof WeightsError && CODES.has(error.code)) {
        errors.set(error.code, (errors.get(error.code) ?? 0) + 1);
        continue;
      }
      const shown = bytes.length > 4096 ? `${bytes.length} bytes` : Buffer.from(bytes).toString("base64");
      expect.fail(
        `case ${index} of seed ${seed}: ${error instanceof Error ? `${error.name}: ${error.message}\n${error.stack?.split("\n").slice(1, 8).join("\n")}` : String(error)}\ninput: ${shown}`,
      );
    }
  }
  return { values, errors };
}
