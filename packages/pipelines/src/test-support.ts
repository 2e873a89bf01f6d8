// Shared by the tests: where the fixtures are, one CPU backend for the whole file, and the raw inputs
// of a head call built from plain rows (for the tests' independent references).
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Backend, resolveBackend, Tensor } from "@deberta/tensor";

/** The shared golden fixtures: `$DEBERTA_FIXTURES`, else `../shared/fixtures` beside the repository root. */
export function fixturesDir(): string {
  const fromEnv = process.env.DEBERTA_FIXTURES;
  if (fromEnv) return fromEnv;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "pnpm-workspace.yaml"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("test-support: no pnpm-workspace.yaml above this file");
    dir = parent;
  }
  return path.resolve(dir, "../shared/fixtures");
}

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
