// The checkpoints the benchmark times, as the worker processes load them: where they are, which class of
// this package runs them, which output is compared, and the ONNX graph of the same weights.
import path from "node:path";
import { syntheticV3Dir } from "./make-synthetic-v3-base.mjs";
import { syntheticDir } from "./synthetic.mjs";

export const benchModels = {
  /** v1: ../shared/tools/make-synthetic-base.mjs; ONNX built in JavaScript, weights in weights.bin. */
  "deberta-base": {
    dir: syntheticDir,
    head: "DebertaForSequenceClassification",
    output: "logits",
    onnx: path.join(syntheticDir, "onnx", "model.onnx"),
    onnxExternalData: path.join(syntheticDir, "onnx", "weights.bin"),
    realTokensOnly: false,
  },
  /** v3: make-synthetic-v3-base.mjs; ONNX exported by PyTorch, weights inside model.onnx. */
  "deberta-v3-base": {
    dir: syntheticV3Dir,
    head: "DebertaV2Model",
    output: "last_hidden_state",
    onnx: path.join(syntheticV3Dir, "onnx", "model.onnx"),
    // transformers' hidden states at padded query positions are not meaningful (the fixtures' README):
    // they are compared on real tokens only.
    realTokensOnly: true,
  },
};

export function benchModel(name) {
  const model = benchModels[name];
  if (!model)
    throw new Error(`unknown benchmark model "${name}" (known: ${Object.keys(benchModels).join(", ")})`);
  return model;
}
