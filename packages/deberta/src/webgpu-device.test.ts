// `device: "webgpu"` through the umbrella: the pipeline on the bundled demo model gives the CPU's answer.
// In Node the WebGPU backend runs on Dawn, which needs a Vulkan driver: SwiftShader from Debian's chromium
// package where the caller names none (what CI installs); without any adapter the test is skipped outside
// CI with that reason.
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findGpu, pipeline } from "./index.js";

const swiftshader = "/usr/lib/chromium/vk_swiftshader_icd.json";
if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(swiftshader))
  process.env.VK_ICD_FILENAMES = swiftshader;
if (!process.env.XDG_RUNTIME_DIR) {
  process.env.XDG_RUNTIME_DIR = path.join(tmpdir(), "deberta-webgpu-xdg");
  mkdirSync(process.env.XDG_RUNTIME_DIR, { recursive: true, mode: 0o700 });
}
const adapter = await (await findGpu()).requestAdapter().catch(() => null);
const skip = adapter === null && !process.env.CI;

const demo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../examples/demo-model");

describe.skipIf(skip)(
  skip ? "device webgpu — skipped: no WebGPU adapter here (Dawn needs a Vulkan driver)" : "device webgpu",
  () => {
    it("classifies a sentence pair as the CPU does", { timeout: 120_000 }, async () => {
      const input = {
        text: "A soccer game with multiple males playing.",
        text_pair: "Some men are playing a sport.",
      };
      const onGpu = await pipeline("text-classification", demo, { device: "webgpu" });
      const onCpu = await pipeline("text-classification", demo, { device: "cpu" });
      const gpu = await onGpu(input, { top_k: null });
      const cpu = await onCpu(input, { top_k: null });
      expect(onGpu.model.backend.name).toBe("webgpu");
      expect(gpu.map((r) => r.label)).toEqual(cpu.map((r) => r.label));
      for (const [i, r] of gpu.entries()) expect(Math.abs(r.score - cpu[i]!.score)).toBeLessThan(1e-5);
      await onGpu.dispose();
      await onCpu.dispose();
    });
  },
);
