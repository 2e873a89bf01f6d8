import { backendRegistry } from "@deberta/tensor";
import { describe, expect, it } from "vitest";
import { deviceRegistryName, resolveDevice } from "./device.js";

describe("device numbers (transformers' device=0)", () => {
  it("map to the CUDA backend's registry names", () => {
    expect(deviceRegistryName(0)).toBe("cuda");
    expect(deviceRegistryName("0")).toBe("cuda");
    expect(deviceRegistryName(2)).toBe("cuda:2");
    expect(deviceRegistryName("cpu")).toBe("cpu");
    expect(() => deviceRegistryName(-1)).toThrow(/not a device number/);
  });

  it("fail with a typed error saying which package registers cuda when it is not registered", async () => {
    if (backendRegistry.names().includes("cuda")) return;
    await expect(resolveDevice(0)).rejects.toMatchObject({ code: "HEAD_NO_BACKEND" });
    await expect(resolveDevice("1")).rejects.toThrow(/"cuda:1".*@deberta\/backend-cuda.*registerCudaBackend/);
  });
});
