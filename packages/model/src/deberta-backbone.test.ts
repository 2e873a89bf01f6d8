// DebertaBackbone against the float64 reference of every base-model fixture: last_hidden_state, every
// hidden_states.i and attentions.i within 1e-4 at non-padding positions (rows of padding tokens are not
// meaningful in transformers either).
import path from "node:path";
import { CpuBackend } from "@deberta/backend-cpu";
import { readWeightsFromDir } from "@deberta/hub";
import { Tensor } from "@deberta/tensor";
import { describe, expect, it } from "vitest";
import { DebertaBackbone } from "./deberta-backbone.js";
import { ModelError } from "./errors.js";
import { maxErrorAtRealTokens } from "./reference-compare.js";
import { expectedTensor, loadFixture } from "./test-support.js";

const CHECKPOINTS = [
  "base-like/model",
  "base-like/model-bin",
  "base-like/model-bin-legacy",
  "span8-types/model",
  "absolute-only/model",
  "p2c-only/model",
];

function int64(t: { shape: number[]; data: Float64Array }): Tensor {
  return new Tensor(
    "int64",
    BigInt64Array.from(t.data, (v) => BigInt(v)),
    t.shape,
  );
}

describe.each(CHECKPOINTS)("%s", (name) => {
  it("matches the float64 reference (hidden states and attentions within 1e-4)", async () => {
    const f = await loadFixture(name);
    const backend = new CpuBackend();
    const weights = await readWeightsFromDir(f.dir);
    const model = DebertaBackbone.load(backend, f.config, weights, { file: f.dir });
    expect(model.loading_info.unexpected_keys).toEqual([]);
    const mask = expectedTensor(f, "attention_mask");
    const out = model.forward(
      {
        input_ids: int64(expectedTensor(f, "input_ids")),
        attention_mask: int64(mask),
        token_type_ids: int64(expectedTensor(f, "token_type_ids")),
      },
      { output_hidden_states: true, output_attentions: true },
    );
    const last = await backend.download(out.last_hidden_state);
    const lastError = maxErrorAtRealTokens(last, expectedTensor(f, "last_hidden_state"), mask.data, "bld");
    expect(lastError).toBeLessThan(1e-4);
    expect(out.hidden_states).toHaveLength(f.config.num_hidden_layers + 1);
    for (const [i, h] of out.hidden_states!.entries()) {
      const got = await backend.download(h);
      expect(
        maxErrorAtRealTokens(got, expectedTensor(f, `hidden_states.${i}`), mask.data, "bld"),
        `hidden_states.${i}`,
      ).toBeLessThan(1e-4);
    }
    expect(out.attentions).toHaveLength(f.config.num_hidden_layers);
    for (const [i, a] of out.attentions!.entries()) {
      const got = await backend.download(a);
      expect(
        maxErrorAtRealTokens(got, expectedTensor(f, `attentions.${i}`), mask.data, "bhll"),
        `attentions.${i}`,
      ).toBeLessThan(1e-4);
    }
    model.dispose();
    backend.close();
  });
});

