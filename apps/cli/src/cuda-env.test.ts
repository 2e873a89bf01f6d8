// `deberta env`'s CUDA entry: the "why not" line where there is no driver (this machine kind), the missing
// package, and the fields of a probe that found a GPU (a recorded H200 probe's shape).
import { formatDriverVersion, probeCuda } from "@deberta/backend-cuda";
import { describe, expect, it } from "vitest";
import { cudaEnv, describeCudaProbe, driverRelease } from "./cuda-env.js";

const here = await probeCuda();

describe("deberta env: cuda", () => {
  it.skipIf(here.available)(
    here.available
      ? "says why not (no driver) — skipped: this machine has a usable GPU"
      : "says why not (no driver)",
    async () => {
      const env = await cudaEnv();
      expect(env).toMatchObject({
        available: false,
        reason: expect.stringMatching(
          /^no NVIDIA driver: libcuda\.so\.1 not found or not loadable \(.+\); install the NVIDIA driver$/,
        ),
        gpus: [],
        cublasLt: { found: false, reason: "not searched: no usable driver" },
      });
      expect(env).not.toHaveProperty("driver");
    },
  );

  it("says not installed when @deberta/backend-cuda cannot be loaded", async () => {
    const env = await cudaEnv(() => Promise.reject(new Error("Cannot find package '@deberta/backend-cuda'")));
    expect(env).toEqual({
      available: false,
      reason:
        "not installed: @deberta/backend-cuda could not be loaded (Cannot find package '@deberta/backend-cuda'); npm install @deberta/backend-cuda",
    });
  });

  it("reports GPU name, compute capability, memory, driver release and CUDA version, and cuBLASLt", () => {
    const env = describeCudaProbe(
      {
        available: true,
        addonPath: "/x/deberta_cuda.node",
        driverPath: "libcuda.so.1",
        driverVersion: 13000,
        devices: [
          {
            ordinal: 0,
            name: "NVIDIA H200",
            computeCapability: "9.0",
            totalMemory: 150_754_820_096,
            multiprocessors: 132,
          },
        ],
        blasLt: { path: "/usr/local/cuda/lib64/libcublasLt.so.13", version: 130000 },
      },
      formatDriverVersion,
      "580.95.05",
    );
    expect(env).toEqual({
      available: true,
      driver: { version: "580.95.05", cuda: "13.0", path: "libcuda.so.1" },
      gpus: [
        {
          device: "cuda (0)",
          name: "NVIDIA H200",
          computeCapability: "9.0",
          memory: "140.4 GiB",
          multiprocessors: 132,
        },
      ],
      cublasLt: { found: true, path: "/usr/local/cuda/lib64/libcublasLt.so.13", version: 130000 },
      addon: "/x/deberta_cuda.node",
    });
  });

  it("reads the driver release from /proc/driver/nvidia/version", () => {
    expect(
      driverRelease(
        "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.95.05  Release Build  (dvs-builder@U16-I3-B03-4-3)  Thu Sep 11 2025\nGCC version:  gcc version 13.3.0\n",
      ),
    ).toBe("580.95.05");
    expect(
      driverRelease(
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024",
      ),
    ).toBe("550.54.15");
    expect(driverRelease("")).toBeUndefined();
  });
});
