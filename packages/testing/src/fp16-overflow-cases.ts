// Fixture checkpoints with weights to scale past float16's range, shared by every float16 path's overflow
// test (WebGPU f16, CUDA float16) and the GPU machine's check script, so that they all assert the same cases.
// The tests themselves show, on the CPU backend in float32, that each scaling does what its comment says.
import path from "node:path";
import { fixturesDir } from "./fixtures-dir.js";

export interface Fp16OverflowCase {
  /** "v1 <variant>/<head>" or "v2 <variant>/<head>". */
  family: string;
  /** The head class (config.architectures[0]) of the checkpoint. */
  head: string;
  /** The checkpoint folder. */
  dir: string;
  /** Scaled so that a hidden state (the output of this LayerNorm) exceeds 65504. */
  hidden: { layer: string; factors: Record<string, number> };
  /** Scaled so that this feed-forward layer's output exceeds 65504 while the hidden states stay small. */
  inner: { layer: string; factors: Record<string, number> };
}

/** A v1 and a v2 sequence classifier, each with a hidden-state and a feed-forward scaling. */
export function fp16OverflowCases(): Fp16OverflowCase[] {
  const layerNorm = (layer: number) => ({
    [`deberta.encoder.layer.${layer}.output.LayerNorm.weight`]: 1e6,
    [`deberta.encoder.layer.${layer}.output.LayerNorm.bias`]: 1e6,
  });
  return [
    {
      family: "v1 base-like/seqcls",
      head: "DebertaForSequenceClassification",
      dir: path.join(fixturesDir(), "models", "base-like", "seqcls"),
      hidden: { layer: "encoder.layer.0.output.LayerNorm", factors: layerNorm(0) },
      inner: {
        layer: "encoder.layer.0.output.dense",
        factors: { "deberta.encoder.layer.0.output.dense.weight": 1e8 },
      },
    },
    {
      family: "v2 v3-like/ForSequenceClassification",
      head: "DebertaV2ForSequenceClassification",
      dir: path.join(fixturesDir(), "deberta-v2", "models", "v3-like", "ForSequenceClassification"),
      hidden: { layer: "encoder.layer.1.output.LayerNorm", factors: layerNorm(1) },
      inner: {
        layer: "encoder.layer.0.intermediate.dense",
        factors: { "deberta.encoder.layer.0.intermediate.dense.weight": 1e8 },
      },
    },
  ];
}
