import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defineConfig } from "vitest/config";

// Dawn needs a Vulkan driver. Where the caller names none, use SwiftShader from Debian's chromium package
// (what CI installs); Dawn also wants a writable XDG_RUNTIME_DIR.
const swiftshader = "/usr/lib/chromium/vk_swiftshader_icd.json";
const env: Record<string, string> = {};
if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(swiftshader))
  env.VK_ICD_FILENAMES = swiftshader;
if (!process.env.XDG_RUNTIME_DIR) {
  const dir = path.join(tmpdir(), "deberta-webgpu-xdg");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  env.XDG_RUNTIME_DIR = dir;
}

export default defineConfig({
  test: {
    env,
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One GPU device per test file at a time: SwiftShader uses every core already.
    fileParallelism: false,
  },
});
