// The DeBERTa-base-sized synthetic checkpoint (12 layers, 768 hidden, 50265 vocab): our logits within 1e-5
// of onnxruntime-node's on the same weights, for the input of the fixture README (batch 2, length 128, the
// second row 100 tokens then padding). The 531 MiB checkpoint is generated on demand into the git-ignored
// .synthetic/ folder by ../shared/tools/make-synthetic-base.mjs.
import { createCpuBackend } from "@deberta/backend-cpu";
import { Tensor } from "@deberta/tensor";
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM helper shared with the benchmark, no type declarations.
import { ensureSynthetic, syntheticInput } from "../bench/synthetic.mjs";
import { DebertaForSequenceClassification } from "./sequence-classification.js";

describe("DeBERTa-base synthetic checkpoint", () => {
  it("gives logits within 1e-5 of onnxruntime-node for batch 2 x 128", { timeout: 600_000 }, async () => {
    const dir: string = ensureSynthetic();
    const input = syntheticInput(2) as { ids: BigInt64Array; mask: BigInt64Array; dims: number[] };
    const ort = (await import("onnxruntime-node")).default;
    const session = await ort.InferenceSession.create(`${dir}/onnx/model.onnx`, { intraOpNumThreads: 2 });
    const reference = (
      await session.run({
        input_ids: new ort.Tensor("int64", input.ids, input.dims),
        attention_mask: new ort.Tensor("int64", input.mask, input.dims),
      })
    ).logits!.data as Float32Array;
    await session.release();

    const backend = await createCpuBackend({ threads: 2 });
    const model = await DebertaForSequenceClassification.from_pretrained(dir, { backend });
    const { logits } = await model({
      input_ids: new Tensor("int64", input.ids, input.dims),
      attention_mask: new Tensor("int64", input.mask, input.dims),
    });
    const ours = logits!.data as Float32Array;
    expect(logits!.dims).toEqual([2, 3]);
    const maxDiff = Math.max(...Array.from(ours, (v, i) => Math.abs(v - reference[i]!)));
    expect(maxDiff, `ours ${Array.from(ours)} vs onnxruntime-node ${Array.from(reference)}`).toBeLessThan(
      1e-5,
    );
    backend.close();
  });
});
