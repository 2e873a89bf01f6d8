// Unit tests of the public API beyond the fixture cases: loading from files and URLs, every typed error,
// tensors, padding options, and the post-processors and added-token flags a tokenizer.json may use.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Tensor } from "onnxruntime-common";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DebertaTokenizer } from "./deberta-tokenizer.js";
import { TokenizerError } from "./errors.js";
import { fixturesDir } from "./test-support.js";
import { parseTokenizerConfig } from "./tokenizer-config.js";
import { parseTokenizerJson } from "./tokenizer-json.js";

const TOKENIZER_DIR = path.join(fixturesDir(), "tokenizer");
const tokenizerJson = () => JSON.parse(readFileSync(path.join(TOKENIZER_DIR, "tokenizer.json"), "utf8"));

function fromJson(json: unknown, config: Record<string, unknown> = {}): DebertaTokenizer {
  return new DebertaTokenizer(
    parseTokenizerJson(json, "test/tokenizer.json"),
    parseTokenizerConfig(config, "test/tokenizer_config.json"),
  );
}

function caught(fn: () => unknown): TokenizerError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TokenizerError);
    return e as TokenizerError;
  }
  throw new Error("expected a TokenizerError, nothing was thrown");
}

async function caughtAsync(fn: () => Promise<unknown>): Promise<TokenizerError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TokenizerError);
    return e as TokenizerError;
  }
  throw new Error("expected a TokenizerError, nothing was thrown");
}

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "deberta-tokenizer-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

let tok: DebertaTokenizer;
beforeAll(async () => {
  tok = await DebertaTokenizer.from_pretrained(TOKENIZER_DIR);
});

describe("instances", () => {
  it("are callable functions and DebertaTokenizer instances", () => {
    expect(typeof tok).toBe("function");
    expect(tok).toBeInstanceOf(DebertaTokenizer);
    expect(tok("a").input_ids).toEqual([1, 68, 2]);
  });

  it("report the special tokens of tokenizer_config.json", () => {
    expect([tok.cls_token, tok.sep_token, tok.pad_token, tok.unk_token, tok.mask_token]).toEqual([
      "[CLS]",
      "[SEP]",
      "[PAD]",
      "[UNK]",
      "[MASK]",
    ]);
    expect(tok.all_special_ids.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 1199]);
    expect(tok.vocab_size).toBe(1200);
    expect(tok.get_vocab()["[MASK]"]).toBe(1199);
    expect(tok.convert_tokens_to_ids("no-such-token")).toBe(tok.unk_token_id);
  });
});

