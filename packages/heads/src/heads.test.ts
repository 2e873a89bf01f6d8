// Every head checkpoint of the fixtures against its float64 reference: logits (start/end for QA) and loss
// within 1e-5, argmax identical, hidden states and attentions within 1e-4 — at non-padding positions for
// per-token outputs.
import { CpuBackend } from "@deberta/backend-cpu";
import { Tensor } from "@deberta/tensor";
import { afterAll, describe, expect, it } from "vitest";
import { HeadError } from "./errors.js";
import type { DebertaPreTrainedModel, HeadCallOutputs } from "./pretrained.js";
import { headRegistry } from "./registry.js";
import { expectedTensor, type Fixture, loadFixture, maxErrorAtRealTokens } from "./test-support.js";

const CHECKPOINTS = [
  "base-like/seqcls",
  "base-like/seqcls-bin",
  "base-like/seqcls-f16",
  "base-like/seqcls-bf16",
  "base-like/seqcls-regression",
  "base-like/seqcls-multilabel",
  "base-like/tokcls",
  "base-like/qa",
  "base-like/mlm",
  "base-like/mlm-bin",
  "base-like/mlm-bin-legacy",
  "base-like/mlm-legacy",
  "base-like/mlm-legacy-bin",
  "span8-types/seqcls",
  "span8-types/mlm",
  "absolute-only/seqcls",
  "p2c-only/seqcls",
];

const backend = new CpuBackend();
afterAll(() => backend.close());

function asInput(t: { shape: number[]; data: Float64Array }, dtype: "int64" | "float32"): Tensor {
  return dtype === "int64"
    ? new Tensor(
        "int64",
        BigInt64Array.from(t.data, (v) => BigInt(v)),
        t.shape,
      )
    : new Tensor("float32", Float32Array.from(t.data), t.shape);
}

function argmaxRows(data: ArrayLike<number>, width: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < data.length / width; r++) {
    let best = 0;
    for (let c = 1; c < width; c++) if (data[r * width + c]! > data[r * width + best]!) best = c;
    out.push(best);
  }
  return out;
}

async function run(
  name: string,
): Promise<{ f: Fixture; out: HeadCallOutputs; model: DebertaPreTrainedModel }> {
  const f = await loadFixture(name);
  const architecture = f.config.architectures?.[0] ?? "";
  const Head = headRegistry.get(architecture);
  if (Head === undefined) throw new Error(`no head for ${architecture}`);
  const model = await Head.from_pretrained(f.dir, { backend, config: f.config });
  const labelOf = (key: string) => {
    const t = f.expected.get(key);
    if (t === undefined) return undefined;
    return asInput(expectedTensor(f, key), t.data instanceof Float32Array ? "float32" : "int64");
  };
  const hasStates = f.expected.has("hidden_states.0");
  const out = await model({
    input_ids: asInput(expectedTensor(f, "input_ids"), "int64"),
    attention_mask: asInput(expectedTensor(f, "attention_mask"), "int64"),
    token_type_ids: asInput(expectedTensor(f, "token_type_ids"), "int64"),
    ...(labelOf("labels.labels") ? { labels: labelOf("labels.labels")! } : {}),
    ...(labelOf("labels.start_positions")
      ? {
          start_positions: labelOf("labels.start_positions")!,
          end_positions: labelOf("labels.end_positions")!,
        }
      : {}),
    output_hidden_states: hasStates,
    output_attentions: hasStates,
  });
  return { f, out, model };
}

describe.each(CHECKPOINTS)("%s", (name) => {
  it("matches the float64 reference", async () => {
    const { f, out, model } = await run(name);
    expect(model.loading_info.unexpected_keys).toEqual([]);
    const mask = expectedTensor(f, "attention_mask").data;
    for (const key of ["logits", "start_logits", "end_logits"] as const) {
      if (!f.expected.has(key)) continue;
      const want = expectedTensor(f, key);
      const got = out[key]!;
      const layout =
        want.shape.length === 3 ? "bld" : want.shape.length === 2 && key !== "logits" ? "bl" : "b";
      expect(maxErrorAtRealTokens(got, want, mask, layout), key).toBeLessThan(1e-5);
      const width = want.shape[want.shape.length - 1]!;
      if (want.shape.length >= 2 && width > 1) {
        const real = (values: number[]) => (layout === "b" ? values : values.filter((_, i) => mask[i] !== 0));
        expect(real(argmaxRows(got.data as Float32Array, width)), `argmax of ${key}`).toEqual(
          real(argmaxRows(want.data, width)),
        );
      }
    }
    if (f.expected.has("loss")) {
      expect(out.loss, "loss").toBeDefined();
      expect(
        Math.abs((out.loss!.data as Float32Array)[0]! - expectedTensor(f, "loss").data[0]!),
        "loss",
      ).toBeLessThan(1e-5);
    }
    if (f.expected.has("last_hidden_state") && out.hidden_states === undefined) {
      // The F16 / BF16 fixtures: compare the encoder output through a hidden-states call.
      const again = await model({
        input_ids: asInput(expectedTensor(f, "input_ids"), "int64"),
        attention_mask: asInput(expectedTensor(f, "attention_mask"), "int64"),
        output_hidden_states: true,
      });
      const last = again.hidden_states![again.hidden_states!.length - 1]!;
      expect(maxErrorAtRealTokens(last, expectedTensor(f, "last_hidden_state"), mask, "bld")).toBeLessThan(
        1e-4,
      );
    }
    for (const [i, h] of (out.hidden_states ?? []).entries()) {
      expect(
        maxErrorAtRealTokens(h, expectedTensor(f, `hidden_states.${i}`), mask, "bld"),
        `hidden_states.${i}`,
      ).toBeLessThan(1e-4);
    }
    for (const [i, a] of (out.attentions ?? []).entries()) {
      expect(
        maxErrorAtRealTokens(a, expectedTensor(f, `attentions.${i}`), mask, "bhll"),
        `attentions.${i}`,
      ).toBeLessThan(1e-4);
    }
    model.dispose();
  });
});

describe("head inputs", () => {
  it("labels of the wrong size name the argument", async () => {
    const { model, f } = await run("base-like/tokcls");
    try {
      await model({
        input_ids: asInput(expectedTensor(f, "input_ids"), "int64"),
        labels: new Tensor("int64", BigInt64Array.of(1n, 2n), [2]),
      });
      throw new Error("expected a HeadError");
    } catch (e) {
      expect(e).toBeInstanceOf(HeadError);
      expect((e as HeadError).argument).toBe("labels");
    }
  });

  it("a disposed model fails clearly", async () => {
    const { model, f } = await run("base-like/qa");
    model.dispose();
    await expect(model({ input_ids: asInput(expectedTensor(f, "input_ids"), "int64") })).rejects.toThrow(
      /disposed/,
    );
  });
});

describe("device", () => {
  it("'cpu' works without registering anything first", async () => {
    const { backendRegistry } = await import("@deberta/tensor");
    backendRegistry.unregister("cpu");
    const f = await loadFixture("base-like/seqcls");
    const model = await headRegistry
      .get("DebertaForSequenceClassification")!
      .from_pretrained(f.dir, { device: "cpu" });
    expect(model.backend.name).toBe("cpu");
    model.backend.close();
  });
});
