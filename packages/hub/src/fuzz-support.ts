// Helpers of the loader fuzz tests (never part of the package build): a seeded PRNG, so that every run
// replays the same cases and a failure names a case that can be replayed alone, and the outcome check.
import { Rng as TestRng } from "@deberta/testing";
import { expect } from "vitest";
import { WeightsError, type WeightsErrorCode } from "./errors.js";

const CODES: ReadonlySet<WeightsErrorCode> = new Set<WeightsErrorCode>([
  "WEIGHTS_FILE_MISSING",
  "WEIGHTS_READ",
  "WEIGHTS_CORRUPT",
  "WEIGHTS_UNSUPPORTED",
  "WEIGHTS_UNSAFE_PICKLE",
]);

/** The tests' seeded generator (@deberta/testing), plus the edge values a binary reader must survive. */
export class Rng extends TestRng {
  /** A "sizeable" number: mostly small, sometimes at the edges of the integer ranges a reader must survive. */
  edgyInt(): number {
    return this.pick([
      0,
      1,
      2,
      this.below(16),
      this.below(1000),
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
