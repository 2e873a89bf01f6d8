import { LAVAPIPE_ICD, SWIFTSHADER_ICD, vulkanEnv } from "@deberta/testing/vulkan-env";
import { defineConfig } from "vitest/config";

// The default project runs on SwiftShader where the caller names no Vulkan driver; the f16 project prefers
// lavapipe (shader-f16) and falls back to SwiftShader, where its tests skip with that reason.
const f16Tests = ["src/**/*-f16.test.ts"];

export default defineConfig({
  test: {
    // Shader compiles on a software adapter (SwiftShader, lavapipe) and headless Chromium, on CI's 2 cores
    // while turbo runs every package's suite at once; no test asserts on wall-clock time.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One GPU device per test file at a time: the software adapters use every core already.
    fileParallelism: false,
    projects: [
      {
        extends: true,
        test: {
          name: "webgpu",
          include: ["src/**/*.test.ts"],
          exclude: f16Tests,
          env: vulkanEnv([SWIFTSHADER_ICD]),
        },
      },
      {
        extends: true,
        test: { name: "webgpu-f16", include: f16Tests, env: vulkanEnv([LAVAPIPE_ICD, SWIFTSHADER_ICD]) },
      },
    ],
  },
});
