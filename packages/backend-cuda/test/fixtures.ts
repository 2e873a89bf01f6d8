import { readdirSync } from "node:fs";
import path from "node:path";
import { DebertaConfig, DebertaV2Config } from "@deberta/config";
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

/** The DeBERTa-v2 checkpoints, `<variant>/<head>` of `<fixtures>/deberta-v2/models`, sorted. */
export function v2FixtureCheckpoints(): string[] {
  const models = path.join(fixturesDir(), "deberta-v2", "models");
  return readdirSync(models)
    .sort()
    .flatMap((variant) =>
      readdirSync(path.join(models, variant))
        .sort()
        .map((head) => `${variant}/${head}`),
    );
}

/**
 * Loads checkpoint `name` (variant/name) on `backend`, checks it against its reference, and frees it.
 * `family` "v2" reads it from `<fixtures>/deberta-v2/models` with a DebertaV2Config.
 */
export async function checkCheckpoint(
  backend: Backend,
  name: string,
  options: FixtureCheckOptions = {},
  family: "v1" | "v2" = "v1",
): Promise<FixtureCheck[]> {
  const dir =
    family === "v2"
      ? path.join(fixturesDir(), "deberta-v2", "models", name)
      : path.join(fixturesDir(), "models", name);
  const config =
    family === "v2" ? await DebertaV2Config.from_pretrained(dir) : await DebertaConfig.from_pretrained(dir);
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
