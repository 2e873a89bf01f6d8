// The dtype option without a GPU: its values are checked before anything loads (typed BACKEND_DTYPE), each
// dtype maps to its kernels, cuBLASLt type and tolerance scale, and every kernel the backend can launch, in
// every storage type, is an entry point of the committed PTX.
import { BackendError } from "@deberta/tensor";
import { describe, expect, it } from "vitest";
import { createCudaBackend } from "./create.js";
import { CUDA_DTYPES } from "./cuda-backend.js";
import { KERNEL_FILES, type KernelName } from "./kernels/context.js";
import { PTX } from "./kernels/generated/ptx.js";

describe("createCudaBackend dtype", () => {
  it("rejects an unknown dtype with BACKEND_DTYPE before loading anything", async () => {
    const error = await createCudaBackend({ dtype: "float64" as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).code).toBe("BACKEND_DTYPE");
    expect((error as Error).message).toContain('"float64"');
  });

  it("rejects allowTf32 with a half dtype", async () => {
    const error = await createCudaBackend({ dtype: "float16", allowTf32: true }).catch((e: unknown) => e);
    expect((error as BackendError).code).toBe("BACKEND_DTYPE");
  });

  it("maps each dtype to its kernels, cuBLASLt data type and tolerance scale", () => {
    expect(CUDA_DTYPES.float32).toEqual({ suffix: "f32", blasType: 0, toleranceScale: 1 });
    expect(CUDA_DTYPES.float16).toEqual({ suffix: "f16", blasType: 2, toleranceScale: 256 });
    expect(CUDA_DTYPES.bfloat16).toEqual({ suffix: "bf16", blasType: 14, toleranceScale: 2048 });
  });
});

describe("kernel entry points", () => {
  it("every launchable kernel, in every storage type, is in its file's PTX", () => {
    const names = Object.keys(KERNEL_FILES) as KernelName[];
    for (const name of names) expect(PTX[KERNEL_FILES[name]], name).toContain(`.entry ${name}(`);
    const entries = Object.values(PTX).flatMap((ptx) =>
      [...ptx.matchAll(/\.entry (\w+)\(/g)].map((m) => m[1]),
    );
    expect(new Set(entries)).toEqual(new Set(names));
  });
});
