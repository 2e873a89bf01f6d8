// Whether this machine can run the GPU tests, and why not (the reason goes into skipped tests' titles).
import { probeCuda } from "../src/probe.js";

const probe = await probeCuda();
export const skipNoGpu = !probe.available;
export const noGpuReason = probe.reason ?? "";
/** The title, with " — skipped: <reason>" when there is no usable GPU. */
export const gpuTitle = (title: string): string => (skipNoGpu ? `${title} — skipped: ${noGpuReason}` : title);
