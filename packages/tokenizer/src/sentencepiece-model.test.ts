import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TokenizerError } from "./errors.js";
import { PrecompiledCharsmap } from "./precompiled-charsmap.js";
import { parseSentencePieceModel } from "./sentencepiece-model.js";
import { fixturesDir } from "./test-support.js";

const SPM = new Uint8Array(
  readFileSync(path.join(fixturesDir(), "deberta-v2", "tokenizer-spm", "spm.model")),
);
const CASES = JSON.parse(
  readFileSync(path.join(fixturesDir(), "deberta-v2", "tokenizer-spm", "tokenizer-cases.json"), "utf8"),
) as { meta: { spm_piece_size: number; special_ids: Record<string, number> } };

function errorOf(fn: () => unknown): TokenizerError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TokenizerError);
    return e as TokenizerError;
  }
  throw new Error("expected a TokenizerError");
}

describe("parseSentencePieceModel", () => {
  it("reads the fixture's pieces, unknown id and NFKC charsmap", () => {
    const model = parseSentencePieceModel(SPM);
    expect(model.pieces).toHaveLength(CASES.meta.spm_piece_size);
    expect(model.trainer.unkId).toBe(CASES.meta.special_ids["[UNK]"]);
    expect(model.pieces[model.trainer.unkId]!.type).toBe("unknown");
    expect(model.normalizer.precompiledCharsmap.length).toBeGreaterThan(0);
    // The same charsmap as the 4.x tokenizer.json's Precompiled normalizer.
    const json = JSON.parse(
      readFileSync(path.join(fixturesDir(), "deberta-v2", "tokenizer-json-v4", "tokenizer.json"), "utf8"),
    ) as { normalizer: { normalizers: { precompiled_charsmap?: string }[] } };
    expect(Buffer.from(model.normalizer.precompiledCharsmap).toString("base64")).toBe(
      json.normalizer.normalizers[0]!.precompiled_charsmap,
    );
  });

  it("names the file and field of a truncated model", () => {
    for (const cut of [1, 7, 100, SPM.length - 3]) {
      const e = errorOf(() => parseSentencePieceModel(SPM.subarray(0, cut), "x/spm.model"));
      expect(e.code).toBe("TOKENIZER_FILE_INVALID");
      expect(e.file).toBe("x/spm.model");
      expect(e.message).toContain("x/spm.model");
    }
  });

  it("rejects empty input, bad wire types and non-Unigram models", () => {
    expect(errorOf(() => parseSentencePieceModel(new Uint8Array(0))).key).toBe("pieces");
    // Field 1 (pieces) with wire type 0.
    expect(errorOf(() => parseSentencePieceModel(new Uint8Array([0x08, 0x01]))).message).toMatch(/wire type/);
    // Field 1 with wire type 7 (not a protobuf wire type).
    expect(errorOf(() => parseSentencePieceModel(new Uint8Array([0x0f]))).message).toMatch(/wire type/);
    // A valid model followed by trainer_spec { model_type: 2 (BPE) }.
    const bpe = new Uint8Array([...SPM, 0x12, 0x02, 0x18, 0x02]);
    expect(errorOf(() => parseSentencePieceModel(bpe)).code).toBe("TOKENIZER_UNSUPPORTED");
  });
});

describe("PrecompiledCharsmap", () => {
  it("rejects a header that does not fit and a trie that points outside itself", () => {
    const key = "normalizer_spec.precompiled_charsmap";
    expect(errorOf(() => new PrecompiledCharsmap(new Uint8Array([1, 2]), "f", key)).key).toBe(key);
    expect(errorOf(() => new PrecompiledCharsmap(new Uint8Array([255, 0, 0, 0, 0]), "f", key)).key).toBe(key);
    // One unit whose offset sends the walk far outside the 1-unit trie.
    const map = new PrecompiledCharsmap(new Uint8Array([4, 0, 0, 0, 0, 0xfc, 0xff, 0xff]), "f", key);
    expect(errorOf(() => map.longest(new Uint8Array([0x41]), 0, 1)).key).toBe(key);
  });
});
