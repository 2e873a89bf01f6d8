// GEMM throughput of the built package (run `npm run build` first): GFLOP/s = 2·M·N·K / time.
// Writes bench-results/gemm.json. Usage: node bench/gemm.mjs [--quick]
//
// Measures the kernels this Node selects by default (SIMD128 on Node 20), and the relaxed-SIMD FMA kernels
// in a child process started with --experimental-wasm-relaxed-simd when this Node accepts that flag.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { GemmEngine, relaxedSimdSupported } from "../dist/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes("--quick");
const childMode = process.argv.includes("--child");
const minSeconds = quick ? 0.3 : 1.0;

// [M, K, N]: a Linear layer with `M` tokens, `K` inputs, `N` outputs (weight [N, K], packed transposed).
const shapes = [
  [128, 768, 2304],
  [256, 768, 3072],
  [256, 3072, 768],
];
const threadCounts = [1, 2];

function fill(heap, ptr, n, seed) {
  const v = heap.f32(ptr, n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    v[i] = x / 4294967296 - 0.5;
  }
}

function time(fn) {
  for (let i = 0; i < 3; i++) fn();
  const samples = [];
  const start = performance.now();
  while (performance.now() - start < minSeconds * 1000 || samples.length < 5) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { bestMs: samples[0], medianMs: samples[samples.length >> 1], runs: samples.length };
}

async function measure(relaxedSimd) {
  const results = [];
  for (const threads of threadCounts) {
    const engine = await GemmEngine.create({ threads, relaxedSimd });
    const { heap } = engine;
    for (const [M, K, N] of shapes) {
      const a = heap.alloc(M * K * 4);
      const w = heap.alloc(N * K * 4);
      const c = heap.alloc(M * N * 4);
      const bias = heap.alloc(N * 4);
      fill(heap, a, M * K, 1);
      fill(heap, w, N * K, 2);
      fill(heap, bias, N, 3);
      const packStart = performance.now();
      const packed = engine.packB(w, K, N, true);
      const packMs = performance.now() - packStart;
      const t = time(() => engine.matmul(a, M, K, packed, c, { biasPtr: bias }));
      const flop = 2 * M * N * K;
      const r = {
        kernel: engine.info.simd,
        threads: engine.info.threads,
        M,
        K,
        N,
        medianMs: +t.medianMs.toFixed(3),
        bestMs: +t.bestMs.toFixed(3),
        gflops: +(flop / t.medianMs / 1e6).toFixed(1),
        bestGflops: +(flop / t.bestMs / 1e6).toFixed(1),
        runs: t.runs,
        packBMs: +packMs.toFixed(2),
      };
      results.push(r);
      if (!childMode) {
        console.log(
          `${r.kernel.padEnd(12)} threads=${r.threads}  ${M}x${K}x${N}  ${r.gflops} GFLOP/s (best ${r.bestGflops}, median ${r.medianMs} ms)`,
        );
      }
      packed.dispose();
      for (const p of [a, w, c, bias]) heap.free(p);
    }
    // Attention-like: 12 heads of Q·Kᵀ (128x64 · 64x128, B transposed) and P·V (128x128 · 128x64).
    {
      const S = 128;
      const D = 64;
      const H = 12;
      const q = heap.alloc(S * H * D * 4);
      const k = heap.alloc(S * H * D * 4);
      const p = heap.alloc(H * S * S * 4);
      const o = heap.alloc(S * H * D * 4);
      fill(heap, q, S * H * D, 4);
      fill(heap, k, S * H * D, 5);
      const t = time(() => {
        for (let h = 0; h < H; h++) {
          // scores[h] = Q_h · K_hᵀ, heads interleaved in [S, H*D] rows
          engine.matmulUnpacked(q + h * D * 4, S, D, k + h * D * 4, S, true, p + h * S * S * 4, {
            lda: H * D,
            ldb: H * D,
          });
        }
        for (let h = 0; h < H; h++) {
          engine.matmulUnpacked(p + h * S * S * 4, S, S, k + h * D * 4, D, false, o + h * D * 4, {
            ldb: H * D,
            ldc: H * D,
          });
        }
      });
      const flop = H * (2 * S * S * D + 2 * S * D * S);
      const r = {
        kernel: engine.info.simd,
        threads: engine.info.threads,
        case: "attention 12 heads x (128x64x128 + 128x128x64), matmulUnpacked",
        medianMs: +t.medianMs.toFixed(3),
        gflops: +(flop / t.medianMs / 1e6).toFixed(1),
        runs: t.runs,
      };
      results.push(r);
      if (!childMode)
        console.log(`${r.kernel.padEnd(12)} threads=${r.threads}  ${r.case}  ${r.gflops} GFLOP/s`);
      for (const x of [q, k, p, o]) heap.free(x);
    }
    await engine.close();
  }
  return results;
}

if (childMode) {
  const results = await measure(true);
  process.stdout.write(`\n@@RESULTS@@${JSON.stringify(results)}\n`);
} else {
  const results = await measure("auto");
  if (!relaxedSimdSupported()) {
    const child = spawnSync(
      process.execPath,
      [
        "--experimental-wasm-relaxed-simd",
        fileURLToPath(import.meta.url),
        "--child",
        ...(quick ? ["--quick"] : []),
      ],
      { encoding: "utf8", maxBuffer: 1 << 24 },
    );
    const marker = child.stdout?.indexOf("@@RESULTS@@") ?? -1;
    if (child.status === 0 && marker >= 0) {
      const relaxed = JSON.parse(child.stdout.slice(marker + 11).trim());
      for (const r of relaxed) {
        const label = r.case ?? `${r.M}x${r.K}x${r.N}`;
        console.log(
          `${r.kernel.padEnd(12)} threads=${r.threads}  ${label}  ${r.gflops} GFLOP/s (--experimental-wasm-relaxed-simd)`,
        );
      }
      results.push(...relaxed.map((r) => ({ ...r, nodeFlags: "--experimental-wasm-relaxed-simd" })));
    } else {
      console.log(`relaxed SIMD not measured: ${child.stderr?.split("\n")[0] ?? child.error}`);
    }
  }
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.availableParallelism?.() ?? os.cpus().length,
    results,
  };
  mkdirSync(join(here, "..", "bench-results"), { recursive: true });
  writeFileSync(join(here, "..", "bench-results", "gemm.json"), `${JSON.stringify(out, null, 2)}\n`);
  console.log("wrote bench-results/gemm.json");
}
