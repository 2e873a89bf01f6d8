// Logits of the synthetic DeBERTa-base checkpoint from onnxruntime-node (the anchor) and from the WebGPU
// backend, for the parity tests.
import { DebertaForSequenceClassification } from "@deberta/heads";
import { Tensor } from "@deberta/tensor";
import type { syntheticInput } from "../bench/synthetic.mjs";
import { createWebGpuBackend } from "../src/create.js";
import type { WebGpuDtype } from "../src/webgpu-backend.js";

type Input = ReturnType<typeof syntheticInput>;

export async function onnxLogits(dir: string, input: Input): Promise<Float32Array> {
  const ort = (await import("onnxruntime-node")).default;
  const session = await ort.InferenceSession.create(`${dir}/onnx/model.onnx`, { intraOpNumThreads: 2 });
  try {
    const out = await session.run({
      input_ids: new ort.Tensor("int64", input.ids, input.dims),
      attention_mask: new ort.Tensor("int64", input.mask, input.dims),
    });
    return out.logits!.data as Float32Array;
  } finally {
    await session.release();
  }
}

export async function webgpuLogits(dir: string, input: Input, dtype: WebGpuDtype): Promise<Tensor> {
  const backend = await createWebGpuBackend({ dtype });
  try {
    const model = await DebertaForSequenceClassification.from_pretrained(dir, { backend });
    const { logits } = await model({
      input_ids: new Tensor("int64", input.ids, input.dims),
      attention_mask: new Tensor("int64", input.mask, input.dims),
    });
    return logits!;
  } finally {
    backend.close();
  }
}
