// Without a GPU (CI, most machines): the addon builds and loads, and createCudaBackend rejects with the
// typed reason. With one, the same file checks that creation works and the probe reports the device.
import { BackendError } from "@deberta/tensor";
import { describe, expect, it } from "vitest";
import { gpuTitle, skipNoGpu } from "../test/gpu.js";
import { createCudaBackend } from "./create.js";
import { loadCudaAddon } from "./native/addon.js";
import { probeCuda } from "./probe.js";

const loaded = await loadCudaAddon();

describe("the CUDA addon", () => {
  it.skipIf(loaded.addon === undefined)(
    `builds and loads${loaded.addon === undefined ? ` — skipped: ${loaded.reason}` : ""}`,
    () => {
      expect(loaded.addon!.info().napiVersion).toBe(8);
    },
  );

  it.skipIf(!skipNoGpu)(
    skipNoGpu
      ? "createCudaBackend rejects with BACKEND_UNAVAILABLE saying why"
      : "createCudaBackend rejection — skipped: this machine has a usable GPU",
    async () => {
      const error = await createCudaBackend().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackendError);
      expect((error as BackendError).code).toBe("BACKEND_UNAVAILABLE");
      const probe = await probeCuda();
      expect((error as Error).message).toContain(probe.reason!);
      if (loaded.addon !== undefined && probe.driverPath === undefined)
        expect((error as Error).message).toMatch(/no NVIDIA driver: libcuda\.so\.1 not found/);
    },
  );

  it("checks its arguments before touching the driver", async () => {
    await expect(createCudaBackend({ device: "gpu" })).rejects.toMatchObject({ code: "BACKEND_NOT_FOUND" });
    await expect(createCudaBackend({ gemm: "tf32" as never })).rejects.toThrow(/gemm must be/);
  });

  it.skipIf(skipNoGpu)(gpuTitle("creates a backend on device 0 and reports it"), async () => {
    const backend = await createCudaBackend();
    try {
      expect(backend.name).toBe("cuda");
      expect(backend.deviceMemory().total).toBeGreaterThan(0);
    } finally {
      backend.close();
    }
  });
});
