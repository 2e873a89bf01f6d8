// The DeBERTa-base-sized synthetic checkpoint on WebGPU's f16 path: logits within 2e-2 of onnxruntime-node's
// (f32) with the same argmax per row. Runs in the "f16" test project (an adapter with shader-f16 where one
// is installed); skipped with that reason otherwise.
import { describe, expect, it } from "vitest";
import { ensureSynthetic, syntheticInput } from "../bench/synthetic.mjs";
import { hasF16 } from "../test/adapter.js";
import { onnxLogits, webgpuLogits } from "../test/synthetic-logits.js";

const argmax = (row: ArrayLike<number>) => Array.from(row).indexOf(Math.max(...Array.from(row)));

describe("DeBERTa-base synthetic checkpoint on webgpu f16", () => {
  it.skipIf(!hasF16)(
    `f16: logits within 2e-2 of onnxruntime-node, same argmax${hasF16 ? "" : " — skipped: the adapter has no shader-f16"}`,
    { timeout: 900_000 },
    async () => {
      const dir = ensureSynthetic();
      const input = syntheticInput(2);
      const want = await onnxLogits(dir, input);
      const got = await webgpuLogits(dir, input, "fp16");
      const ours = got.data as Float32Array;
      expect(got.dims).toEqual([2, 3]);
      const maxDiff = Math.max(...Array.from(ours, (v, i) => Math.abs(v - want[i]!)));
      expect(maxDiff, `ours ${Array.from(ours)} vs onnxruntime-node ${Array.from(want)}`).toBeLessThan(2e-2);
      for (const row of [0, 1]) {
        expect(argmax(ours.subarray(row * 3, row * 3 + 3)), `argmax of row ${row}`).toBe(
          argmax(want.subarray(row * 3, row * 3 + 3)),
        );
      }
    },
  );
});