describe("loading", () => {
  it("names the folder and the files it looked for when nothing is there", async () => {
    const dir = tempDir({});
    const e = await caughtAsync(() => DebertaTokenizer.from_pretrained(dir));
    expect(e.code).toBe("TOKENIZER_FILE_MISSING");
    expect(e.message).toContain(dir);
    expect(e.message).toContain("vocab.json and merges.txt");
  });

  it("names the file holding invalid JSON", async () => {
    const dir = tempDir({ "tokenizer.json": "{ not json" });
    const e = await caughtAsync(() => DebertaTokenizer.from_pretrained(dir));
    expect(e.code).toBe("TOKENIZER_FILE_INVALID");
    expect(e.file).toBe(path.join(dir, "tokenizer.json"));
    expect(e.message).toContain("tokenizer.json");
  });

  it("names the key of a wrongly typed tokenizer_config.json entry", async () => {
    const dir = tempDir({
      "tokenizer.json": readFileSync(path.join(TOKENIZER_DIR, "tokenizer.json"), "utf8"),
      "tokenizer_config.json": JSON.stringify({ padding_side: "middle" }),
    });
    const e = await caughtAsync(() => DebertaTokenizer.from_pretrained(dir));
    expect(e.code).toBe("TOKENIZER_FILE_INVALID");
    expect(e.key).toBe("padding_side");
    expect(e.message).toContain("tokenizer_config.json");
  });

  it("rejects a merge that names a token missing from the vocabulary", () => {
    const json = tokenizerJson();
    json.model.merges.push(["Ġ", "no-such-token"]);
    const e = caught(() => fromJson(json));
    expect(e.code).toBe("TOKENIZER_FILE_INVALID");
    expect(e.key).toBe("model.merges");
    expect(e.message).toContain("no-such-token");
  });

  it("rejects wrongly typed vocabulary ids and added tokens", () => {
    const json = tokenizerJson();
    json.model.vocab.a = "68";
    expect(caught(() => fromJson(json)).key).toBe('model.vocab["a"]');
    const json2 = tokenizerJson();
    json2.added_tokens[0].content = 5;
    expect(caught(() => fromJson(json2)).key).toBe("added_tokens[0].content");
  });

  it.each([
    ["normalizer", (j: Record<string, unknown>) => (j.normalizer = { type: "NFKC" })],
    ["model.type", (j: Record<string, unknown>) => ((j.model as Record<string, unknown>).type = "WordPiece")],
    ["model.dropout", (j: Record<string, unknown>) => ((j.model as Record<string, unknown>).dropout = 0.1)],
    ["pre_tokenizer.type", (j: Record<string, unknown>) => (j.pre_tokenizer = { type: "Whitespace" })],
    ["decoder.type", (j: Record<string, unknown>) => (j.decoder = { type: "WordPiece" })],
    ["post_processor.type", (j: Record<string, unknown>) => (j.post_processor = { type: "Sequence" })],
  ])("reports an unsupported %s as such", (key, mutate) => {
    const json = tokenizerJson();
    mutate(json);
    const e = caught(() => fromJson(json));
    expect(e.code).toBe("TOKENIZER_UNSUPPORTED");
    expect(e.key).toBe(key);
    expect(e.message).toContain("test/tokenizer.json");
  });

  describe("from a URL", () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = createServer((req, res) => {
        const name = path.basename(req.url ?? "");
        try {
          const body = readFileSync(path.join(TOKENIZER_DIR, name));
          res.writeHead(200, { "content-type": "application/json" }).end(body);
        } catch {
          res.writeHead(404).end();
        }
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tokenizer`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("loads the same tokenizer as from the folder", async () => {
      const remote = await DebertaTokenizer.from_pretrained(base);
      const text = "The capital of France is [MASK].";
      expect(remote(text)).toEqual(tok(text));
    });
  });
});

describe("call arguments", () => {
  it.each([
    ["text", () => tok(42 as unknown as string)],
    ["text_pair", () => tok(["a", "b"], { text_pair: ["c"] })],
    ["text_pair", () => tok("a", { text_pair: ["c"] })],
    ["padding", () => tok("a", { padding: "sideways" as "longest" })],
    ["truncation", () => tok("a", { truncation: "only_middle" as "only_first" })],
    ["max_length", () => tok("a", { max_length: -1 })],
    ["stride", () => tok("a", { stride: 1.5 })],
    ["pad_to_multiple_of", () => tok(["a", "bb"], { padding: true, pad_to_multiple_of: 0 })],
    ["text", () => tok([["a"]] as unknown as string[])],
  ])("rejects a bad `%s` with a typed error naming it", (argument, call) => {
    const e = caught(call);
    expect(e.code).toBe("TOKENIZER_ARGUMENT");
    expect(e.argument).toBe(argument);
    expect(e.message).toContain(`\`${argument}\``);
  });

  it("raises like transformers for impossible truncations", () => {
    expect(
      caught(() => tok("a b c d e f g h", { max_length: 6, stride: 4, truncation: true })).argument,
    ).toBe("stride");
    expect(caught(() => tok("a b c", { max_length: 1, truncation: true })).argument).toBe("max_length");
    expect(caught(() => tok("a b c d", { max_length: 3, truncation: "only_second" })).code).toBe(
      "TOKENIZER_TRUNCATION",
    );
  });

  it("rejects ids outside the vocabulary when decoding", () => {
    const e = caught(() => tok.decode([1, 5000]));
    expect(e.argument).toBe("ids");
    expect(e.message).toContain("5000");
    expect(caught(() => tok.decode([-1])).argument).toBe("ids");
  });
});

