// The convolution layer of DeBERTa-v2's first encoder layer (transformers' ConvLayer, conv_kernel_size > 0):
//   c[t]  = b + Σ_k W[:, :, k] · x[t + k − p]      (Conv1d over the embedding output x, zero padding
//                                                    p = (K − 1) / 2, `conv_groups` channel groups)
//   out   = LayerNorm(residual + act(c)) · mask    (residual: layer 0's output; act: conv_act)
// transformers zeroes c at padded positions before the activation; the final · mask zeroes those rows
// whatever c holds there, and no other row reads them, so the result is the same without that step.
// Built from primitives as an im2col: the K shifted copies of x side by side, [B, L, K·C], times the
// weight rearranged to [out, K·C] (per group).
import type { DebertaV2Config } from "@deberta/config";
import { type Activation, runFused, Tensor, type TensorHandle } from "@deberta/tensor";
import { activationOf } from "./activation.js";
import { ModelError } from "./errors.js";
import type { Ops } from "./ops.js";
import type { WeightBinder } from "./weights.js";

export class DebertaV2ConvLayer {
  private constructor(
    private readonly config: DebertaV2Config,
    private readonly activation: Activation,
    /** Per group: weight [out/groups, K · in/groups] (derived from the checkpoint's), bias [out/groups]. */
    private readonly groups: readonly { weight: TensorHandle; bias: TensorHandle }[],
    private readonly norm: { weight: TensorHandle; bias: TensorHandle },
  ) {}

  static load(w: WeightBinder, config: DebertaV2Config, ops: Ops): DebertaV2ConvLayer {
    const k = config.conv_kernel_size;
    if (k % 2 === 0) {
      // PyTorch's Conv1d with padding (K − 1) / 2 shortens the sequence for an even K, and transformers then
      // fails adding it to the residual: no checkpoint can have one.
      throw new ModelError(
        "MODEL_INPUT",
        `config.conv_kernel_size is ${k}; the DeBERTa-v2 convolution layer needs an odd kernel size`,
        { key: "conv_kernel_size" },
      );
    }
    const act = activationOf(config.conv_act, "conv_act");
    const h = config.hidden_size;
    const g = config.conv_groups;
    const perGroup = h / g;
    const weight = w.take("encoder.conv.conv.weight", [h, perGroup, k]);
    const bias = w.take("encoder.conv.conv.bias", [h]);
    // [out, in/g, K] → [out, K, in/g] → [out, K·in/g]: column k·C + c multiplies x[t + k − p, c].
    const transposed = ops.transpose(weight, [0, 2, 1]);
    const flat = ops.reshape(transposed, [h, k * perGroup]);
    ops.free(transposed);
    const groups = Array.from({ length: g }, (_, i) => {
      if (g === 1) return { weight: flat, bias };
      return {
        weight: ops.slice(flat, [i * perGroup], [(i + 1) * perGroup], [0]),
        bias: ops.slice(bias, [i * perGroup], [(i + 1) * perGroup], [0]),
      };
    });
    if (g > 1) ops.free(flat);
    const norm = {
      weight: w.take("encoder.conv.LayerNorm.weight", [h]),
      bias: w.take("encoder.conv.LayerNorm.bias", [h]),
    };
    return new DebertaV2ConvLayer(config, act, groups, norm);
  }

  /** x: the embedding output [B, L, H]; residual: layer 0's output; mask: float [B, L, 1]. */
  forward(ops: Ops, x: TensorHandle, residual: TensorHandle, mask: TensorHandle): TensorHandle {
    const [batch, length, hidden] = x.shape as [number, number, number];
    const k = this.config.conv_kernel_size;
    const pad = (k - 1) / 2;
    const b = ops.backend;
    const temporaries: TensorHandle[] = [];
    const temp = (handle: TensorHandle) => {
      temporaries.push(handle);
      return handle;
    };
    try {
      let padded = x;
      if (pad > 0) {
        const zeros = temp(
          b.upload(new Tensor("float32", new Float32Array(batch * pad * hidden), [batch, pad, hidden])),
        );
        padded = temp(b.run("concat", { xs: [zeros, x, zeros] }, { axis: 1 }));
      }
      const perGroup = hidden / this.groups.length;
      const outputs = this.groups.map((group, gi) => {
        const channels =
          this.groups.length === 1
            ? padded
            : temp(ops.slice(padded, [gi * perGroup], [(gi + 1) * perGroup], [2]));
        const shifted = Array.from({ length: k }, (_, s) =>
          temp(ops.slice(channels, [s], [s + length], [1])),
        );
        const columns = k === 1 ? shifted[0]! : temp(b.run("concat", { xs: shifted }, { axis: 2 }));
        return temp(ops.linear(columns, group.weight, group.bias));
      });
      const conv = outputs.length === 1 ? outputs[0]! : temp(b.run("concat", { xs: outputs }, { axis: 2 }));
      const activated = temp(runFused(b, "activation", { x: conv }, { fn: this.activation }));
      const normed = temp(
        ops.layerNorm(activated, this.norm.weight, this.norm.bias, this.config.layer_norm_eps, residual),
      );
      return ops.mul(normed, mask);
    } finally {
      ops.free(...temporaries);
    }
  }

  /** Frees the weights derived at load time (the checkpoint's own belong to the model's weights). */
  dispose(ops: Ops): void {
    for (const group of this.groups) ops.free(group.weight);
    if (this.groups.length > 1) for (const group of this.groups) ops.free(group.bias);
  }
}
