// GEMM throughput of the built package (run `npm run build` first): GFLOP/s = 2·M·N·K / time; the cost of the
// fused GELU epilogue on the FFN's first Linear (256 x 768 x 3072, against the plain product and against the
// product followed by a separate GELU pass); softmaxRows on attention scores (24 heads x 128 x 128, calling
// thread and worker pool, against a plain-JavaScript softmax).
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

function time(fn, seconds = minSeconds) {
  for (let i = 0; i < 3; i++) fn();
  const samples = [];
  const start = performance.now();
  while (performance.now() - start < seconds * 1000 || samples.length < 5) {
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
    results.push(measureEpilogue(engine), measureSoftmax(engine));
    await engine.close();
  }
  return results;
}

/** Median of the best of `rounds` alternating measurements of each function (the VM drifts by ±15%). */
function timeAlternating(fns, rounds = 3) {
  const best = fns.map(() => Number.POSITIVE_INFINITY);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, i) => {
      best[i] = Math.min(best[i], time(fn, minSeconds / 2).medianMs);
    });
  }
  return best;
}

// y = GELU(x·Wᵀ + b) for the FFN's first Linear: fused epilogue vs plain product vs product + engine.gelu.
function measureEpilogue(engine) {
  const { heap } = engine;
  const [M, K, N] = [256, 768, 3072];
  const a = heap.alloc(M * K * 4);
  const w = heap.alloc(N * K * 4);
  const c = heap.alloc(M * N * 4);
  const bias = heap.alloc(N * 4);
  fill(heap, a, M * K, 1);
  fill(heap, w, N * K, 2);
  fill(heap, bias, N, 3);
  const packed = engine.packB(w, K, N, true);
  const [plainMs, fusedMs, separateMs] = timeAlternating([
    () => engine.matmul(a, M, K, packed, c, { biasPtr: bias }),
    () => engine.matmul(a, M, K, packed, c, { biasPtr: bias, activation: "gelu" }),
    () => {
      engine.matmul(a, M, K, packed, c, { biasPtr: bias });
      engine.gelu(c, M * N);
    },
  ]);
  packed.dispose();
  for (const p of [a, w, c, bias]) heap.free(p);
  const flop = 2 * M * N * K;
  const r = {
    kernel: engine.info.simd,
    threads: engine.info.threads,
    case: `GELU epilogue ${M}x${K}x${N}`,
    plainMs: +plainMs.toFixed(3),
    fusedMs: +fusedMs.toFixed(3),
    separateGeluMs: +separateMs.toFixed(3),
    plainGflops: +(flop / plainMs / 1e6).toFixed(1),
    fusedGflops: +(flop / fusedMs / 1e6).toFixed(1),
    epilogueOverheadPct: +((fusedMs / plainMs - 1) * 100).toFixed(1),
  };
  if (!childMode) {
    console.log(
      `${r.kernel.padEnd(12)} threads=${r.threads}  ${r.case}: plain ${r.plainMs} ms, fused GELU ${r.fusedMs} ms (+${r.epilogueOverheadPct}%), product + engine.gelu ${r.separateGeluMs} ms`,
    );
  }
  return r;
}

// softmaxRows over 24 heads (batch 2 x 12) of 128 x 128 attention scores, with a quarter of the keys masked.
function measureSoftmax(engine) {
  const { heap } = engine;
  const rows = 24 * 128;
  const cols = 128;
  const n = rows * cols;
  const src = heap.alloc(n * 4);
  const buf = heap.alloc(n * 4);
  fill(heap, src, n, 6);
  const s = heap.f32(src, n);
  for (let i = 0; i < n; i++) s[i] = i % 128 >= 96 ? -3.4028234663852886e38 : s[i] * 16;
  const run = (threads) => () => {
    heap.f32(buf, n).set(heap.f32(src, n));
    engine.softmaxRows(buf, rows, cols, { threads });
  };
  const copyOnly = () => heap.f32(buf, n).set(heap.f32(src, n));
  const [copyMs, callerMs, poolMs] = timeAlternating([copyOnly, run(false), run(true)]);
  heap.free(src);
  heap.free(buf);
  const r = {
    kernel: engine.info.simd,
    threads: engine.info.threads,
    case: `softmaxRows ${rows / 128} x 128 x 128`,
    callingThreadMs: +(callerMs - copyMs).toFixed(3),
    poolMs: engine.info.threads > 1 ? +(poolMs - copyMs).toFixed(3) : null,
  };
  if (!childMode) {
    console.log(
      `${r.kernel.padEnd(12)} threads=${r.threads}  ${r.case}: calling thread ${r.callingThreadMs} ms${r.poolMs === null ? "" : `, pool (workers polling) ${r.poolMs} ms`}`,
    );
  }
  return r;
}

// The plain-JavaScript row softmax (float64 sums, Math.exp), for comparison.
function measureJsSoftmax() {
  const rows = 24 * 128;
  const cols = 128;
  const src = new Float32Array(rows * cols);
  let x = 6;
  for (let i = 0; i < src.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    src[i] = i % 128 >= 96 ? -3.4028234663852886e38 : (x / 4294967296 - 0.5) * 16;
  }
  const v = new Float32Array(src.length);
  const softmax = () => {
    v.set(src);
    for (let base = 0; base < v.length; base += cols) {
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < cols; j++) if (v[base + j] > max) max = v[base + j];
      let sum = 0;
      for (let j = 0; j < cols; j++) {
        const e = Math.exp(v[base + j] - max);
        v[base + j] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let j = 0; j < cols; j++) v[base + j] *= inv;
    }
  };
  const [copyMs, ms] = timeAlternating([() => v.set(src), softmax]);
  const r = {
    kernel: "javascript",
    threads: 1,
    case: "softmax 24 x 128 x 128",
    ms: +(ms - copyMs).toFixed(3),
  };
  console.log(`${r.kernel.padEnd(12)} threads=1  ${r.case}: ${r.ms} ms`);
  return r;
}

if (childMode) {
  const results = await measure(true);
  process.stdout.write(`\n@@RESULTS@@${JSON.stringify(results)}\n`);
} else {
  const results = await measure("auto");
  results.push(measureJsSoftmax());
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
        let what = `${r.gflops} GFLOP/s`;
        if (r.fusedMs !== undefined) {
          what = `plain ${r.plainMs} ms, fused GELU ${r.fusedMs} ms (+${r.epilogueOverheadPct}%), product + engine.gelu ${r.separateGeluMs} ms`;
        } else if (r.callingThreadMs !== undefined) {
          what = `calling thread ${r.callingThreadMs} ms${r.poolMs === null ? "" : `, pool ${r.poolMs} ms`}`;
        }
        console.log(
          `${r.kernel.padEnd(12)} threads=${r.threads}  ${label}  ${what} (--experimental-wasm-relaxed-simd)`,
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
