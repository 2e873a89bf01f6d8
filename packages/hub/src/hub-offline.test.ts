import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hubCacheDir, tryLoadFromCache } from "./hub-cache.js";
import { type HubDownloadOptions, hfFileDownload } from "./hub-download.js";
import { resolveModel, resolveModelFiles } from "./hub-resolve.js";
import { caughtHub, fileHolds, gitBlobSha1, listTree, readFolder, sha256Hex } from "./hub-test-server.js";
import { readWeightsFromDir } from "./read-weights.js";
import { modelsDir } from "./test-support.js";

// A cache laid out by hand exactly as huggingface_hub (Python) lays it out.
const REPO = "microsoft/deberta-like";
const COMMIT = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
const files = readFolder(path.join(modelsDir(), "base-like", "seqcls"));
const onnx = new TextEncoder().encode("onnx bytes\n");

let tmp: string;
let cacheDir: string;

function buildPythonCache(root: string): void {
  const storage = path.join(root, "models--microsoft--deberta-like");
  mkdirSync(path.join(storage, "blobs"), { recursive: true });
  mkdirSync(path.join(storage, "refs"), { recursive: true });
  mkdirSync(path.join(storage, "snapshots", COMMIT, "onnx"), { recursive: true });
  mkdirSync(path.join(storage, ".no_exist", COMMIT), { recursive: true });
  writeFileSync(path.join(storage, "refs", "main"), COMMIT); // no newline, as Python writes it
  const put = (file: string, bytes: Uint8Array, etag: string) => {
    writeFileSync(path.join(storage, "blobs", etag), bytes);
    const depth = file.split("/").length;
    symlinkSync(
      ["..", "..", ...Array<string>(depth - 1).fill(".."), "blobs", etag].join("/"),
      path.join(storage, "snapshots", COMMIT, ...file.split("/")),
    );
  };
  put("config.json", files["config.json"]!, gitBlobSha1(files["config.json"]!));
  put("tokenizer.json", files["tokenizer.json"]!, gitBlobSha1(files["tokenizer.json"]!));
  put("model.safetensors", files["model.safetensors"]!, sha256Hex(files["model.safetensors"]!));
  put("onnx/model.onnx", onnx, gitBlobSha1(onnx));
  writeFileSync(path.join(storage, ".no_exist", COMMIT, "vocab.json"), "");
}

const noNetwork: typeof fetch = () => {
  throw new Error("the network must not be used offline");
};

beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "deberta-hub-offline-"));
  cacheDir = path.join(tmp, "hub");
  buildPythonCache(cacheDir);
});

afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function offline(extra: HubDownloadOptions = {}): HubDownloadOptions {
  return { cacheDir, env: { HF_HUB_OFFLINE: "1", HF_HOME: tmp }, fetch: noNetwork, ...extra };
}

const snapshot = (file: string) =>
  path.join(cacheDir, "models--microsoft--deberta-like", "snapshots", COMMIT, ...file.split("/"));

