// The DeBERTa-base-sized synthetic checkpoint (`../shared/tools/make-synthetic-base.mjs`), written once into the
// git-ignored `<repo root>/.synthetic/deberta-base` (531 MiB of weights plus its ONNX graph) and shared by every
// benchmark and test that needs a model of real size. Plain JavaScript so that benchmark scripts run by Node
// import it as they are.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
/** The monorepo root (this file is `packages/testing/src/synthetic.mjs`). */
export const repoRoot = path.resolve(here, "../../..");
/** `$DEBERTA_SHARED`, else `../shared` beside the repository root (fixtures and tools). */
export const sharedDir = process.env.DEBERTA_SHARED ?? path.resolve(repoRoot, "../shared");
/** Git-ignored: 531 MiB of weights, written on demand. */
export const syntheticDir = path.join(repoRoot, ".synthetic", "deberta-base");

/** Writes the synthetic checkpoint unless it is there already; returns its folder. */
export function ensureSynthetic() {
  if (
    !existsSync(path.join(syntheticDir, "model.safetensors")) ||
    !existsSync(path.join(syntheticDir, "onnx", "weights.bin"))
  ) {
    execFileSync(process.execPath, [path.join(sharedDir, "tools", "make-synthetic-base.mjs"), syntheticDir], {
      stdio: "inherit",
    });
  }
  return syntheticDir;
}
