// The float16 overflow checks of DebertaBackbone / DebertaV2Backbone, on the CPU backend with the checks
// asked for (`check_fp16_overflow: true`; by default they run only where a backend stores float16): every
// linear and LayerNorm output is checked under its module's name, nothing is reported on the fixtures as they
// are, and weights scaled so that a float32 activation exceeds 65504 are reported at that layer — also when
// the hidden states themselves stay small, and again on the next call when the overflowed value was cached.
// The float16 backends run the same checks in their own tests (backend-webgpu, backend-cuda).
import path from "node:path";
import { CpuBackend } from "@deberta/backend-cpu";
import { DebertaV2Config } from "@deberta/config";
import { readWeightsFile, readWeightsFromDir } from "@deberta/hub";
import { Tensor } from "@deberta/tensor";
import { fixturesDir, scaledWeights } from "@deberta/testing";
import { describe, expect, it } from "vitest";
import { DebertaBackbone, type DebertaEncoderOutput } from "./deberta-backbone.js";
import { DebertaV2Backbone } from "./deberta-v2-backbone.js";
import { ModelError } from "./errors.js";
import { FLOAT16_MAX } from "./fp16-overflow.js";
import { expectedTensor, loadFixture } from "./test-support.js";
import type { WeightMap } from "./weights.js";

const int64 = (t: { shape: number[]; data: Float64Array }) =>
  new Tensor(
    "int64",
    BigInt64Array.from(t.data, (v) => BigInt(v)),
    t.shape,
  );

async function v1(name: string, factors: Record<string, number> = {}) {
  const f = await loadFixture(name);
  const backend = new CpuBackend();
  const weights = scaledWeights(await readWeightsFromDir(f.dir), factors) as WeightMap;
  const model = DebertaBackbone.load(backend, f.config, weights);
  const inputs = {
    input_ids: int64(expectedTensor(f, "input_ids")),
    attention_mask: int64(expectedTensor(f, "attention_mask")),
  };
  return { backend, model, inputs };
}

async function v2(variant: string, factors: Record<string, number> = {}) {
  const dir = path.join(fixturesDir(), "deberta-v2", "models", variant, "Model");
  const config = await DebertaV2Config.from_pretrained(dir);
  const backend = new CpuBackend();
  const weights = scaledWeights(await readWeightsFromDir(dir), factors) as WeightMap;
  const model = DebertaV2Backbone.load(backend, config, weights);
  const f = { dir, expected: new Map(await readWeightsFile(path.join(dir, "expected.safetensors"))) };
  const inputs = {
    input_ids: int64(expectedTensor(f, "input_ids")),
    attention_mask: int64(expectedTensor(f, "attention_mask")),
  };
  return { backend, model, inputs };
}

/** The largest |value| over every hidden state of a pass (downloaded before its checks are read). */
async function largestHidden(backend: CpuBackend, out: DebertaEncoderOutput): Promise<number> {
  let max = 0;
  for (const h of out.hidden_states!) {
    for (const v of (await backend.download(h)).data as Float32Array) max = Math.max(max, Math.abs(v));
  }
  return max;
}

async function rejection(promise: Promise<unknown>): Promise<ModelError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelError);
  return error as ModelError;
}

