import { defineConfig } from "vitest/config";
// The WebGPU backend's own Vulkan-environment helper (SwiftShader, else lavapipe, where the caller names no
// driver), so this example's WebGPU test runs on the same driver as the backend's tests.
import { LAVAPIPE_ICD, SWIFTSHADER_ICD, vulkanEnv } from "../../packages/backend-webgpu/bench/vulkan-env.mjs";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    env: vulkanEnv([SWIFTSHADER_ICD, LAVAPIPE_ICD]),
  },
});
