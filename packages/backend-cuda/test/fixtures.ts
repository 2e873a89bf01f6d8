import path from "node:path";
import { DebertaConfig } from "@deberta/config";
import { headRegistry } from "@deberta/heads";
import {
  checkFixture,
  type FixtureCheck,
  type FixtureCheckOptions,
  type ReferenceTensor,
} from "@deberta/heads/fixture-check";
import { readWeightsFile } from "@deberta/hub";
import type { Backend } from "@deberta/tensor";
import { fixtureCheckpoints, fixturesDir } from "@deberta/testing";

export { fixtureCheckpoints, fixturesDir };

/** Loads checkpoint `name` (variant/name) on `backend`, checks it against its reference, and frees it. */
export async function checkCheckpoint(
  backend: Backend,
  name: string,
  options: FixtureCheckOptions = {},
): Promise<FixtureCheck[]> {
  const dir = path.join(fixturesDir(), "models", name);
  const config = await DebertaConfig.from_pretrained(dir);
  const Head = headRegistry.get(config.architectures?.[0] ?? "DebertaModel");
  if (Head === undefined) throw new Error(`no head for ${config.architectures?.[0]}`);
  const model = await Head.from_pretrained(dir, { backend, config });
  try {
    const expected = (await readWeightsFile(path.join(dir, "expected.safetensors"))) as Map<
      string,
      ReferenceTensor
    >;
    return await checkFixture(model, expected, options);
  } finally {
    model.dispose();
  }
}

/** The checks that failed, as "name: error > tolerance" lines. */
export const failedChecks = (checks: FixtureCheck[]): string[] =>
  checks.filter((c) => !c.pass).map((c) => `${c.name}: ${c.maxError} > ${c.tolerance}`);
