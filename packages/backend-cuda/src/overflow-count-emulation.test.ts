// kernels/overflow_count.cu runs on the CPU without a GPU: g++ compiles it against the host stand-in for
// common.cuh (test/emulation/, one std::thread per CUDA thread) and test/emulation/overflow-count-emulation.cc
// counts every float16 and bfloat16 bit pattern (inf, NaN, 65504 and its neighbours, subnormals), float32
// specials and random data with grids smaller than the data, and checks the prepare kernel; the limits' bit
// patterns are the ones the backend passes (magnitudeLimitBits). With AddressSanitizer + UBSan where the
// compiler has them. The GPU runs the same kernel in the conformance suite and fp16-overflow.test.ts.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { magnitudeLimitBits } from "@deberta/tensor";
import { expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cxx = process.env.CXX || "g++";

/** Why the emulation cannot be built here (no C++20 compiler with <barrier> and atomic_ref), or undefined. */
function unavailable(): string | undefined {
  const probe = spawnSync(cxx, ["-std=c++20", "-x", "c++", "-fsyntax-only", "-"], {
    input:
      "#include <atomic>\n#include <barrier>\nint main() { std::barrier<> b(1); b.arrive_and_wait(); int x = 0; std::atomic_ref<int>(x).fetch_add(1); }\n",
    encoding: "utf8",
  });
  if (probe.error !== undefined) return `no C++ compiler (${cxx})`;
  if (probe.status !== 0) return `${cxx} has no C++20 <barrier> / std::atomic_ref`;
  return undefined;
}

const reason = unavailable();

it.skipIf(reason !== undefined)(
  `overflow_count kernels, emulated on the CPU: every case matches the count from the values${reason === undefined ? "" : ` — skipped: ${reason}`}`,
  () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), "overflow-count-emulation-"));
    try {
      copyFileSync(path.join(root, "test", "emulation", "common.cuh"), path.join(tmp, "common.cuh"));
      copyFileSync(
        path.join(root, "test", "emulation", "overflow-count-emulation.cc"),
        path.join(tmp, "harness.cc"),
      );
      copyFileSync(path.join(root, "kernels", "overflow_count.cu"), path.join(tmp, "overflow_count.cu"));
      const exe = path.join(tmp, "emulation");
      const args = ["-std=c++20", "-O1", "-pthread", path.join(tmp, "harness.cc"), "-o", exe];
      const sanitized = spawnSync(cxx, ["-fsanitize=address,undefined", ...args], { encoding: "utf8" });
      if (sanitized.status !== 0) execFileSync(cxx, args, { encoding: "utf8" });
      const limits = [
        magnitudeLimitBits(65504, "float16"),
        magnitudeLimitBits(1.5, "float16"),
        magnitudeLimitBits(65504, "bfloat16"),
        magnitudeLimitBits(65504, "float32"),
      ].map((bits) => `0x${bits.toString(16)}`);
      const run = spawnSync(exe, limits, {
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
  // A compile with sanitizers and a few hundred blocks of 256 threads each, on CI's loaded 2 cores.
  300_000,
);
