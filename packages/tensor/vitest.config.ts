import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Tests run the conformance suite of every op against its float64 reference. Sized for CI's 2 cores while
    // turbo runs every package's suite at once (vitest's 5 s default was seen to fail there); no test asserts
    // on wall-clock time.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    include: ["src/**/*.test.ts"],
  },
});
