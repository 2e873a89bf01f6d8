// The tiled attention kernel (kernels/disentangled_attention.cu) run on the CPU without a GPU: g++ compiles the
// kernel file against a host stand-in for common.cuh (one std::thread per CUDA thread, a barrier per
// __syncthreads, shuffles through shared slots; test/emulation/) and compares its float32 instantiation with
// a float64 transcription of the reference over multi-tile lengths, clamped spans, every c2p / p2c
// combination, 2-D / 3-D / int / float masks with fully masked rows, probabilities on and off and head sizes
// up to 128; with AddressSanitizer where the compiler has it (shared- and global-memory bounds). The GPU
// runs the same kernel in the conformance suite and the fixtures (test/gpu.ts).
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cxx = process.env.CXX || "g++";

/** Why the emulation cannot be built here (no C++20 compiler with <barrier>), or undefined. */
function unavailable(): string | undefined {
  const probe = spawnSync(cxx, ["-std=c++20", "-x", "c++", "-fsyntax-only", "-"], {
    input: "#include <barrier>\nint main() { std::barrier<> b(1); b.arrive_and_wait(); }\n",
    encoding: "utf8",
  });
  if (probe.error !== undefined) return `no C++ compiler (${cxx})`;
  if (probe.status !== 0) return `${cxx} has no C++20 <barrier>`;
  return undefined;
}

const reason = unavailable();

describe("disentangled attention kernel, emulated on the CPU", () => {
  it.skipIf(reason !== undefined)(
    `matches the float64 reference on every case${reason === undefined ? "" : ` — skipped: ${reason}`}`,
    () => {
      const tmp = mkdtempSync(path.join(os.tmpdir(), "attention-emulation-"));
      try {
        for (const f of ["common.cuh", "attention-emulation.cc"])
          copyFileSync(path.join(root, "test", "emulation", f), path.join(tmp, f));
        copyFileSync(
          path.join(root, "kernels", "disentangled_attention.cu"),
          path.join(tmp, "disentangled_attention.cu"),
        );
        const exe = path.join(tmp, "emulation");
        const args = ["-std=c++20", "-O1", "-pthread", path.join(tmp, "attention-emulation.cc"), "-o", exe];
        const sanitized = spawnSync(cxx, ["-fsanitize=address,undefined", ...args], { encoding: "utf8" });
        if (sanitized.status !== 0) execFileSync(cxx, args, { encoding: "utf8" });
        const run = spawnSync(exe, [], {
          encoding: "utf8",
          env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0" },
        });
        const output = `${run.stdout}${run.stderr}`;
        expect(output).not.toMatch(/FAIL|ERROR: AddressSanitizer|runtime error/);
        expect(run.status, output).toBe(0);
        expect(output).toMatch(/all cases match/);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    },
  );
});