describe("bad input", () => {
  const load = async () => {
    const f = await loadFixture("span8-types/model");
    const backend = new CpuBackend();
    return {
      f,
      backend,
      model: DebertaBackbone.load(backend, f.config, await readWeightsFromDir(f.dir), { file: f.dir }),
    };
  };
  const ids = (values: number[][]) =>
    new Tensor("int64", BigInt64Array.from(values.flat().map(BigInt)), [values.length, values[0]!.length]);
  const expectModelError = (fn: () => unknown, argument: string, text: string) => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(ModelError);
      expect((e as ModelError).argument).toBe(argument);
      expect((e as Error).message).toContain(text);
      return;
    }
    throw new Error("expected a ModelError");
  };

  it("token ids >= vocab_size", async () => {
    const { model } = await load();
    expectModelError(() => model.forward({ input_ids: ids([[1, 1200, 2]]) }), "input_ids", "1200");
  });

  it("sequences longer than max_position_embeddings with absolute positions", async () => {
    const { model, f } = await load();
    const long = [Array.from({ length: f.config.max_position_embeddings + 1 }, () => 5)];
    expectModelError(() => model.forward({ input_ids: ids(long) }), "input_ids", "max_position_embeddings");
  });

  it("inputs of mismatched shapes", async () => {
    const { model } = await load();
    expectModelError(
      () => model.forward({ input_ids: ids([[1, 5, 2]]), attention_mask: ids([[1, 1]]) }),
      "attention_mask",
      "[1, 2]",
    );
    expectModelError(
      () =>
        model.forward({
          input_ids: ids([[1, 5, 2]]),
          token_type_ids: ids([
            [0, 0],
            [0, 0],
          ]),
        }),
      "token_type_ids",
      "[2, 2]",
    );
    expectModelError(
      () => model.forward({ input_ids: ids([[1, 5, 2]]), token_type_ids: ids([[0, 2, 0]]) }),
      "token_type_ids",
      "2",
    );
  });

  it("missing weights are all listed, and shapes that contradict the config name the key", async () => {
    const f = await loadFixture("span8-types/model");
    const weights = await readWeightsFromDir(f.dir);
    const backend = new CpuBackend();
    const partial = new Map(weights);
    partial.delete("encoder.layer.1.attention.self.q_bias");
    partial.delete("embeddings.LayerNorm.bias");
    try {
      DebertaBackbone.load(backend, f.config, partial, { file: f.dir });
      throw new Error("expected a ModelError");
    } catch (e) {
      expect((e as ModelError).code).toBe("MODEL_WEIGHTS_MISSING");
      expect((e as Error).message).toContain("encoder.layer.1.attention.self.q_bias");
      expect((e as Error).message).toContain("embeddings.LayerNorm.bias");
    }
    const wrong = new Map(weights);
    const w = weights.get("encoder.layer.0.intermediate.dense.weight")!;
    wrong.set("encoder.layer.0.intermediate.dense.weight", { ...w, shape: [w.shape[1]!, w.shape[0]!] });
    try {
      DebertaBackbone.load(backend, f.config, wrong, { file: f.dir });
      throw new Error("expected a ModelError");
    } catch (e) {
      expect((e as ModelError).code).toBe("MODEL_WEIGHT_SHAPE");
      expect((e as ModelError).key).toBe("encoder.layer.0.intermediate.dense.weight");
      expect((e as Error).message).toContain(path.basename(f.dir));
    }
  });

  it("a disposed model fails clearly", async () => {
    const { model } = await load();
    model.dispose();
    expect(() => model.forward({ input_ids: ids([[1, 5, 2]]) })).toThrow(/disposed/);
  });
});

describe("relative projections cache", () => {
  it("holds a bounded number of spans however many lengths are run (power-of-two spans)", async () => {
    const f = await loadFixture("base-like/model");
    const backend = new CpuBackend();
    const model = DebertaBackbone.load(backend, f.config, await readWeightsFromDir(f.dir), { file: f.dir });
    const loaded = backend.memory().tensors;
    for (let length = 1; length <= 40; length++) {
      const ids = BigInt64Array.from({ length }, (_, i) => BigInt(5 + i));
      const out = model.forward({ input_ids: new Tensor("int64", ids, [1, length]) });
      await backend.download(out.last_hidden_state);
      backend.dispose(out.last_hidden_state);
    }
    // Spans 16, 32 and 64 (max_relative_positions falls back to 64 positions): for each, every layer caches
    // posKey and posQuery. One entry per length would be 40 x 2 x 2.
    const layers = f.config.num_hidden_layers;
    expect(backend.memory().tensors - loaded).toBeLessThanOrEqual(3 * layers * 2);
    model.dispose();
    backend.close();
  });
});
