import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DebertaConfig } from "@deberta/config";
import { readWeightsFile } from "@deberta/hub";
import type { Backend, Tensor, TensorHandle } from "@deberta/tensor";

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

export interface Fixture {
  dir: string;
  config: DebertaConfig;
  expected: Map<string, { shape: number[]; data: ArrayLike<number | bigint> }>;
}

export async function loadFixture(name: string): Promise<Fixture> {
  const dir = path.join(fixturesDir(), "models", name);
  const config = await DebertaConfig.from_pretrained(dir);
  const expected = (await readWeightsFile(path.join(dir, "expected.safetensors"))) as Fixture["expected"];
  return { dir, config, expected };
}

export function expectedTensor(f: Fixture, name: string): { shape: number[]; data: Float64Array } {
  const t = f.expected.get(name);
  if (t === undefined) throw new Error(`${f.dir}/expected.safetensors has no ${name}`);
  return { shape: t.shape, data: Float64Array.from(t.data, Number) };
}

/**
 * Max |got − want| over positions whose token is not padding: `rowsOf(index)` maps a flat index to its
 * (batch, query position) so rows of padding tokens (not meaningful in transformers either) are skipped.
 */
export function maxErrorAtRealTokens(
  got: Tensor,
  want: { shape: number[]; data: Float64Array },
  mask: Float64Array,
  layout: "bld" | "bhll" | "bl" | "b",
): number {
  if (got.dims.length !== want.shape.length || got.dims.some((d, i) => d !== want.shape[i])) {
    throw new Error(`shape [${got.dims.join(", ")}] differs from the reference [${want.shape.join(", ")}]`);
  }
  const data = got.data as Float32Array;
  const [b, x, y, z] = want.shape as [number, number, number, number];
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    let batch: number;
    let position: number | undefined;
    if (layout === "bld") {
      batch = Math.floor(i / (x * y));
      position = Math.floor(i / y) % x;
    } else if (layout === "bhll") {
      batch = Math.floor(i / (x * y * z));
      position = Math.floor(i / z) % y;
    } else if (layout === "bl") {
      batch = Math.floor(i / x);
      position = i % x;
    } else {
      batch = i;
      position = undefined;
    }
    const length = mask.length / b;
    if (position !== undefined && mask[batch * length + position] === 0) continue;
    const err = Math.abs(data[i]! - want.data[i]!);
    if (!(err <= max)) max = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
  }
  return max;
}

export async function downloadAll(backend: Backend, handles: TensorHandle[]): Promise<Tensor[]> {
  return Promise.all(handles.map((h) => backend.download(h)));
}
