import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The tests drive the built page in headless Chromium (software WebGPU through SwiftShader, and the
    // WebAssembly CPU backend), next to a Node reference run: on CI's 2 cores, while turbo runs every
    // package's suite at once, a browser start plus a model load takes tens of seconds (vitest's 5 s default
    // is far too short). No test asserts on wall-clock time.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    include: ["test/**/*.test.ts"],
    // One Chromium at a time: each uses every core while it compiles shaders or runs the GEMM.
    fileParallelism: false,
  },
});
