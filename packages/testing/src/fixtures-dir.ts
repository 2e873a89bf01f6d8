// Where the shared golden fixtures are: `$DEBERTA_FIXTURES`, else `<repo root>/../shared/fixtures` (they live
// outside the repository, beside it).
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The monorepo root: the nearest folder at or above `start` (default: this file's folder) with pnpm-workspace.yaml. */
export function findRepoRoot(start: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, "pnpm-workspace.yaml"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`@deberta/testing: no pnpm-workspace.yaml above ${start}`);
    dir = parent;
  }
}

/**
 * The shared golden fixtures folder: `$DEBERTA_FIXTURES` (resolved against the working directory) when set and
 * not empty, else `../shared/fixtures` beside the repository root. The folder is not checked for existence.
 */
export function fixturesDir(): string {
  const override = process.env.DEBERTA_FIXTURES;
  return override !== undefined && override !== ""
    ? path.resolve(override)
    : path.resolve(findRepoRoot(), "../shared/fixtures");
}

/** `<fixtures>/models`: the fixture checkpoints, as `<variant>/<name>` folders. */
export function modelsDir(): string {
  return path.join(fixturesDir(), "models");
}

/**
 * Every checkpoint of `<fixtures>/models` that has weights (`model.safetensors` or `pytorch_model.bin`) and a
 * reference (`expected.safetensors`), as sorted `<variant>/<name>` names.
 */
export function fixtureCheckpoints(): string[] {
  const models = modelsDir();
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
