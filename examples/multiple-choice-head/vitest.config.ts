// The Vulkan-environment helper the WebGPU backend's tests use (SwiftShader, else lavapipe, where the caller
// names no driver), so this example's WebGPU test runs on the same driver as the backend's tests.
import { LAVAPIPE_ICD, SWIFTSHADER_ICD, vulkanEnv } from "@deberta/testing/vulkan-env";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Tests load a checkpoint and compile WebGPU shaders on a software adapter: sized for CI's 2 cores while
    // turbo runs every package's suite at once; no test asserts on wall-clock time.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    include: ["src/**/*.test.ts"],
    env: vulkanEnv([SWIFTSHADER_ICD, LAVAPIPE_ICD]),
  },
});
