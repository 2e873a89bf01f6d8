import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // GPU tests load fixture checkpoints and JIT-compile PTX; sized for CI's loaded 2 cores. No test asserts
    // on wall-clock time.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
