import { describe, expect, it } from "vitest";
import {
  BLASLT_INSTALL_HINT,
  blasLtCandidates,
  blasLtFolders,
  driverCandidates,
  sitePackages,
} from "./search-paths.js";

describe("cuBLASLt and driver search paths", () => {
  it("searches LD_LIBRARY_PATH, CUDA_HOME / CUDA_PATH, system folders, then Python's nvidia wheels, in order", () => {
    const folders = blasLtFolders({
      env: { LD_LIBRARY_PATH: "/a:/b", CUDA_HOME: "/cuda-home", CUDA_PATH: "/cuda-path" },
      sitePackages: ["/py/site-packages"],
    });
    expect(folders).toEqual([
      "/a",
      "/b",
      "/cuda-home/lib64",
      "/cuda-home/lib",
      "/cuda-path/lib64",
      "/cuda-path/lib",
      "/usr/local/cuda/lib64",
      "/usr/lib/x86_64-linux-gnu",
      "/usr/lib64",
      "/usr/lib",
      "/py/site-packages/nvidia/cublas/lib",
      "/py/site-packages/nvidia/cu13/lib",
    ]);
  });

  it("lists existing absolute paths first (DEBERTA_CUBLASLT before all), then the bare names", () => {
    const existing = new Set(["/py/site-packages/nvidia/cublas/lib/libcublasLt.so.12"]);
    const c = blasLtCandidates({
      env: { DEBERTA_CUBLASLT: "/opt/lt.so" },
      sitePackages: ["/py/site-packages"],
      exists: (p) => existing.has(p),
    });
    expect(c).toEqual([
      "/opt/lt.so",
      "/py/site-packages/nvidia/cublas/lib/libcublasLt.so.12",
      "libcublasLt.so.13",
      "libcublasLt.so.12",
      "libcublasLt.so",
    ]);
  });

  it("loads the driver as libcuda.so.1 unless DEBERTA_LIBCUDA says otherwise", () => {
    expect(driverCandidates({})).toEqual(["libcuda.so.1"]);
    expect(driverCandidates({ DEBERTA_LIBCUDA: "/x/libcuda.so" })).toEqual(["/x/libcuda.so"]);
  });

  it("finds Python's site-packages (or none without python3) and says what to install", async () => {
    const none = await sitePackages({ DEBERTA_PYTHON: "/nonexistent/python3" });
    expect(none).toEqual([]);
    const dirs = await sitePackages();
    expect(Array.isArray(dirs)).toBe(true);
    expect(BLASLT_INSTALL_HINT).toMatch(/nvidia-cublas-cu12/);
  });
});
