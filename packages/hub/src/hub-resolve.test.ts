import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseModelRef, type ResolveModelOptions, resolveModel, resolveModelFiles } from "./hub-resolve.js";
import { caughtHub, fileHolds, HubTestServer, listTree, readFolder, TEST_COMMIT } from "./hub-test-server.js";
import { readWeightsFromDir } from "./read-weights.js";
import { readSafetensors, type SafetensorsInput, writeSafetensors } from "./safetensors.js";
import { fixturesDir, modelsDir } from "./test-support.js";

const seqclsDir = path.join(modelsDir(), "base-like", "seqcls");
const seqcls = readFolder(seqclsDir);
const seqclsBin = readFolder(path.join(modelsDir(), "base-like", "seqcls-bin"));
// A DeBERTa-v3 repository as microsoft/deberta-v3-* lay it out: spm.model + tokenizer_config.json, no tokenizer.json.
const v3Dir = path.join(fixturesDir(), "deberta-v2", "models", "v3-like", "ForSequenceClassification");
const spmDir = path.join(fixturesDir(), "deberta-v2", "tokenizer-spm");
const v3 = {
  "config.json": readFileSync(path.join(v3Dir, "config.json")),
  "model.safetensors": readFileSync(path.join(v3Dir, "model.safetensors")),
  "spm.model": readFileSync(path.join(spmDir, "spm.model")),
  "tokenizer_config.json": readFileSync(path.join(spmDir, "tokenizer_config.json")),
};

/** seqcls's weights split into two safetensors shards with an index, as transformers writes them. */
function sharded(): Record<string, Uint8Array> {
  const tensors = readSafetensors(seqcls["model.safetensors"]!, "model.safetensors");
  const shards: Map<string, SafetensorsInput>[] = [new Map(), new Map()];
  const weightMap: Record<string, string> = {};
  [...tensors].forEach(([key, tensor], i) => {
    shards[i % 2]!.set(key, {
      dtype: tensor.storedDtype,
      shape: tensor.shape,
      data: tensor.data as Float32Array,
    });
    weightMap[key] = `model-0000${(i % 2) + 1}-of-00002.safetensors`;
  });
  const index = { metadata: { total_size: 0 }, weight_map: weightMap };
  return {
    "config.json": seqcls["config.json"]!,
    "tokenizer.json": seqcls["tokenizer.json"]!,
    "model.safetensors.index.json": new TextEncoder().encode(JSON.stringify(index)),
    "model-00001-of-00002.safetensors": writeSafetensors(shards[0]!),
    "model-00002-of-00002.safetensors": writeSafetensors(shards[1]!),
  };
}

let server: HubTestServer;
let tmp: string;
let cacheDir: string;

beforeEach(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "deberta-hub-resolve-"));
  cacheDir = path.join(tmp, "cache");
  server = await HubTestServer.start({
    repos: {
      "deberta-test/seqcls": { files: seqcls },
      "deberta-test/sharded": { files: sharded() },
      "deberta-test/torch": { files: seqclsBin },
      "deberta-test/no-weights": { files: { "config.json": seqcls["config.json"]! } },
      "deberta-test/v3": { files: v3 },
    },
    folders: { seqcls },
  });
});

afterEach(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

function options(extra: ResolveModelOptions = {}): ResolveModelOptions {
  return {
    endpoint: server.url,
    cacheDir,
    env: { HF_HOME: path.join(tmp, "hf-home") },
    retryBaseMs: 5,
    retryMaxMs: 40,
    lockPollMs: 10,
    lockTimeoutMs: 10_000,
    ...extra,
  };
}

async function sameWeights(dir: string, reference: string): Promise<void> {
  const got = await readWeightsFromDir(dir);
  const want = await readWeightsFromDir(reference);
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [key, tensor] of want) {
    expect(got.get(key)!.shape).toEqual(tensor.shape);
    const bytes = (data: unknown) => {
      const view = data as Float32Array;
      return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
    };
    expect(bytes(got.get(key)!.data).equals(bytes(tensor.data))).toBe(true);
  }
}

