// The three ways the README shows to classify a sentence pair (pipeline, tokenizer + model, and the CLI in
// apps/cli's tests), on the bundled demo model; AutoModel / AutoTokenizer dispatch on config.json; and the
// README's DeBERTa-v3 examples, run as written with their Hub ids, which a Hub stand-in on 127.0.0.1
// (HF_ENDPOINT) serves from the v2 fixture checkpoints and the SentencePiece fixture tokenizer.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fixturesDir } from "@deberta/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AutoConfig,
  AutoModel,
  AutoModelForMaskedLM,
  AutoModelForMultipleChoice,
  AutoModelForQuestionAnswering,
  AutoModelForSequenceClassification,
  AutoTokenizer,
  backendRegistry,
  DebertaConfig,
  DebertaForSequenceClassification,
  DebertaTokenizer,
  DebertaV2Config,
  DebertaV2ForMultipleChoice,
  DebertaV2ForQuestionAnswering,
  DebertaV2ForSequenceClassification,
  DebertaV2Model,
  DebertaV2Tokenizer,
  HeadError,
  ModelError,
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

const V2 = path.join(fixturesDir(), "deberta-v2");
const SPM = path.join(V2, "tokenizer-spm");
const v3 = (head: string) => path.join(V2, "models", "v3-like", head);
/** The README's Hub ids, each served from a v2 fixture checkpoint plus the SentencePiece tokenizer files. */
const STAND_INS: Record<string, string[]> = {
  "MoritzLaurer/DeBERTa-v3-base-mnli-fever-anli": [v3("ForSequenceClassification"), SPM],
  "microsoft/mdeberta-v3-base": [v3("Model"), SPM],
  "deepset/deberta-v3-base-squad2": [v3("ForQuestionAnswering"), SPM],
};
const SERVED = ["config.json", "model.safetensors", "spm.model", "tokenizer_config.json"];
const COMMIT = "5c1f1a8e0d9b7c6a5f4e3d2c1b0a99887766554f";

let server: Server;
let cache: string;
const saved: Record<string, string | undefined> = {};
const requested: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const match = /^\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(req.url ?? "");
    const file = match === null ? undefined : decodeURIComponent(match[2]!);
    const folder = STAND_INS[match?.[1] ?? ""]?.find((dir) => existsSync(path.join(dir, file ?? "")));
    if (match === null || file === undefined || folder === undefined || !SERVED.includes(file)) {
      res.writeHead(404, { "x-error-code": "EntryNotFound" }).end();
      return;
    }
    requested.push(`${match[1]}/${file}`);
    const body = readFileSync(path.join(folder, file));
    res.writeHead(200, {
      "x-repo-commit": COMMIT,
      etag: `"${createHash("sha256").update(body).digest("hex")}"`,
      "content-length": String(body.length),
    });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cache = mkdtempSync(path.join(tmpdir(), "deberta-readme-v3-"));
  for (const key of ["HF_ENDPOINT", "HF_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"])
    saved[key] = process.env[key];
  process.env.HF_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.HF_HUB_CACHE = cache;
  delete process.env.HF_HUB_OFFLINE;
  delete process.env.TRANSFORMERS_OFFLINE;
});

afterAll(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(cache, { recursive: true, force: true });
});