describe("offline mode over a cache laid out by huggingface_hub", () => {
  it("serves refs/main → snapshot → file, nested files included, without any request", async () => {
    expect(await hfFileDownload(REPO, "config.json", offline())).toBe(snapshot("config.json"));
    const model = await hfFileDownload(REPO, "model.safetensors", offline());
    expect(fileHolds(model, files["model.safetensors"]!)).toBe(true);
    const nested = await hfFileDownload(REPO, "onnx/model.onnx", offline());
    expect(fileHolds(nested, onnx)).toBe(true);
  });

  it.each(["1", "true", "TRUE", "yes", "Yes", "on"])("HF_HUB_OFFLINE=%s", async (value) => {
    const file = await hfFileDownload(REPO, "config.json", offline({ env: { HF_HUB_OFFLINE: value } }));
    expect(file).toBe(snapshot("config.json"));
  });

  it("localFilesOnly / local_files_only, and a commit hash as revision", async () => {
    const online = { cacheDir, env: { HF_HOME: tmp }, fetch: noNetwork };
    expect(await hfFileDownload(REPO, "config.json", { ...online, localFilesOnly: true })).toBe(
      snapshot("config.json"),
    );
    expect(await hfFileDownload(REPO, "config.json", { ...online, local_files_only: true })).toBe(
      snapshot("config.json"),
    );
    // A cached commit hash needs no request even online.
    expect(await hfFileDownload(REPO, "tokenizer.json", { ...online, revision: COMMIT })).toBe(
      snapshot("tokenizer.json"),
    );
  });

  it("finds the cache through HF_HUB_CACHE or HF_HOME", async () => {
    const viaHubCache = { env: { HF_HUB_OFFLINE: "1", HF_HUB_CACHE: cacheDir }, fetch: noNetwork };
    expect(await hfFileDownload(REPO, "config.json", viaHubCache)).toBe(snapshot("config.json"));
    // cacheDir is `<tmp>/hub`, so HF_HOME=<tmp> points at it.
    const viaHome = { env: { HF_HUB_OFFLINE: "1", HF_HOME: tmp }, fetch: noNetwork };
    expect(await hfFileDownload(REPO, "config.json", viaHome)).toBe(snapshot("config.json"));
    expect(await hubCacheDir({ env: { HF_HOME: "/x/hf" } })).toBe(path.resolve("/x/hf/hub"));
    expect(await hubCacheDir({ env: { XDG_CACHE_HOME: "/x/xdg" } })).toBe(
      path.resolve("/x/xdg/huggingface/hub"),
    );
    expect(await hubCacheDir({ env: {} })).toBe(path.join(os.homedir(), ".cache", "huggingface", "hub"));
    expect(await hubCacheDir({ cacheDir: "/c", env: { HF_HUB_CACHE: "/d" } })).toBe(path.resolve("/c"));
  });

  it("a missing file is HUB_OFFLINE_MISSING naming repo, revision, file and where it looked", async () => {
    const error = await caughtHub(() => hfFileDownload(REPO, "pytorch_model.bin", offline()));
    expect(error.code).toBe("HUB_OFFLINE_MISSING");
    expect([error.repo, error.revision, error.file]).toEqual([REPO, "main", "pytorch_model.bin"]);
    expect(error.message).toContain(REPO);
    expect(error.message).toContain('revision "main"');
    expect(error.message).toContain(snapshot("pytorch_model.bin"));
    expect(error.message).toContain("HF_HUB_OFFLINE");

    const noRef = await caughtHub(() => hfFileDownload(REPO, "config.json", offline({ revision: "v2" })));
    expect(noRef.code).toBe("HUB_OFFLINE_MISSING");
    expect(noRef.message).toContain(path.join("models--microsoft--deberta-like", "refs", "v2"));

    const known = await caughtHub(() => hfFileDownload(REPO, "vocab.json", offline()));
    expect(known.message).toMatch(/does not exist at that commit/);

    const otherRepo = await caughtHub(() => hfFileDownload("someone/else", "config.json", offline()));
    expect(otherRepo.code).toBe("HUB_OFFLINE_MISSING");
    expect(otherRepo.message).toContain("models--someone--else");
  });

  it("resolveModelFiles gives the snapshot folder, whose weights read as the fixture's", async () => {
    const resolved = await resolveModel(REPO, offline());
    expect(resolved.dir).toBe(path.dirname(snapshot("config.json")));
    expect(resolved.files).toEqual(["config.json", "tokenizer.json", "model.safetensors"]);
    expect(resolved.weights).toEqual(["model.safetensors"]);
    const fromCache = await readWeightsFromDir(await resolveModelFiles(REPO, offline()));
    const local = await readWeightsFromDir(path.join(modelsDir(), "base-like", "seqcls"));
    expect([...fromCache.keys()]).toEqual([...local.keys()]);
    expect(listTree(resolved.dir)).toContain("onnx/model.onnx");
  });

  it("tryLoadFromCache", async () => {
    expect(await tryLoadFromCache(REPO, "config.json", { cacheDir })).toBe(snapshot("config.json"));
    expect(await tryLoadFromCache(REPO, "config.json", { cacheDir, revision: COMMIT })).toBe(
      snapshot("config.json"),
    );
    expect(await tryLoadFromCache(REPO, "nope.json", { cacheDir })).toBeUndefined();
    expect(await tryLoadFromCache(REPO, "config.json", { cacheDir, revision: "v2" })).toBeUndefined();
  });
});
