// Shared by the tests: where the fixtures are, the backend the test set-up registered, and the raw inputs
// of a head call built from plain rows (for the tests' independent references).
import path from "node:path";
import { type Backend, resolveBackend, Tensor } from "@deberta/tensor";
import { fixturesDir } from "@deberta/testing";

export const modelDir = (head: string): string => path.join(fixturesDir(), "models", "base-like", head);
export const tokenizerDir = (): string => path.join(fixturesDir(), "tokenizer");

/** The backend the tests run on: registered by the test set-up (test-setup.ts), resolved by name. */
export function newBackend(): Promise<Backend> {
  return resolveBackend("cpu");
}

/** int64 [rows, length] tensor of equal-length rows. */
export function int64(rows: readonly (readonly number[])[]): Tensor {
  const length = rows[0]!.length;
  return new Tensor(
    "int64",
    BigInt64Array.from(rows.flat(), (v) => BigInt(v)),
    [rows.length, length],
  );
}

/** Row `b` of a [B, ...] float tensor as plain numbers. */
export function row(t: Tensor, b: number): number[] {
  const width = t.dims.slice(1).reduce((a, d) => a * d, 1);
  return Array.from((t.data as Float32Array).subarray(b * width, (b + 1) * width));
}