describe("README examples with DeBERTa-v3 Hub ids", () => {
  const NLI = "MoritzLaurer/DeBERTa-v3-base-mnli-fever-anli";
  const sequence = "Angela Merkel is a politician in Germany and leader of the CDU.";
  const labels = ["politics", "economy", "entertainment"];

  it("zero-shot with a v3 NLI model: the pipeline gives what tokenizer + model give, v2 classes throughout", async () => {
    const classifier = await pipeline("zero-shot-classification", NLI);
    const result = await classifier(sequence, labels);
    // The download included spm.model (the v3 tokenizer), and the v2 classes were picked from model_type.
    expect(requested).toContain(`${NLI}/spm.model`);
    expect(classifier.tokenizer).toBeInstanceOf(DebertaV2Tokenizer);
    expect(classifier.model).toBeInstanceOf(DebertaV2ForSequenceClassification);

    const config = await AutoConfig.from_pretrained(NLI);
    expect(config).toBeInstanceOf(DebertaV2Config);
    const tokenizer = await AutoTokenizer.from_pretrained(NLI);
    const model = await AutoModelForSequenceClassification.from_pretrained(NLI);
    expect(tokenizer).toBeInstanceOf(DebertaV2Tokenizer);
    expect(model).toBeInstanceOf(DebertaV2ForSequenceClassification);
    const entailment = Object.entries(config.id2label).find(([, l]) => l.toLowerCase() === "entailment")![0];
    const entailmentLogits: number[] = [];
    for (const label of labels) {
      const { logits } = await model(
        tokenizer(sequence, { text_pair: `This example is ${label}.`, return_tensor: true }) as never,
      );
      entailmentLogits.push((logits as Tensor).data[Number(entailment)] as number);
    }
    const scores = softmax(entailmentLogits);
    const best = labels.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
    expect(result.labels).toEqual(best.map((i) => labels[i]));
    result.scores.forEach((s, k) => {
      expect(s).toBeCloseTo(scores[best[k]!]!, 6);
    });
    classifier.dispose();
    model.dispose();
  });

  it("mDeBERTa-v3 embeddings: the mean of DebertaV2Model's last hidden state, normalised", async () => {
    const extractor = await pipeline("feature-extraction", "microsoft/mdeberta-v3-base");
    const embedding = await extractor("Der Himmel ist blau.", { pooling: "mean", normalize: true });
    const model = await AutoModel.from_pretrained("microsoft/mdeberta-v3-base");
    expect(model).toBeInstanceOf(DebertaV2Model);
    const tokenizer = await AutoTokenizer.from_pretrained("microsoft/mdeberta-v3-base");
    const { last_hidden_state } = await model(
      tokenizer("Der Himmel ist blau.", { return_tensor: true }) as never,
    );
    const [, length, hidden] = (last_hidden_state as Tensor).dims as [number, number, number];
    const data = (last_hidden_state as Tensor).data as Float32Array;
    const mean = Array.from({ length: hidden }, (_, h) => {
      let sum = 0;
      for (let t = 0; t < length; t++) sum += data[t * hidden + h]!;
      return sum / length;
    });
    const norm = Math.hypot(...mean);
    expect(embedding.dims).toEqual([1, hidden]);
    mean.forEach((m, h) => {
      expect((embedding.data as Float32Array)[h]).toBeCloseTo(m / norm, 5);
    });
    extractor.dispose();
    model.dispose();
  });

  it("question answering with a v3 SQuAD model: a span of the context", async () => {
    const answer = await pipeline("question-answering", "deepset/deberta-v3-base-squad2");
    const context = "My name is Wolfgang and I live in Berlin.";
    const got = (await answer({ question: "Where do I live?", context })) as {
      answer: string;
      start: number;
      end: number;
      score: number;
    };
    expect(got.answer).toBe(context.slice(got.start, got.end));
    expect(got.score).toBeGreaterThan(0);
    expect(answer.model).toBeInstanceOf(DebertaV2ForQuestionAnswering);
    expect(
      await AutoModelForQuestionAnswering.from_pretrained("deepset/deberta-v3-base-squad2"),
    ).toBeInstanceOf(DebertaV2ForQuestionAnswering);
    answer.dispose();
  });

  it("fill-mask on a v3 checkpoint without masked-LM weights fails naming them, as the README says", async () => {
    const error = await AutoModelForMaskedLM.from_pretrained("microsoft/mdeberta-v3-base").catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).code).toBe("MODEL_WEIGHTS_MISSING");
    expect((error as Error).message).toContain("cls.predictions");
    await expect(pipeline("fill-mask", "microsoft/mdeberta-v3-base")).rejects.toBeInstanceOf(ModelError);
  });

  it("AutoModelForMultipleChoice: the v2 head for a v2 checkpoint, HEAD_ARCHITECTURE for v1", async () => {
    const model = await AutoModelForMultipleChoice.from_pretrained(v3("ForMultipleChoice"));
    expect(model).toBeInstanceOf(DebertaV2ForMultipleChoice);
    model.dispose();
    const error = await AutoModelForMultipleChoice.from_pretrained(demo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeadError);
    expect((error as HeadError).code).toBe("HEAD_ARCHITECTURE");
    expect((error as HeadError).message).toContain('model_type "deberta"');
    expect(await AutoConfig.from_pretrained(demo)).toBeInstanceOf(DebertaConfig);
  });
});
