// The DeBERTa-base-sized synthetic checkpoint (../shared/tools/make-synthetic-base.mjs, written on demand
// into the repository's git-ignored .synthetic/ folder, shared with the CPU benchmark) and the input the
// fixture README describes for it. Used by the benchmark and the parity test.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const sharedDir = process.env.DEBERTA_SHARED ?? path.resolve(repoRoot, "../shared");

export function ensureSynthetic() {
  const dir = process.env.DEBERTA_SYNTHETIC_DIR ?? path.join(repoRoot, ".synthetic", "deberta-base");
  if (
    !existsSync(path.join(dir, "model.safetensors")) ||
    !existsSync(path.join(dir, "onnx", "weights.bin"))
  ) {
    execFileSync(process.execPath, [path.join(sharedDir, "tools", "make-synthetic-base.mjs"), dir], {
      stdio: "inherit",
    });
  }
  return dir;
}

/**
 * Token t of row b = 5 + ((b·1000003 + t·7919) mod 50000), first token 1, last real token 2; odd rows
 * have 100 real tokens then padding (the README's input is batch 2, length 128).
 */
export function syntheticInput(batch, length = 128) {
  const ids = new BigInt64Array(batch * length);
  const mask = new BigInt64Array(batch * length);
  for (let b = 0; b < batch; b++) {
    const real = b % 2 === 1 ? Math.min(100, length) : length;
    for (let t = 0; t < real; t++) {
      ids[b * length + t] = BigInt(t === 0 ? 1 : t === real - 1 ? 2 : 5 + ((b * 1000003 + t * 7919) % 50000));
      mask[b * length + t] = 1n;
    }
  }
  return { ids, mask, dims: [batch, length] };
}
