import { BackendError } from "@deberta/tensor";
import { describe, expect, it } from "vitest";
import { cudaDeviceName, cudaOrdinal } from "./device-name.js";

describe("CUDA device names", () => {
  it("maps cuda, cuda:N and plain numbers to ordinals", () => {
    expect(cudaOrdinal("cuda")).toBe(0);
    expect(cudaOrdinal("cuda:3")).toBe(3);
    expect(cudaOrdinal(0)).toBe(0);
    expect(cudaOrdinal(2)).toBe(2);
    expect(cudaOrdinal("1")).toBe(1);
    expect(cudaDeviceName(0)).toBe("cuda");
    expect(cudaDeviceName("0")).toBe("cuda");
    expect(cudaDeviceName("cuda:1")).toBe("cuda:1");
  });

  it("rejects other names with a typed error naming the device", () => {
    for (const bad of ["cpu", "webgpu", "cuda:", "cuda:-1", "-1", "1.5", -1, 1.5])
      expect(cudaOrdinal(bad)).toBeUndefined();
    expect(() => cudaDeviceName("gpu")).toThrow(BackendError);
    expect(() => cudaDeviceName("gpu")).toThrow(/"gpu" is not a CUDA device/);
  });
});
