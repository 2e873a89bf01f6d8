// The three ways the README shows to classify a sentence pair (pipeline, tokenizer + model, and the CLI in
// apps/cli's tests), on the bundled demo model; and AutoModel / AutoTokenizer dispatch on config.json.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  AutoModel,
  AutoModelForSequenceClassification,
  AutoTokenizer,
  backendRegistry,
  DebertaForSequenceClassification,
  DebertaTokenizer,
  pipeline,
  type Tensor,
} from "./index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const demo = path.resolve(here, "../../../examples/demo-model");
const premise = "A soccer game with multiple males playing.";
const hypothesis = "Some men are playing a sport.";

afterAll(() => backendRegistry.unregister("cpu"));

function softmax(values: number[]): number[] {
  const max = Math.max(...values);
  const e = values.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

describe("README examples", () => {
  it("pipeline and tokenizer + model give the same answer for a sentence pair", async () => {
    const classifier = await pipeline("text-classification", demo);
    const viaPipeline = (await classifier({ text: premise, text_pair: hypothesis })) as {
      label: string;
      score: number;
    };

    const tokenizer = await AutoTokenizer.from_pretrained(demo);
    const model = await AutoModelForSequenceClassification.from_pretrained(demo);
    const inputs = tokenizer(premise, { text_pair: hypothesis, return_tensor: true });
    const { logits } = await model(inputs as never);
    const probabilities = softmax(Array.from((logits as Tensor).data as Float32Array));
    const best = probabilities.indexOf(Math.max(...probabilities));
    expect(viaPipeline.label).toBe(model.config.id2label[best]);
    expect(viaPipeline.score).toBeCloseTo(probabilities[best]!, 6);
    classifier.dispose();
  });

  it("AutoModel and AutoTokenizer dispatch on the checkpoint's files", async () => {
    const model = await AutoModel.from_pretrained(demo);
    expect(model).toBeInstanceOf(DebertaForSequenceClassification);
    expect(await AutoTokenizer.from_pretrained(demo)).toBeInstanceOf(DebertaTokenizer);
  });

  it("a head class from the umbrella loads a folder with the default backends, no registration first", async () => {
    backendRegistry.unregister("cpu");
    const model = await DebertaForSequenceClassification.from_pretrained(demo);
    expect(model.backend.name).toBe("cpu");
    const { logits } = await model({
      input_ids: (await AutoTokenizer.from_pretrained(demo))(premise, { return_tensor: true })
        .input_ids as Tensor,
    });
    expect((logits as Tensor).dims).toEqual([1, 3]);
    model.dispose();
  });

  it("registers the CPU backend as the default device", async () => {
    await pipeline("text-classification", demo);
    expect(backendRegistry.names()).toContain("cpu");
  });
});
