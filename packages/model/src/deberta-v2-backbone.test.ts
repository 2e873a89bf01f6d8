// DebertaV2Backbone against the float64 reference of both DeBERTa-v2 base-model fixtures
// (../shared/fixtures/deberta-v2/models/<variant>/Model: v3-like with log buckets and shared keys,
// v2-xlarge-like with the convolution layer and an explicit attention_head_size): last_hidden_state, every
// hidden_states.i and attentions.i within 1e-4 at non-padding positions, on the CPU backend's JavaScript and
// native engines. Padded query rows are not meaningful (transformers gives them uniform attention).
import path from "node:path";
import { createCpuBackend } from "@deberta/backend-cpu";
import { DebertaV2Config } from "@deberta/config";
import { readWeightsFile, readWeightsFromDir } from "@deberta/hub";
import { type Backend, Tensor } from "@deberta/tensor";
import { fixturesDir } from "@deberta/testing";
import { describe, expect, it } from "vitest";
import { DebertaV2Backbone } from "./deberta-v2-backbone.js";
import { ModelError } from "./errors.js";
import { maxErrorAtRealTokens, softmaxOfTerms } from "./reference-compare.js";
import { expectedTensor } from "./test-support.js";

const VARIANTS = ["v3-like", "v2-xlarge-like"];
const ENGINES = ["js", "native"] as const;

async function loadV2Fixture(variant: string) {
  const dir = path.join(fixturesDir(), "deberta-v2", "models", variant, "Model");
  const config = await DebertaV2Config.from_pretrained(dir);
  const expected = new Map(await readWeightsFile(path.join(dir, "expected.safetensors")));
  return { dir, config, expected };
}

function int64(t: { shape: number[]; data: Float64Array }): Tensor {
  return new Tensor(
    "int64",
    BigInt64Array.from(t.data, (v) => BigInt(v)),
    t.shape,
  );
}

describe.each(ENGINES)("CPU backend, %s engine", (engine) => {
  const backendOf = (): Promise<Backend> => createCpuBackend({ engine, threads: 2 });

  describe.each(VARIANTS)("%s/Model", (variant) => {
    it("matches the float64 reference (hidden states and attentions within 1e-4)", async () => {
      const f = await loadV2Fixture(variant);
      const backend = await backendOf();
      const model = DebertaV2Backbone.load(backend, f.config, await readWeightsFromDir(f.dir), {
        file: f.dir,
      });
      expect(model.loading_info.unexpected_keys).toEqual([]);
      const mask = expectedTensor(f, "attention_mask");
      const out = model.forward(
        {
          input_ids: int64(expectedTensor(f, "input_ids")),
          attention_mask: int64(mask),
          token_type_ids: int64(expectedTensor(f, "token_type_ids")),
        },
        { output_hidden_states: true, output_attentions: true, output_attention_terms: true },
      );
      const last = await backend.download(out.last_hidden_state);
      expect(
        maxErrorAtRealTokens(last, expectedTensor(f, "last_hidden_state"), mask.data, "bld"),
      ).toBeLessThan(1e-4);
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
        const reference = expectedTensor(f, `attentions.${i}`);
        expect(maxErrorAtRealTokens(got, reference, mask.data, "bhll"), `attentions.${i}`).toBeLessThan(1e-4);
        // The returned terms are the scores the probabilities come from.
        const terms = out.attention_terms![i]!;
        expect(terms.c2p, "c2p").toBeDefined();
        expect(terms.p2c, "p2c").toBeDefined();
        const downloaded = {
          c2c: await backend.download(terms.c2c),
          c2p: await backend.download(terms.c2p!),
          p2c: await backend.download(terms.p2c!),
        };
        const probs = softmaxOfTerms(downloaded, mask.data);
        expect(maxErrorAtRealTokens(probs, reference, mask.data, "bhll"), `terms ${i}`).toBeLessThan(1e-4);
      }
      model.dispose();
      backend.close();
    });
  });
});

describe("DebertaV2Backbone loading", () => {
  it("reports every missing weight with a typed error naming the first", async () => {
    const f = await loadV2Fixture("v2-xlarge-like");
    const weights = new Map(await readWeightsFromDir(f.dir));
    weights.delete("encoder.conv.conv.weight");
    weights.delete("encoder.LayerNorm.weight");
    // One of the three projections interleaved into the fused qkv weight at load.
    weights.delete("encoder.layer.1.attention.self.key_proj.weight");
    const backend = await createCpuBackend({ engine: "js" });
    try {
      DebertaV2Backbone.load(backend, f.config, weights, { file: f.dir });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ModelError);
      expect((error as ModelError).code).toBe("MODEL_WEIGHTS_MISSING");
      expect((error as ModelError).message).toContain("encoder.conv.conv.weight");
      expect((error as ModelError).message).toContain("encoder.LayerNorm.weight");
      expect((error as ModelError).message).toContain("encoder.layer.1.attention.self.key_proj.weight");
    } finally {
      backend.close();
    }
  });

  it("names the key of a projection weight with the wrong shape (before the fused qkv weight is built)", async () => {
    const f = await loadV2Fixture("v3-like");
    const weights = new Map(await readWeightsFromDir(f.dir));
    const key = "encoder.layer.0.attention.self.value_proj.weight";
    const w = weights.get(key)!;
    weights.set(key, { ...w, shape: [w.shape[1]!, w.shape[0]! / 2, 2] });
    const backend = await createCpuBackend({ engine: "js" });
    try {
      expect(() => DebertaV2Backbone.load(backend, f.config, weights, { file: f.dir })).toThrow(
        expect.objectContaining({ code: "MODEL_WEIGHT_SHAPE", key }),
      );
    } finally {
      backend.close();
    }
  });

  it("refuses an even conv_kernel_size, naming the key", async () => {
    const f = await loadV2Fixture("v2-xlarge-like");
    const config = DebertaV2Config.from_dict({ ...f.config.to_dict(), conv_kernel_size: 2 });
    const backend = await createCpuBackend({ engine: "js" });
    try {
      expect(() => DebertaV2Backbone.load(backend, config, new Map(), { file: f.dir })).toThrow(
        expect.objectContaining({ code: "MODEL_INPUT", key: "conv_kernel_size" }),
      );
    } finally {
      backend.close();
    }
  });

  it("names the argument of a bad input", async () => {
    const f = await loadV2Fixture("v3-like");
    const backend = await createCpuBackend({ engine: "js" });
    const model = DebertaV2Backbone.load(backend, f.config, await readWeightsFromDir(f.dir), { file: f.dir });
    try {
      expect(() =>
        model.forward({ input_ids: new Tensor("int64", BigInt64Array.of(5n, 1000n), [1, 2]) }),
      ).toThrow(expect.objectContaining({ code: "MODEL_INPUT", argument: "input_ids" }));
    } finally {
      model.dispose();
      backend.close();
    }
  });
});
