import { spawnSync } from "node:child_process";
import { defineConfig } from "vitest/config";

// Node 20 runs relaxed SIMD only with this V8 flag; newer Node versions run it by default and may not know
// the flag any more, so it is passed only where this Node accepts it.
const relaxedFlag = "--experimental-wasm-relaxed-simd";
const relaxedExecArgv =
  spawnSync(process.execPath, [relaxedFlag, "-e", ""], { stdio: "ignore" }).status === 0 ? [relaxedFlag] : [];

export default defineConfig({
  test: {
    // Tests compile WebAssembly, start worker pools and spawn processes (the relaxed-SIMD project). Sized for
    // CI's 2 cores while turbo runs every package's suite at once; no test asserts on wall-clock time.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Generates src/wasm/generated/kernels.ts when missing or stale (no-op after `npm run build`).
    globalSetup: ["./vitest.global-setup.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "default",
          include: ["src/**/*.test.ts"],
          exclude: ["src/**/*.relaxed.test.ts"],
        },
      },
      {
        // Tests of the relaxed-SIMD (FMA) kernels, in child processes started with the V8 flag.
        extends: true,
        test: {
          name: "relaxed-simd",
          include: ["src/**/*.relaxed.test.ts"],
          pool: "forks",
          execArgv: relaxedExecArgv,
        },
      },
    ],
  },
});
