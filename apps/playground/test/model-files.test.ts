// The worker's loading from files in memory (src/model-files.ts), in Node without a browser: a DeBERTa-v3
// folder (config.json with model_type "deberta-v2", model.safetensors, spm.model or tokenizer.json) gives the
// v2 config and SentencePiece tokenizer, and the registry's v2 head built from them matches the fixture; a v1
// folder gives the v1 classes as before.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createCpuBackend } from "@deberta/backend-cpu";
import { DebertaConfig, DebertaV2Config } from "@deberta/config";
import { DebertaV2ForSequenceClassification, headRegistry } from "@deberta/heads";
import { pipeline } from "@deberta/pipelines";
import { fixturesDir } from "@deberta/testing";
import { DebertaTokenizer, DebertaV2Tokenizer } from "@deberta/tokenizer";
import { afterAll, describe, expect, it } from "vitest";
import {
  configFromFiles,
  type FileMap,
  hasTokenizer,
  tokenizerFromFiles,
  weightsFromFiles,
} from "../src/model-files.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const DEMO = path.resolve(here, "../../../examples/demo-model");
const V2 = path.join(fixturesDir(), "deberta-v2");
const V3_SEQCLS = path.join(V2, "models", "v3-like", "ForSequenceClassification");

/** The files of some folders in one map, as the page hands them to the worker (later folders win). */
function files(...dirs: string[]): FileMap {
  const map: FileMap = new Map();
  for (const dir of dirs)
    for (const name of readdirSync(dir)) map.set(name, new Uint8Array(readFileSync(path.join(dir, name))));
  return map;
}

const backend = await createCpuBackend();
afterAll(() => backend.close());

describe("model-files", () => {
  it("a DeBERTa-v3 folder with spm.model: DebertaV2Config, DebertaV2Tokenizer, the v2 head the Node pipeline runs", async () => {
    const map = files(V3_SEQCLS, path.join(V2, "tokenizer-spm"));
    expect(hasTokenizer(map)).toBe(true);
    const config = configFromFiles(map);
    expect(config).toBeInstanceOf(DebertaV2Config);
    const tokenizer = tokenizerFromFiles(map);
    expect(tokenizer).toBeInstanceOf(DebertaV2Tokenizer);
    const Head = headRegistry.resolve(config, "sequence-classification");
    expect(Head).toBe(DebertaV2ForSequenceClassification);
    const model = await Head.from_pretrained("in-memory", {
      backend,
      config,
      weights: await weightsFromFiles(map),
    });
    // The worker's path and the Node pipeline on the same folder agree exactly.
    const fromFiles = await pipeline("text-classification", { model, tokenizer });
    const fromFolder = await pipeline("text-classification", V3_SEQCLS, {
      backend,
      tokenizer: path.join(V2, "tokenizer-spm"),
    });
    const pair = {
      text: "A soccer game with multiple males playing.",
      text_pair: "Some men are playing a sport.",
    };
    expect(await fromFiles(pair, { top_k: null })).toEqual(await fromFolder(pair, { top_k: null }));
    fromFolder.dispose();
    model.dispose();
  });

  it("a Unigram tokenizer.json (transformers 4.x and 5.x layouts) gives DebertaV2Tokenizer, with or without config.json", () => {
    for (const layout of ["tokenizer-json-v4", "tokenizer-json-v5"]) {
      const alone = files(path.join(V2, layout));
      expect(tokenizerFromFiles(alone), layout).toBeInstanceOf(DebertaV2Tokenizer);
      expect(tokenizerFromFiles(files(V3_SEQCLS, path.join(V2, layout)))).toBeInstanceOf(DebertaV2Tokenizer);
    }
  });

  it("the demo model (v1) gives DebertaConfig and DebertaTokenizer, as before", () => {
    const map = files(DEMO);
    expect(configFromFiles(map)).toBeInstanceOf(DebertaConfig);
    expect(tokenizerFromFiles(map)).toBeInstanceOf(DebertaTokenizer);
  });

  it("a v3 model folder without tokenizer files says which files it needs", () => {
    const map = files(V3_SEQCLS);
    expect(hasTokenizer(map)).toBe(false);
    expect(() => tokenizerFromFiles(map)).toThrow(/neither tokenizer\.json nor spm\.model/);
  });
});
