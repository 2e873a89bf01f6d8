// loadDebertaTokenizer on every tokenizer layout of the fixtures (v1: tokenizer.json, vocab.json + merges.txt;
// v2: spm.model, tokenizer.json of transformers 4.x and 5.x), on folders that say which tokenizer they need
// (config.json, tokenizer_config.json) and on folders that do not, and the rule order of debertaTokenizerKind.
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  debertaTokenizerKind,
  detectDebertaTokenizerKind,
  isDebertaV2Tokenizer,
  loadDebertaTokenizer,
} from "./auto-tokenizer.js";
import { DebertaTokenizer } from "./deberta-tokenizer.js";
import { DebertaV2Tokenizer } from "./deberta-v2-tokenizer.js";
import { TokenizerError } from "./errors.js";
import { fixturesDir } from "./test-support.js";

const V2 = path.join(fixturesDir(), "deberta-v2");
const tmp = mkdtempSync(path.join(tmpdir(), "deberta-auto-tokenizer-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A folder of links to fixture files, plus files written here. */
function folder(name: string, links: Record<string, string>, written: Record<string, unknown> = {}): string {
  const made = mkdtempSync(path.join(tmp, `${name}-`));
  for (const [file, target] of Object.entries(links)) symlinkSync(target, path.join(made, file));
  for (const [file, json] of Object.entries(written))
    writeFileSync(path.join(made, file), JSON.stringify(json));
  return made;
}

interface Case {
  text: string;
  text_pair?: string;
  input_ids: number[];
}
const spmCases = (
  JSON.parse(readFileSync(path.join(V2, "tokenizer-spm", "tokenizer-cases.json"), "utf8")) as {
    cases: Case[];
  }
).cases;

describe("loadDebertaTokenizer", () => {
  it("loads the v2 layouts as DebertaV2Tokenizer and the v1 layouts as DebertaTokenizer", async () => {
    for (const dir of ["tokenizer-spm", "tokenizer-json-v4", "tokenizer-json-v5"]) {
      const tokenizer = await loadDebertaTokenizer(path.join(V2, dir));
      expect(tokenizer, dir).toBeInstanceOf(DebertaV2Tokenizer);
      expect(isDebertaV2Tokenizer(tokenizer)).toBe(true);
    }
    for (const dir of ["tokenizer", "tokenizer-hub-layout"]) {
      const tokenizer = await loadDebertaTokenizer(path.join(fixturesDir(), dir));
      expect(tokenizer, dir).toBeInstanceOf(DebertaTokenizer);
      expect(isDebertaV2Tokenizer(tokenizer)).toBe(false);
    }
  });

  it("gives what DebertaV2Tokenizer.from_pretrained gives: the spm fixture cases' ids", async () => {
    const tokenizer = await loadDebertaTokenizer(path.join(V2, "tokenizer-spm"));
    expect(spmCases.length).toBeGreaterThan(10);
    for (const c of spmCases) {
      const got = tokenizer(c.text, c.text_pair === undefined ? {} : { text_pair: c.text_pair });
      expect(got.input_ids, c.text).toEqual(c.input_ids);
    }
  });

  it("a model folder: config.json's model_type decides, before the files", async () => {
    const spm = path.join(V2, "tokenizer-spm");
    const v3 = folder(
      "v3-model",
      {
        "spm.model": path.join(spm, "spm.model"),
        "tokenizer_config.json": path.join(spm, "tokenizer_config.json"),
      },
      { "config.json": { model_type: "deberta-v2" } },
    );
    expect(await detectDebertaTokenizerKind(v3)).toBe("deberta-v2");
    expect(await loadDebertaTokenizer(v3)).toBeInstanceOf(DebertaV2Tokenizer);
    // A v1 config with v2 files: model_type wins, and the v1 loader names the files it misses.
    const mismatched = folder(
      "mismatched",
      { "spm.model": path.join(spm, "spm.model") },
      { "config.json": { model_type: "deberta" } },
    );
    const error = await loadDebertaTokenizer(mismatched).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenizerError);
    expect((error as TokenizerError).code).toBe("TOKENIZER_FILE_MISSING");
    expect((error as TokenizerError).message).toMatch(/vocab\.json/);
  });

  it("tokenizer_config.json's tokenizer_class decides before model_type", async () => {
    const spm = path.join(V2, "tokenizer-spm");
    const dir = folder(
      "class",
      { "spm.model": path.join(spm, "spm.model") },
      {
        "config.json": { model_type: "something-else" },
        "tokenizer_config.json": { tokenizer_class: "DebertaV2Tokenizer" },
      },
    );
    expect(await loadDebertaTokenizer(dir)).toBeInstanceOf(DebertaV2Tokenizer);
  });

  it("a folder with no tokenizer files: TOKENIZER_FILE_MISSING naming the folder", async () => {
    const empty = folder("empty", {}, { "tokenizer_config.json": {} });
    const error = await loadDebertaTokenizer(empty).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenizerError);
    expect((error as TokenizerError).code).toBe("TOKENIZER_FILE_MISSING");
    expect((error as TokenizerError).file).toBe(empty);
    expect((error as TokenizerError).message).toContain(empty);
    expect((error as TokenizerError).message).toContain("spm.model");
  });

  it("a malformed config.json is a typed error naming it", async () => {
    const dir = folder("bad-json", {});
    writeFileSync(path.join(dir, "config.json"), "{ nope");
    const error = await loadDebertaTokenizer(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenizerError);
    expect((error as TokenizerError).code).toBe("TOKENIZER_FILE_INVALID");
    expect((error as TokenizerError).file).toBe(path.join(dir, "config.json"));
  });
});

describe("debertaTokenizerKind", () => {
  it("takes the first rule that decides: class, model_type, tokenizer.json model, spm.model, BPE files", () => {
    expect(debertaTokenizerKind({})).toBeUndefined();
    expect(debertaTokenizerKind({ tokenizerConfig: { tokenizer_class: "DebertaV2TokenizerFast" } })).toBe(
      "deberta-v2",
    );
    expect(
      debertaTokenizerKind({
        tokenizerConfig: { tokenizer_class: "DebertaTokenizerFast" },
        modelConfig: { model_type: "deberta-v2" },
      }),
    ).toBe("deberta");
    // Classes and model types it does not know leave the decision to the next rule.
    expect(
      debertaTokenizerKind({
        tokenizerConfig: { tokenizer_class: "TokenizersBackend" },
        modelConfig: { model_type: "deberta-v2" },
        hasVocabAndMerges: true,
      }),
    ).toBe("deberta-v2");
    expect(
      debertaTokenizerKind({
        modelConfig: { model_type: "bert" },
        tokenizerJson: { model: { type: "BPE" } },
      }),
    ).toBe("deberta");
    expect(
      debertaTokenizerKind({ tokenizerJson: { model: { type: "Unigram" } }, hasVocabAndMerges: true }),
    ).toBe("deberta-v2");
    expect(debertaTokenizerKind({ hasSpmModel: true, hasVocabAndMerges: true })).toBe("deberta-v2");
    expect(debertaTokenizerKind({ hasVocabAndMerges: true })).toBe("deberta");
    // Not objects, or keys of the wrong type: no decision from them.
    expect(
      debertaTokenizerKind({ tokenizerConfig: [], modelConfig: { model_type: 2 }, tokenizerJson: "x" }),
    ).toBe(undefined);
    expect(debertaTokenizerKind({ modelConfig: { model_type: "__proto__" } })).toBeUndefined();
  });
});
