import { defineConfig } from "tsup";

// Run `node scripts/build-wasm.mjs` first (the package's `build` script does): it generates
// src/wasm/generated/kernels.ts, which embeds the WebAssembly kernels.
export default defineConfig([
  {
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    // The native addons (scripts/build-native.mjs, run after tsup) stay: their recorded input hash then spares
    // a recompile when only the TypeScript changed.
    clean: ["!native/**", "!native-asan/**"],
    target: "es2022",
    platform: "neutral",
    external: ["node:os", "node:worker_threads"],
    esbuildOptions(options) {
      // The CommonJS build has no import.meta.url; src/wasm/worker-pool.ts falls back to __dirname there.
      options.logOverride = { ...options.logOverride, "empty-import-meta": "silent" };
    },
  },
  {
    // The worker script, loaded by the pool from `new URL("./gemm-worker.js", import.meta.url)` (ESM) or
    // `${__dirname}/gemm-worker.js` (CommonJS: the file is ESM either way, as the package is "type": "module").
    entry: { "gemm-worker": "src/wasm/gemm-worker.js" },
    format: ["esm"],
    dts: false,
    sourcemap: false,
    clean: false,
    target: "es2022",
    platform: "neutral",
    external: ["node:worker_threads"],
  },
]);
