// The adapter the Node tests run on. A machine without a Vulkan driver (a fresh developer machine) skips
// the GPU tests with the reason in their titles; CI installs the drivers (.ci/run), so there a missing
// adapter fails the tests instead.
import { findGpu } from "../src/device.js";

async function probe(): Promise<GPUAdapter | null> {
  try {
    return await (await findGpu()).requestAdapter();
  } catch {
    return null;
  }
}

export const adapter = await probe();
export const hasF16 = adapter?.features.has("shader-f16") ?? false;
export const hasSubgroups = adapter?.features.has("subgroups") ?? false;
export const skipNoGpu = adapter === null && !process.env.CI;

/** `title`, with the skip reason appended when the machine has no adapter. */
export function gpuTitle(title: string): string {
  return skipNoGpu
    ? `${title} — skipped: no WebGPU adapter here (Dawn needs a Vulkan driver: apt-get install chromium libvulkan1, see .ci/run)`
    : title;
}
