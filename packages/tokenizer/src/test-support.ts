import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

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

/** Converts a code-point offset (what Python reports) into a UTF-16 offset (what JavaScript slices by). */
export function codePointToUtf16(text: string, codePointIndex: number): number {
  let units = 0;
  let points = 0;
  while (points < codePointIndex && units < text.length) {
    const cp = text.codePointAt(units)!;
    units += cp > 0xffff ? 2 : 1;
    points++;
  }
  return units;
}