describe("outputs", () => {
  it("returns int64 tensors with return_tensor, and refuses ragged rows", () => {
    const out = tok(["Hello world", "a"], { padding: true, return_tensor: true });
    const ids = out.input_ids as Tensor;
    expect(ids).toBeInstanceOf(Tensor);
    expect(ids.type).toBe("int64");
    expect(ids.dims).toEqual([2, 9]);
    expect(Array.from(ids.data as BigInt64Array, Number).slice(9)).toEqual([1, 68, 2, 0, 0, 0, 0, 0, 0]);
    expect((out.attention_mask as Tensor).dims).toEqual([2, 9]);
    expect(tok.batch_decode(ids, { skip_special_tokens: true })).toEqual(["Hello world", "a"]);
    const single = tok("a", { return_tensor: true }).input_ids as Tensor;
    expect(single.dims).toEqual([1, 3]);
    const e = caught(() => tok(["Hello world", "a"], { return_tensor: true }));
    expect(e.code).toBe("TOKENIZER_PADDING");
  });

  it("pads on the left and to a multiple when asked", () => {
    const left = new DebertaTokenizer(
      parseTokenizerJson(tokenizerJson(), "t.json"),
      parseTokenizerConfig({ pad_token: "[PAD]" }, "c.json"),
      { padding_side: "left" },
    );
    const out = left(["a", "Hello world"], {
      padding: true,
      pad_to_multiple_of: 4,
      return_offsets_mapping: true,
    });
    expect((out.input_ids as number[][])[0]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 68, 2]);
    expect((out.attention_mask as number[][])[0]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect((out.offset_mapping as [number, number][][])[0]!.slice(9)).toEqual([
      [0, 0],
      [0, 1],
      [0, 0],
    ]);
    expect(out.word_ids(0)).toEqual([null, null, null, null, null, null, null, null, null, null, 0, null]);
  });

  it("gives word and sequence ids per pre-token and per sequence", () => {
    const out = tok("Hello world", { text_pair: "a" });
    expect(out.word_ids()).toEqual([null, 0, 0, 0, 1, 1, 1, 1, null, null, 0, null]);
    expect(out.sequence_ids()).toEqual([null, 0, 0, 0, 0, 0, 0, 0, null, null, 1, null]);
  });

  it("decodes ids given as bigints, typed arrays or tensors alike", () => {
    const ids = [1, 43, 379, 390, 314, 279, 79, 71, 2];
    const expected = tok.decode(ids);
    expect(tok.decode(ids.map(BigInt))).toBe(expected);
    expect(tok.decode(Int32Array.from(ids))).toBe(expected);
    expect(tok.decode(new Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, ids.length]))).toBe(
      expected,
    );
    expect(
      tok.decode([1, 224, 17, 2], { skip_special_tokens: true, clean_up_tokenization_spaces: true }),
    ).toBe(".");
  });
});

describe("tokenizer.json components", () => {
  const roberta = (extra: Record<string, unknown> = {}) => {
    const json = tokenizerJson();
    json.post_processor = {
      type: "RobertaProcessing",
      sep: ["[SEP]", 2],
      cls: ["[CLS]", 1],
      trim_offsets: true,
      add_prefix_space: false,
      ...extra,
    };
    return fromJson(json);
  };

  it("RobertaProcessing: <s> A </s></s> B </s>, all type ids 0, spaces trimmed from offsets", () => {
    const out = roberta()("Hello world", { text_pair: "a b", return_offsets_mapping: true });
    expect(out.input_ids).toEqual([1, 43, 379, 390, 314, 279, 79, 71, 2, 2, 68, 294, 2]);
    expect(out.token_type_ids).toEqual(new Array(13).fill(0));
    // "Ġw" covers " w" (5..7) untrimmed; trimmed it starts at the "w".
    expect((out.offset_mapping as [number, number][])[4]).toEqual([6, 7]);
    expect((out.offset_mapping as [number, number][])[11]).toEqual([2, 3]);
    const untrimmed = roberta({ trim_offsets: false })("Hello world", { return_offsets_mapping: true });
    expect((untrimmed.offset_mapping as [number, number][])[4]).toEqual([5, 7]);
  });

  it("BertProcessing: [CLS] A [SEP] B [SEP] with type ids 0 then 1", () => {
    const json = tokenizerJson();
    json.post_processor = { type: "BertProcessing", sep: ["[SEP]", 2], cls: ["[CLS]", 1] };
    const out = fromJson(json)("a", { text_pair: "a" });
    expect(out.input_ids).toEqual([1, 68, 2, 68, 2]);
    expect(out.token_type_ids).toEqual([0, 0, 0, 1, 1]);
  });

  it("added tokens honour lstrip, rstrip and single_word", () => {
    const json = tokenizerJson();
    json.added_tokens.push(
      {
        id: 1200,
        content: "<l>",
        single_word: false,
        lstrip: true,
        rstrip: false,
        normalized: false,
        special: true,
      },
      {
        id: 1201,
        content: "<r>",
        single_word: false,
        lstrip: false,
        rstrip: true,
        normalized: false,
        special: true,
      },
      {
        id: 1202,
        content: "cat",
        single_word: true,
        lstrip: false,
        rstrip: false,
        normalized: true,
        special: false,
      },
    );
    const t = fromJson(json);
    const out = t("a  <l> b <r>  c", { return_offsets_mapping: true });
    expect(out.input_ids).toEqual([1, 68, 1200, 294, 224, 1201, 70, 2]);
    expect((out.offset_mapping as [number, number][])[2]).toEqual([1, 6]);
    expect((out.offset_mapping as [number, number][])[5]).toEqual([9, 14]);
    expect(t.encode("a cat", { add_special_tokens: false })).toEqual([68, 224, 1202]);
    expect(t.encode("concat", { add_special_tokens: false })).not.toContain(1202);
    expect(t.decode([68, 1200, 1201], { skip_special_tokens: true })).toBe("a");
    expect(t.decode([68, 1202], { skip_special_tokens: true })).toBe("acat");
  });
});
