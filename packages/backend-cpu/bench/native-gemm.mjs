// node bench/native-gemm.mjs (after the build): GFLOP/s of the native GEMM engine on DeBERTa-base's Linear
// shapes (packed weights, 128 rows), for every instruction-set path this CPU runs, 1 and 2 threads.
// Short on purpose (a few products per case); the peak to compare with is cores x FMA lanes x 2 x GHz.
import { createNativeGemm, loadNativeAddon } from "../dist/index.js";

const loaded = await loadNativeAddon();
if (loaded.addon === undefined) {
  console.log(`native engine unavailable: ${loaded.reason}`);
  process.exit(0);
}
const shapes = [
  [128, 768, 768],
  [128, 3072, 768],
  [128, 768, 3072],
];
const rows = [];
for (const isa of loaded.addon.info().supported) {
  for (const threads of [1, 2]) {
    const { gemm } = await createNativeGemm({ isa, threads });
    for (const [m, n, k] of shapes) {
      const w = Float32Array.from({ length: n * k }, () => Math.random() - 0.5);
      const x = Float32Array.from({ length: m * k }, () => Math.random() - 0.5);
      const out = new Float32Array(m * n);
      const packed = gemm.packLinearWeight(w, n, k);
      for (let i = 0; i < 3; i++) packed.apply(x, m, out);
      const reps = 15;
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) packed.apply(x, m, out);
      const ms = (performance.now() - t0) / reps;
      rows.push({
        isa,
        threads,
        shape: `${m}x${n}x${k}`,
        ms: +ms.toFixed(3),
        gflops: +((2 * m * n * k) / ms / 1e6).toFixed(1),
      });
      packed.dispose();
    }
    gemm.close();
  }
}
console.table(rows);