describe("resolveModelFiles from a Hub id", () => {
  it("downloads config.json, the tokenizer files that exist, and model.safetensors into one snapshot", async () => {
    const events: string[] = [];
    const resolved = await resolveModel(
      "deberta-test/seqcls",
      options({ onProgress: (e) => events.push(e.file) }),
    );
    const snapshotDir = path.join(cacheDir, "models--deberta-test--seqcls", "snapshots", TEST_COMMIT);
    expect(resolved).toMatchObject({
      kind: "cache",
      dir: snapshotDir,
      commit: TEST_COMMIT,
      revision: "main",
    });
    expect(resolved.files).toEqual([
      "config.json",
      "tokenizer.json",
      "tokenizer_config.json",
      "model.safetensors",
    ]);
    expect(resolved.weights).toEqual(["model.safetensors"]);
    expect(listTree(snapshotDir)).toEqual([
      "config.json",
      "model.safetensors",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    await sameWeights(snapshotDir, seqclsDir);
    // After config.json, every request names the commit, so all files come from one snapshot.
    const paths = server.requests.map((r) => r.path).filter((p) => p.includes("/resolve/"));
    expect(paths[0]).toBe("/deberta-test/seqcls/resolve/main/config.json");
    expect(paths.slice(2).every((p) => p.includes(`/resolve/${TEST_COMMIT}/`))).toBe(true);
    // Optional files: one HEAD each (a 404), no GET; no pytorch_model.bin asked for.
    for (const missing of [
      "spm.model",
      "vocab.json",
      "merges.txt",
      "special_tokens_map.json",
      "added_tokens.json",
    ]) {
      expect(server.matching("HEAD", missing)).toHaveLength(1);
      expect(server.matching("GET", missing)).toHaveLength(0);
    }
    expect(server.matching("HEAD", "pytorch_model.bin")).toHaveLength(0);
    expect(new Set(events)).toEqual(
      new Set(["config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"]),
    );

    // Again: one HEAD for config.json; the rest, present or known missing (.no_exist), needs no request.
    const before = server.requests.length;
    expect(await resolveModelFiles("deberta-test/seqcls", options())).toBe(snapshotDir);
    expect(server.requests.slice(before).map((r) => `${r.method} ${r.file}`)).toEqual(["HEAD config.json"]);
  });

  it("a DeBERTa-v3 repository: spm.model comes with config.json, tokenizer_config.json and the weights", async () => {
    const resolved = await resolveModel("deberta-test/v3", options());
    expect(resolved.files).toEqual([
      "config.json",
      "tokenizer_config.json",
      "spm.model",
      "model.safetensors",
    ]);
    expect(listTree(resolved.dir)).toEqual([
      "config.json",
      "model.safetensors",
      "spm.model",
      "tokenizer_config.json",
    ]);
    expect(fileHolds(path.join(resolved.dir, "spm.model"), v3["spm.model"])).toBe(true);
    // The absent optional files (v1's among them) cost one HEAD each and no GET.
    for (const missing of ["tokenizer.json", "vocab.json", "merges.txt", "special_tokens_map.json"]) {
      expect(server.matching("HEAD", missing)).toHaveLength(1);
      expect(server.matching("GET", missing)).toHaveLength(0);
    }
    // Offline, the cached snapshot has it all again.
    const offline = await resolveModel("deberta-test/v3", options({ localFilesOnly: true }));
    expect(offline.files).toEqual(resolved.files);
  });

  it("takes model.safetensors.index.json and its shards", async () => {
    const resolved = await resolveModel("deberta-test/sharded", options());
    expect(resolved.weights).toEqual([
      "model.safetensors.index.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
    ]);
    await sameWeights(resolved.dir, seqclsDir);
  });

  it("falls back to pytorch_model.bin after the safetensors candidates 404", async () => {
    const resolved = await resolveModel("deberta-test/torch", options());
    expect(resolved.weights).toEqual(["pytorch_model.bin"]);
    expect(server.matching("HEAD", "model.safetensors")).toHaveLength(1);
    expect(server.matching("HEAD", "model.safetensors.index.json")).toHaveLength(1);
    expect(server.matching("HEAD", "pytorch_model.bin.index.json")).toHaveLength(0);
    await sameWeights(resolved.dir, seqclsDir);
  });

  it("no weights at all: HUB_NOT_FOUND naming every candidate", async () => {
    const error = await caughtHub(() => resolveModelFiles("deberta-test/no-weights", options()));
    expect(error.code).toBe("HUB_NOT_FOUND");
    expect(error.repo).toBe("deberta-test/no-weights");
    for (const name of [
      "model.safetensors",
      "model.safetensors.index.json",
      "pytorch_model.bin",
      "pytorch_model.bin.index.json",
    ]) {
      expect(error.message).toContain(name);
    }
  });

  it("a missing config.json is an error; files and extraFiles choose what is fetched", async () => {
    expect((await caughtHub(() => resolveModelFiles("deberta-test/nope", options()))).code).toBe(
      "HUB_NOT_FOUND",
    );
    const only = await resolveModel(
      "deberta-test/sharded",
      options({ files: ["model.safetensors.index.json"] }),
    );
    expect(only.files).toEqual([
      "model.safetensors.index.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
    ]);
    const error = await caughtHub(() =>
      resolveModelFiles("deberta-test/seqcls", options({ files: ["vocab.json"] })),
    );
    expect(error.code).toBe("HUB_NOT_FOUND");
    expect(error.file).toBe("vocab.json");
    const extra = await resolveModel(
      "deberta-test/seqcls",
      options({ extraFiles: ["expected.safetensors", "spm.model"] }),
    );
    expect(extra.files).toContain("expected.safetensors");
    expect(extra.files).not.toContain("spm.model");
  });

  it("serves the cache when the Hub cannot be reached", async () => {
    const dir = await resolveModelFiles("deberta-test/seqcls", options());
    const port = new URL(server.url).port;
    await server.close();
    server = await HubTestServer.start({ repos: {} });
    const resolved = await resolveModel(
      "deberta-test/seqcls",
      options({ endpoint: `http://127.0.0.1:${port}` }),
    );
    expect(resolved.dir).toBe(dir);
    expect(resolved.usedCacheFallback).toBe(true);
    expect(resolved.weights).toEqual(["model.safetensors"]);
  });
});

describe("resolveModelFiles from a local folder or a URL", () => {
  it("returns a local folder as given, without any request", async () => {
    expect(await resolveModelFiles(seqclsDir, options())).toBe(seqclsDir);
    const relative = path.relative(process.cwd(), seqclsDir);
    expect(await resolveModelFiles(relative, options())).toBe(relative);
    expect(server.requests).toEqual([]);
  });

  it("downloads an http(s) folder into models--url--{sha256(url)[:16]}", async () => {
    const url = `${server.url}/plain/seqcls`;
    const resolved = await resolveModel(url, options());
    const key = createHash("sha256").update(`${url}/`).digest("hex").slice(0, 16);
    const storage = path.join(cacheDir, `models--url--${key}`);
    expect(resolved.dir).toBe(path.join(storage, "snapshots", "url"));
    expect(resolved.files).toEqual([
      "config.json",
      "tokenizer.json",
      "tokenizer_config.json",
      "model.safetensors",
    ]);
    expect(fileHolds(path.join(resolved.dir, "model.safetensors"), seqcls["model.safetensors"]!)).toBe(true);
    expect(readFileSync(path.join(storage, "refs", "main"), "utf8")).toBe("url");
    // The weak ETag W/"..." names the blob without W/ and quotes.
    expect(listTree(path.join(storage, "blobs")).every((name) => /^[0-9a-f]{16}-plain$/.test(name))).toBe(
      true,
    );
    expect(existsSync(path.join(storage, "blobs"))).toBe(true);
    await sameWeights(resolved.dir, seqclsDir);
  });
});

describe("parseModelRef", () => {
  it("tells folders, URLs and Hub ids apart, and rejects the rest with HUB_BAD_REFERENCE", async () => {
    expect(await parseModelRef("microsoft/deberta-base")).toEqual({
      kind: "hub",
      value: "microsoft/deberta-base",
    });
    expect(await parseModelRef("gpt2")).toEqual({ kind: "hub", value: "gpt2" });
    expect(await parseModelRef("https://example.com/models/x?sig=1")).toEqual({
      kind: "url",
      value: "https://example.com/models/x/",
    });
    expect(await parseModelRef(seqclsDir)).toEqual({ kind: "local", value: seqclsDir });
    for (const bad of [
      "a/b/c",
      "../x",
      "",
      "  ",
      "./missing-folder",
      "/no/such/folder",
      "ftp://x/y",
      "a--b",
    ]) {
      const error = await caughtHub(() => parseModelRef(bad));
      expect(error.code).toBe("HUB_BAD_REFERENCE");
      expect(error.message).toContain(JSON.stringify(bad));
    }
    const file = await caughtHub(() => parseModelRef(path.join(seqclsDir, "config.json")));
    expect(file.message).toMatch(/is a file/);
  });
});
