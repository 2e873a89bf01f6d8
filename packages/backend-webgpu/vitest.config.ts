import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defineConfig } from "vitest/config";

// Dawn needs a Vulkan driver. Where the caller names none: SwiftShader from Debian's chromium package (what
// CI installs; no shader-f16) for the default project, and for the f16 project Mesa's lavapipe where
// installed (bookworm-backports' Mesa 25 has shader-f16), else SwiftShader again (the f16 tests then skip
// with that reason). Dawn also wants a writable XDG_RUNTIME_DIR.
const swiftshader = "/usr/lib/chromium/vk_swiftshader_icd.json";
const lavapipe = "/usr/share/vulkan/icd.d/lvp_icd.json";
const callerChose = Boolean(process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES);

function vulkanEnv(preferred: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  const icd = preferred.find((file) => existsSync(file));
  if (!callerChose && icd !== undefined) env.VK_ICD_FILENAMES = icd;
  if (!process.env.XDG_RUNTIME_DIR) {
    const dir = path.join(tmpdir(), "deberta-webgpu-xdg");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    env.XDG_RUNTIME_DIR = dir;
  }
  return env;
}

const f16Tests = ["src/**/*-f16.test.ts"];

export default defineConfig({
  test: {
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
          env: vulkanEnv([swiftshader]),
        },
      },
      {
        extends: true,
        test: { name: "webgpu-f16", include: f16Tests, env: vulkanEnv([lavapipe, swiftshader]) },
      },
    ],
  },
});
