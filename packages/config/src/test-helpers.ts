// Test-only helpers (not exported by the package): locating the shared golden fixtures.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fixturesDir } from "@deberta/testing";

export { fixturesDir };

/**
 * Every `config.json` below `dir`, sorted, as absolute paths. The `deberta-v2/` fixtures are left out: they are
 * DeBERTa-v2/v3 configs, which `DebertaConfig` rejects (see `findV2ConfigFiles`).
 */
export function findConfigFiles(dir: string = fixturesDir()): string[] {
  return findAllConfigFiles(dir).filter((file) => !isV2Fixture(file, dir));
}

/** Every `config.json` below `dir/deberta-v2`, sorted: DeBERTa-v2/v3 checkpoints. */
export function findV2ConfigFiles(dir: string = fixturesDir()): string[] {
  return findAllConfigFiles(dir).filter((file) => isV2Fixture(file, dir));
}

function isV2Fixture(file: string, dir: string): boolean {
  return path.relative(dir, file).split(path.sep)[0] === "deberta-v2";
}

function findAllConfigFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name === "config.json") found.push(full);
    }
  };
  walk(dir);
  return found.sort();
}

export function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, "utf8")) as unknown;
}

/** The `config` object of `deberta-base-synthetic/synthetic.json` (a microsoft/deberta-base style config). */
export function syntheticBaseConfig(): Record<string, unknown> {
  const file = path.join(fixturesDir(), "deberta-base-synthetic", "synthetic.json");
  return (readJson(file) as { config: Record<string, unknown> }).config;
}

/** The `config.json` of `models/<variant>/<head>`. */
export function modelConfigPath(variant: string, head: string): string {
  return path.join(fixturesDir(), "models", variant, head, "config.json");
}

/** Runs `fn` and returns what it threw (sync or async); fails the test when it did not throw. */
export async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw, but the call succeeded");
}

/** Synchronous {@link caught}. */
export function caughtSync(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw, but the call succeeded");
}
