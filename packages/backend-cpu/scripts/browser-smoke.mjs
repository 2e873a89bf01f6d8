#!/usr/bin/env node
// Manual browser check of the built GEMM engine (not part of `npm test`): serves dist/ on 127.0.0.1 with
// (or, with --no-isolation, without) the COOP/COEP headers that enable SharedArrayBuffer, opens headless
// Chromium and runs GemmEngine with 1 and 2 threads, SIMD128 and "auto" (relaxed SIMD in Chromium): checks
// results against a float64 reference on sampled elements and prints GFLOP/s.
//
// Needs `npm run build`, Debian's chromium (`apt-get install -y chromium`) and playwright-core, which is
// not a dependency of this package: install it anywhere (`cd /tmp/pw && npm i playwright-core@1.65.1`) and
// point PLAYWRIGHT_DIR at that folder. Usage:
//   PLAYWRIGHT_DIR=/tmp/pw node scripts/browser-smoke.mjs [--no-isolation]
import { mkdtempSync, readFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const from = process.env.PLAYWRIGHT_DIR ? join(process.env.PLAYWRIGHT_DIR, "index.js") : import.meta.url;
const { chromium } = createRequire(from)("playwright-core");
const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const isolate = !process.argv.includes("--no-isolation");

const page = `<!doctype html><meta charset="utf-8"><title>gemm</title>
<script type="module">
import { GemmEngine, wasmSimdSupported, relaxedSimdSupported } from "/dist/index.js";
const out = { isolated: self.crossOriginIsolated, simd: wasmSimdSupported(), relaxed: relaxedSimdSupported(), runs: [] };
function rnd(n, s) { const a = new Float32Array(n); let x = s; for (let i = 0; i < n; i++) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; a[i] = x / 4294967296 - 0.5; } return a; }
try {
  for (const threads of [1, 2]) for (const relaxedSimd of [false, "auto"]) {
    const e = await GemmEngine.create({ threads, relaxedSimd });
    const h = e.heap;
    const res = { info: e.info };
    for (const [M, K, N] of [[37, 29, 45], [128, 768, 2304]]) {
      const A = rnd(M * K, 1), W = rnd(N * K, 2), B = rnd(N, 3);
      const a = h.allocF32(M * K, A), b = h.allocF32(N, B), c = h.alloc(M * N * 4);
      const p = e.packB(W, K, N, true);
      e.matmul(a, M, K, p, c, { biasPtr: b });
      const C = h.f32(c, M * N);
      let worst = 0;
      for (let i = 0; i < M; i += M > 64 ? 7 : 1) for (let j = 0; j < N; j += N > 64 ? 5 : 1) {
        let s = B[j], m = Math.abs(B[j]);
        for (let k = 0; k < K; k++) { s += A[i * K + k] * W[j * K + k]; m += Math.abs(A[i * K + k] * W[j * K + k]); }
        worst = Math.max(worst, Math.abs(s - C[i * N + j]) / (1e-5 * m + 1e-7));
      }
      const t0 = performance.now(); let n = 0;
      while (performance.now() - t0 < 500) { e.matmul(a, M, K, p, c, { biasPtr: b }); n++; }
      const ms = (performance.now() - t0) / n;
      res[M + "x" + K + "x" + N] = { ok: worst <= 1, gflops: +(2 * M * N * K / ms / 1e6).toFixed(1) };
      p.dispose(); h.free(a); h.free(b); h.free(c);
    }
    await e.close();
    out.runs.push(res);
  }
} catch (err) { out.error = String((err && err.stack) || err); }
window.__result = out;
document.title = "done";
</script>`;

const server = http.createServer((req, res) => {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const headers = isolate
    ? { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" }
    : {};
  try {
    if (path === "/") {
      res.writeHead(200, { ...headers, "content-type": "text/html" });
      res.end(page);
    } else if (path.startsWith("/dist/") && !path.includes("..")) {
      const body = readFileSync(join(dist, path.slice(6)));
      res.writeHead(200, { ...headers, "content-type": "text/javascript" });
      res.end(body);
    } else throw new Error("not found");
  } catch {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
const address = server.address();
const port = typeof address === "object" && address ? address.port : 0;
const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "gemm-chromium-")), {
  executablePath: "/usr/bin/chromium",
  headless: false,
  args: [
    "--headless=new",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
  ],
});
try {
  const tab = await ctx.newPage();
  tab.on("pageerror", (e) => console.log("pageerror:", e.message));
  await tab.goto(`http://127.0.0.1:${port}/`);
  await tab.waitForFunction(() => document.title === "done", null, { timeout: 120000 });
  const result = await tab.evaluate(() => /** @type {any} */ (window).__result);
  console.log(`crossOriginIsolated=${result.isolated} simd=${result.simd} relaxed=${result.relaxed}`);
  for (const r of result.runs) {
    const { simd, threads, wait } = r.info;
    console.log(`${simd} threads=${threads} wait=${wait}`, JSON.stringify(r));
  }
  const failed = result.error || result.runs.some((r) => !r["37x29x45"].ok || !r["128x768x2304"].ok);
  if (result.error) console.log(result.error);
  process.exitCode = failed ? 1 : 0;
} finally {
  await ctx.close();
  server.close();
}
