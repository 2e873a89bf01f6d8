// A fixture checkpoint (`<fixtures>/models/<variant>/<name>`): its config and its float64 reference outputs
// (`expected.safetensors`). The readers come from the caller, so that this package depends on no workspace
// package (the config and hub packages' own tests use it too: depending on them would be a cycle).
import path from "node:path";
import { modelsDir } from "./fixtures-dir.js";

/** A tensor as read from a safetensors file (float64 values, or integers). */
export interface ReferenceTensor {
  shape: number[];
  data: ArrayLike<number | bigint>;
}

/** How to read a checkpoint's config and a safetensors file (e.g. `DebertaConfig.from_pretrained`, `readWeightsFile`). */
export interface FixtureReaders<C> {
  readConfig(dir: string): Promise<C>;
  readWeights(file: string): Promise<ReadonlyMap<string, ReferenceTensor>>;
}

export interface Fixture<C> {
  /** The checkpoint folder. */
  dir: string;
  config: C;
  /** The reference: inputs (input_ids, attention_mask, ...) and outputs (logits, hidden_states.i, ...). */
  expected: Map<string, ReferenceTensor>;
}

/** Loads checkpoint `name` (`<variant>/<name>`, e.g. `base-like/seqcls`) of the fixtures' models folder. */
export async function loadFixture<C>(name: string, readers: FixtureReaders<C>): Promise<Fixture<C>> {
  const dir = path.join(modelsDir(), name);
  const config = await readers.readConfig(dir);
  const expected = new Map(await readers.readWeights(path.join(dir, "expected.safetensors")));
  return { dir, config, expected };
}

/** Reference tensor `name` of `f` as float64 values; throws naming the file when the reference lacks it. */
export function expectedTensor(
  f: Pick<Fixture<unknown>, "dir" | "expected">,
  name: string,
): { shape: number[]; data: Float64Array } {
  const t = f.expected.get(name);
  if (t === undefined) throw new Error(`${f.dir}/expected.safetensors has no ${name}`);
  return { shape: t.shape, data: Float64Array.from(t.data, Number) };
}
