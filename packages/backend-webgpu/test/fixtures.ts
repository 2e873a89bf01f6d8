import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (the folder with pnpm-workspace.yaml above this file). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "pnpm-workspace.yaml"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("no pnpm-workspace.yaml above this file");
    dir = parent;
  }
  return dir;
}

/** The shared golden fixtures: `$DEBERTA_FIXTURES`, else `../shared/fixtures` beside the repository root. */
export function fixturesDir(): string {
  return process.env.DEBERTA_FIXTURES ?? path.resolve(repoRoot(), "../shared/fixtures");
}

/** Every checkpoint folder of fixtures/models (variant/name) that has weights and a reference. */
export function fixtureCheckpoints(): string[] {
  const models = path.join(fixturesDir(), "models");
  const out: string[] = [];
  for (const variant of readdirSync(models, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()) {
    for (const name of readdirSync(path.join(models, variant)).sort()) {
      const dir = path.join(models, variant, name);
      const hasWeights =
        existsSync(path.join(dir, "model.safetensors")) || existsSync(path.join(dir, "pytorch_model.bin"));
      if (hasWeights && existsSync(path.join(dir, "expected.safetensors"))) out.push(`${variant}/${name}`);
    }
  }
  return out;
}
