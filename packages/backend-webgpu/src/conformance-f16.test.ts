// The shared backend conformance suite on the WebGPU backend's f16 path (f16 storage and math, f32
// accumulation), with the float16 tolerances. Runs in the "f16" test project, which prefers an adapter
// with shader-f16 (lavapipe, where installed); skipped with that reason where no adapter has it.
import { conformancePlan, runConformanceCase } from "@deberta/tensor/conformance";
import { afterAll, describe, expect, it } from "vitest";
import { hasF16 } from "../test/adapter.js";
import { createWebGpuBackend } from "./create.js";

describe.skipIf(!hasF16)(
  hasF16 ? "conformance: webgpu f16" : "conformance: webgpu f16 — skipped: the adapter has no shader-f16",
  async () => {
    const backend = hasF16 ? await createWebGpuBackend({ dtype: "fp16" }) : undefined;
    afterAll(() => backend?.close());
    it("runs on an adapter with shader-f16", () => {
      expect(backend?.device.features.has("shader-f16")).toBe(true);
    });
    for (const planned of conformancePlan()) {
      it(planned.title, async () => {
        const result = await runConformanceCase(backend!, planned.case, { dtype: "float16" });
        expect(result.pass, result.message).toBe(true);
      });
    }
  },
);
