// The attention kernels run on the CPU without a GPU: g++ compiles a kernel file against a host stand-in for
// common.cuh (one std::thread per CUDA thread, a barrier per __syncthreads, shuffles through shared slots,
// half types, and mma.sync m16n8k16 unpacked by PTX's documented fragment layout; test/emulation/) and
// compares it with a float64 transcription of the reference over multi-tile lengths, clamped spans, every
// c2p / p2c combination, 2-D / 3-D / int / float masks with fully masked rows, head sizes up to 128 and
// DeBERTa-v2's key bias and random relative index tables (c2p-only, p2c-only, both, one out of range): the
// tiled kernel (kernels/disentangled_attention.cu, float32, probabilities on and off) and the tensor-core one
// (kernels/disentangled_attention_mma.cu, float16 and bfloat16); with AddressSanitizer where the compiler
// has it (shared- and global-memory bounds). The GPU runs the same kernels in the conformance suite and the
// fixtures (test/gpu.ts, bench/gpu/checks.mjs).
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

/** Builds `harness` with the emulation common.cuh and `kernel` (kernels/<kernel>.cu) and runs it. */
function emulate(harness: string, kernel: string): void {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "attention-emulation-"));
  try {
    for (const f of ["common.cuh", harness])
      copyFileSync(path.join(root, "test", "emulation", f), path.join(tmp, f));
    copyFileSync(path.join(root, "kernels", `${kernel}.cu`), path.join(tmp, `${kernel}.cu`));
    const exe = path.join(tmp, "emulation");
    const args = ["-std=c++20", "-O1", "-pthread", path.join(tmp, harness), "-o", exe];
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
}

const skipped = reason === undefined ? "" : ` — skipped: ${reason}`;

// Each case compiles the kernel with AddressSanitizer and runs one std::thread per emulated CUDA thread: on
// CI's 2 cores, beside every other package's tests, the mma case took 139 s and the tiled one 69 s. The limit
// leaves room for that; nothing here asserts on time.
const EMULATION_TIMEOUT_MS = 900_000;

describe("disentangled attention kernels, emulated on the CPU", () => {
  it.skipIf(reason !== undefined)(
    `tiled: matches the float64 reference on every case${skipped}`,
    () => {
      emulate("attention-emulation.cc", "disentangled_attention");
    },
    EMULATION_TIMEOUT_MS,
  );

  // The tensor-core kernel with mma.sync emulated by PTX's documented fragment layout (test/emulation/common.cuh),
  // float16 and bfloat16, against the reference from the same storage-rounded q' / v'.
  it.skipIf(reason !== undefined)(
    `mma: matches the float64 reference on every case${skipped}`,
    () => {
      emulate("attention-mma-emulation.cc", "disentangled_attention_mma");
    },
    EMULATION_TIMEOUT_MS,
  );
});
