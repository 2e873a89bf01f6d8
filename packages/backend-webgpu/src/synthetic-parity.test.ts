// The DeBERTa-base-sized synthetic checkpoint on WebGPU: f32 logits within 1e-5 of onnxruntime-node's on
// the same weights for the fixture README's input (batch 2 × 128, second row 100 tokens then padding).
// The f16 path: synthetic-parity-f16.test.ts.
import { describe, expect, it } from "vitest";
import { ensureSynthetic, syntheticInput } from "../bench/synthetic.mjs";
import { gpuTitle, skipNoGpu } from "../test/adapter.js";
import { onnxLogits, webgpuLogits } from "../test/synthetic-logits.js";

describe.skipIf(skipNoGpu)(gpuTitle("DeBERTa-base synthetic checkpoint on webgpu"), () => {
  it("f32: logits within 1e-5 of onnxruntime-node for batch 2 x 128", { timeout: 900_000 }, async () => {
    const dir = ensureSynthetic();
    const input = syntheticInput(2);
    const want = await onnxLogits(dir, input);
    const got = await webgpuLogits(dir, input, "fp32");
    expect(got.dims).toEqual([2, 3]);
    const ours = got.data as Float32Array;
    const maxDiff = Math.max(...Array.from(ours, (v, i) => Math.abs(v - want[i]!)));
    expect(maxDiff, `ours ${Array.from(ours)} vs onnxruntime-node ${Array.from(want)}`).toBeLessThan(1e-5);
  });
});
