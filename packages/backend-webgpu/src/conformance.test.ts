// The shared backend conformance suite (@deberta/tensor/conformance) on the WebGPU backend: in f32 with and
// without subgroup reductions, and in f16 where the adapter has shader-f16 (with the float16 tolerances).
import { conformancePlan, runConformanceCase } from "@deberta/tensor/conformance";
import { afterAll, describe, expect, it } from "vitest";
import { createWebGpuBackend } from "./create.js";
import { findGpu } from "./device.js";

const adapter = await (await findGpu()).requestAdapter();
const hasF16 = adapter?.features.has("shader-f16") ?? false;
const hasSubgroups = adapter?.features.has("subgroups") ?? false;

describe("conformance: webgpu f32", async () => {
  const backend = await createWebGpuBackend();
  afterAll(() => backend.close());
  for (const planned of conformancePlan()) {
    it(planned.title, async () => {
      const result = await runConformanceCase(backend, planned.case);
      expect(result.pass, result.message).toBe(true);
    });
  }
  it("leaves no tensor behind", () => {
    expect(backend.memory().tensors).toBe(0);
  });
});

describe.skipIf(!hasSubgroups)(
  "conformance: webgpu f32 without subgroups (the adapter has them; this checks the workgroup-memory reductions)",
  async () => {
    const backend = hasSubgroups ? await createWebGpuBackend({ subgroups: false }) : undefined;
    afterAll(() => backend?.close());
    for (const planned of conformancePlan()) {
      it(planned.title, async () => {
        const result = await runConformanceCase(backend!, planned.case);
        expect(result.pass, result.message).toBe(true);
      });
    }
  },
);

describe.skipIf(!hasF16)(
  "conformance: webgpu f16 — skipped where the adapter has no shader-f16",
  async () => {
    const backend = hasF16 ? await createWebGpuBackend({ dtype: "fp16" }) : undefined;
    afterAll(() => backend?.close());
    for (const planned of conformancePlan()) {
      it(planned.title, async () => {
        const result = await runConformanceCase(backend!, planned.case, { dtype: "float16" });
        expect(result.pass, result.message).toBe(true);
      });
    }
  },
);
