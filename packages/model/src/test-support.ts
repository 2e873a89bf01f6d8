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

export async function downloadAll(backend: Backend, handles: TensorHandle[]): Promise<Tensor[]> {
  return Promise.all(handles.map((h) => backend.download(h)));
}
