// Dawn needs a Vulkan driver. Where the caller names none (VK_ICD_FILENAMES / VK_DRIVER_FILES), the first of
// the preferred ICD files that exists: SwiftShader from Debian's chromium package (what CI installs; no
// shader-f16), or Mesa's lavapipe (bookworm-backports' Mesa 25 has shader-f16). Dawn also wants a writable
// XDG_RUNTIME_DIR. Shared by the WebGPU test projects (vitest.config.ts files) and the WebGPU benchmark; plain JavaScript so
// that benchmark scripts run by Node import it as they are.
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
export const LAVAPIPE_ICD = "/usr/share/vulkan/icd.d/lvp_icd.json";

/** The environment variables to add (none the caller set is overridden). */
export function vulkanEnv(preferred = [SWIFTSHADER_ICD]) {
  const env = {};
  const icd = preferred.find((file) => existsSync(file));
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && icd !== undefined)
    env.VK_ICD_FILENAMES = icd;
  if (!process.env.XDG_RUNTIME_DIR) {
    const dir = path.join(tmpdir(), "deberta-webgpu-xdg");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    env.XDG_RUNTIME_DIR = dir;
  }
  return env;
}
