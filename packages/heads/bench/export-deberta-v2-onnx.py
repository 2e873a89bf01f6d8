"""Exports transformers' DebertaV2Model, loaded from a checkpoint directory, to ONNX for the v3 benchmark.

    python export-deberta-v2-onnx.py <checkpoint-dir> <out.onnx> <generator-stamp>

Run by make-synthetic-v3-base.mjs in its venv (torch 2.13 CPU, transformers 5.18, onnx, onnxruntime).
Inputs input_ids / attention_mask (int64, [batch, sequence]), output last_hidden_state; batch and sequence
are dynamic axes. The legacy TorchScript exporter: transformers' DeBERTa-v2 code scripts its shape-dependent
helpers (torch.jit.script) for exactly this exporter, and the graph stays under protobuf's 2 GB limit, so
the weights live inside model.onnx.

The export is checked before it is kept: onnxruntime on the graph against PyTorch's float32 forward at
2 x 300 (not the traced 2 x 128; beyond 128 tokens the log-bucketed relative positions are exercised),
on the real tokens. Writes <out.onnx> and export.json beside it only when that check passes.
"""

import json
import os
import sys

import numpy as np
import onnxruntime
import torch
import transformers
from transformers import DebertaV2Model


def synthetic_input(batch, length):
    """bench/synthetic.mjs's syntheticInput: odd rows have 100 real tokens, then padding."""
    ids = np.zeros((batch, length), dtype=np.int64)
    mask = np.zeros((batch, length), dtype=np.int64)
    for b in range(batch):
        real = min(100, length) if b % 2 == 1 else length
        for t in range(real):
            ids[b, t] = 1 if t == 0 else 2 if t == real - 1 else 5 + ((b * 1000003 + t * 7919) % 50000)
            mask[b, t] = 1
    return ids, mask


class LastHiddenState(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: export-deberta-v2-onnx.py <checkpoint-dir> <out.onnx> <generator-stamp>")
    src, out, generator = sys.argv[1:]
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    model, info = DebertaV2Model.from_pretrained(src, dtype=torch.float32, output_loading_info=True)
    wrong = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    if wrong:
        sys.exit(f"{src}/model.safetensors does not match DebertaV2Model: {wrong}")
    model.eval()
    wrapper = LastHiddenState(model).eval()

    partial = out + ".partial"
    ids, mask = synthetic_input(2, 128)
    with torch.no_grad():
        torch.onnx.export(
            wrapper,
            (torch.from_numpy(ids), torch.from_numpy(mask)),
            partial,
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "last_hidden_state": {0: "batch", 1: "sequence"},
            },
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )

    ids, mask = synthetic_input(2, 300)
    with torch.no_grad():
        expected = wrapper(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
    session = onnxruntime.InferenceSession(partial, providers=["CPUExecutionProvider"])
    (got,) = session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})
    real = mask.astype(bool)
    diff = float(np.abs(got[real] - expected[real]).max())
    scale = float(np.abs(expected[real]).max())
    if got.shape != expected.shape or not diff < 1e-4:
        os.remove(partial)
        sys.exit(f"onnxruntime on the export differs from PyTorch at 2 x 300: max |diff| {diff} (shape {got.shape})")
    os.replace(partial, out)
    stamp = {
        "generator": generator,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "onnxruntime": onnxruntime.__version__,
        "opset": 17,
        "check": {"shape": [2, 300], "maxAbsDiffVsTorch": diff, "maxAbsHidden": scale},
    }
    with open(os.path.join(os.path.dirname(out), "export.json"), "w") as f:
        json.dump(stamp, f, indent=2)
        f.write("\n")
    print(f"exported {out}: onnxruntime vs PyTorch at 2 x 300, max |diff| {diff:.2e} (|hidden| <= {scale:.2f})")


if __name__ == "__main__":
    main()