describe("DebertaBackbone float16 overflow checks (CPU, asked for)", () => {
  it("run only where asked on a float32 backend, and pass on the fixture as it is", async () => {
    const { backend, model, inputs } = await v1("base-like/model");
    expect(model.forward(inputs).fp16_overflow_check).toBeUndefined();
    const out = model.forward(inputs, { check_fp16_overflow: true });
    const checks = out.fp16_overflow_check!;
    expect(checks.layers).toEqual([
      "embeddings.LayerNorm",
      ...[0, 1].flatMap((i) => [
        `encoder.layer.${i}.attention.self.in_proj`,
        `encoder.layer.${i}.attention.self.pos_proj`,
        `encoder.layer.${i}.attention.self.pos_q_proj`,
        `encoder.layer.${i}.attention.output.dense`,
        `encoder.layer.${i}.attention.output.LayerNorm`,
        `encoder.layer.${i}.intermediate.dense`,
        `encoder.layer.${i}.output.dense`,
        `encoder.layer.${i}.output.LayerNorm`,
      ]),
    ]);
    const live = backend.memory().tensors;
    await checks.verify();
    expect(backend.memory().tensors).toBe(live - 1);
    await checks.verify();
    const dropped = model.forward(inputs, { check_fp16_overflow: true }).fp16_overflow_check!;
    dropped.dispose();
    expect(backend.memory().tensors).toBe(live);
    expect((await rejection(dropped.verify())).code).toBe("MODEL_DISPOSED");
  });

  it("checks the attention terms when asked for them, named by their layer", async () => {
    const { model, inputs } = await v1("base-like/model");
    const out = model.forward(inputs, { output_attention_terms: true, check_fp16_overflow: true });
    expect(out.fp16_overflow_check!.layers).toEqual(
      expect.arrayContaining(
        [0, 1].flatMap((i) => ["c2c", "c2p", "p2c"].map((t) => `encoder.layer.${i} (${t} attention terms)`)),
      ),
    );
    await out.fp16_overflow_check!.verify();
  });

  it("names the feed-forward output whose values exceed 65504, though every hidden state stays small", async () => {
    const { backend, model, inputs } = await v1("base-like/model", {
      "encoder.layer.1.output.dense.weight": 1e8,
    });
    const out = model.forward(inputs, { output_hidden_states: true, check_fp16_overflow: true });
    expect(await largestHidden(backend, out)).toBeLessThan(FLOAT16_MAX);
    const error = await rejection(out.fp16_overflow_check!.verify());
    expect(error.code).toBe("MODEL_FP16_OVERFLOW");
    expect(error.layer).toBe("encoder.layer.1.output.dense");
    expect(await rejection(out.fp16_overflow_check!.verify())).toBe(error);
    expect(error.message).toMatch(
      /^fp16 overflow in encoder\.layer\.1\.output\.dense \(feed-forward output\): \d+ values .*65504.*float32 or bfloat16/,
    );
  });

  it("names the first of several layers, here a LayerNorm whose output is a hidden state beyond 65504", async () => {
    const { backend, model, inputs } = await v1("base-like/model", {
      "encoder.layer.0.output.LayerNorm.weight": 1e6,
      "encoder.layer.0.output.LayerNorm.bias": 1e6,
    });
    const out = model.forward(inputs, { output_hidden_states: true, check_fp16_overflow: true });
    expect(await largestHidden(backend, out)).toBeGreaterThan(FLOAT16_MAX);
    const error = await rejection(out.fp16_overflow_check!.verify());
    expect(error.layer).toBe("encoder.layer.0.output.LayerNorm");
    expect(error.message).toMatch(/\(and \d+ later checks?\)/);
  });

  it("reports an overflow in cached relative projections on every call, not only the one that computed them", async () => {
    const { model, inputs } = await v1("base-like/model", { "encoder.rel_embeddings.weight": 1e9 });
    for (const call of [1, 2]) {
      const out = model.forward(inputs, { check_fp16_overflow: true });
      const error = await rejection(out.fp16_overflow_check!.verify());
      expect(error.layer, `call ${call}`).toBe("encoder.layer.0.attention.self.pos_proj");
    }
  });
});

describe("DebertaV2Backbone float16 overflow checks (CPU, asked for)", () => {
  it("pass on both v2 fixtures as they are", async () => {
    const v3 = await v2("v3-like");
    const v3Checks = v3.model.forward(v3.inputs, { check_fp16_overflow: true }).fp16_overflow_check!;
    expect(v3Checks.layers.slice(0, 6)).toEqual([
      "embeddings.LayerNorm",
      "encoder.LayerNorm",
      // The fused query / key / value projection of the tokens, then of the relative embeddings (shared keys).
      "encoder.layer.0.attention.self.query_key_value_proj",
      "encoder.layer.0.attention.self.query_key_value_proj",
      "encoder.layer.0.attention.output.dense",
      "encoder.layer.0.attention.output.LayerNorm",
    ]);
    await v3Checks.verify();
    const xl = await v2("v2-xlarge-like");
    const xlChecks = xl.model.forward(xl.inputs, { check_fp16_overflow: true }).fp16_overflow_check!;
    expect(xlChecks.layers).toContain("encoder.conv.conv");
    expect(xlChecks.layers).toContain("encoder.conv.LayerNorm");
    await xlChecks.verify();
  });

  it("names the feed-forward layer whose values exceed 65504", async () => {
    const { model, inputs } = await v2("v3-like", { "encoder.layer.0.intermediate.dense.weight": 1e8 });
    const out = model.forward(inputs, { check_fp16_overflow: true });
    const error = await rejection(out.fp16_overflow_check!.verify());
    expect(error.code).toBe("MODEL_FP16_OVERFLOW");
    expect(error.layer).toBe("encoder.layer.0.intermediate.dense");
    expect(error.message).toMatch(
      /^fp16 overflow in encoder\.layer\.0\.intermediate\.dense \(feed-forward\)/,
    );
  });

  it("reports an overflow in the cached normalised relative embeddings on every call", async () => {
    const { model, inputs } = await v2("v3-like", {
      "encoder.LayerNorm.weight": 1e6,
      "encoder.LayerNorm.bias": 1e6,
    });
    for (const call of [1, 2]) {
      const out = model.forward(inputs, { check_fp16_overflow: true });
      const error = await rejection(out.fp16_overflow_check!.verify());
      expect(error.layer, `call ${call}`).toBe("encoder.LayerNorm");
    }
  });
});
