import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Tests start servers that load fixture models, run batches on them and spawn server processes and nginx.
    // Sized for CI's 2 cores while turbo runs every package's suite at once (vitest's 5 s default is not);
    // no test asserts on wall-clock time.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    include: ["src/**/*.test.ts"],
  },
});
