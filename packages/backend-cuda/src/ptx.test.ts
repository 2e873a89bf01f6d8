// The committed PTX (src/kernels/generated/ptx.ts) must be compiled from the current kernels/*.cu: its
// input hash is the sources'. Recompiling needs nvcc; where nvcc exists the test also recompiles one kernel
// and compares it with the committed text.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { committedHash, findNvcc, inputHash, NVCC_FLAGS } from "../scripts/build-ptx.mjs";
import { KERNEL_FILES } from "./kernels/context.js";
import { PTX, PTX_INPUT_HASH } from "./kernels/generated/ptx.js";

const nvcc: string | undefined = findNvcc();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

describe("generated PTX", () => {
  it("is current: its input hash is the kernel sources'", () => {
    expect(committedHash()).toBe(PTX_INPUT_HASH);
    expect(PTX_INPUT_HASH, "run node scripts/build-ptx.mjs").toBe(inputHash());
  });

  it("holds every kernel file the backend launches", () => {
    for (const file of new Set(Object.values(KERNEL_FILES))) expect(PTX[file], file).toMatch(/^\.version/);
  });

  it.skipIf(nvcc === undefined)(
    `recompiles to the same text${nvcc === undefined ? " — skipped: nvcc not found ($NVCC, $CUDA_HOME/bin, /usr/local/cuda/bin, PATH)" : ""}`,
    () => {
      const tmp = mkdtempSync(path.join(os.tmpdir(), "ptx-test-"));
      try {
        const out = path.join(tmp, "affine.ptx");
        execFileSync(nvcc!, [...NVCC_FLAGS, path.join(root, "kernels", "affine.cu"), "-o", out]);
        const text = readFileSync(out, "utf8")
          .split("\n")
          .filter((l) => !l.startsWith("//"))
          .join("\n")
          .trim();
        expect(`${text}\n`).toBe(PTX.affine);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    },
  );
});
