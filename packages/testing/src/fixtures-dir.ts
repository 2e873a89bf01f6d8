// Where the shared golden fixtures are: `$DEBERTA_FIXTURES`, else `<repo root>/../shared/fixtures` (they live
// outside the repository, beside it).
import { existsSync } from "node:fs";
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
