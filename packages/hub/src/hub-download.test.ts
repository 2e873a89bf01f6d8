import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type HubDownloadOptions, type HubProgressEvent, hfFileDownload } from "./hub-download.js";
import {
  caughtHub,
  fileHolds,
  gitBlobSha1,
  HubTestServer,
  readFolder,
  sha256Hex,
  TEST_COMMIT,
} from "./hub-test-server.js";
import { modelsDir } from "./test-support.js";

const REPO = "deberta-test/seqcls";
const FOLDER = "models--deberta-test--seqcls";
const files = readFolder(path.join(modelsDir(), "base-like", "seqcls"));
const model = files["model.safetensors"]!;
const config = files["config.json"]!;
const modelSha = sha256Hex(model);
const nestedOnnx = new TextEncoder().encode("not really onnx, but bytes all the same\n".repeat(100));

let server: HubTestServer;
let tmp: string;
let cacheDir: string;
const extraServers: HubTestServer[] = [];

beforeEach(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "deberta-hub-"));
  cacheDir = path.join(tmp, "cache");
  server = await HubTestServer.start({
    repos: {
      [REPO]: { files },
      "deberta-test/nested": { files: { "config.json": config, "onnx/model.onnx": nestedOnnx } },
    },
    renames: { "deberta-test/old-name": REPO },
  });
});

afterEach(async () => {
  await server.close();
  for (const extra of extraServers.splice(0)) await extra.close();
  rmSync(tmp, { recursive: true, force: true });
});

function options(extra: HubDownloadOptions = {}): HubDownloadOptions {
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

const storage = () => path.join(cacheDir, FOLDER);
const blobsDir = () => path.join(storage(), "blobs");
const snapshot = (file: string) => path.join(storage(), "snapshots", TEST_COMMIT, ...file.split("/"));

function expectMonotone(events: HubProgressEvent[], size: number): void {
  expect(events.length).toBeGreaterThan(0);
  for (let i = 1; i < events.length; i++)
    expect(events[i]!.loaded).toBeGreaterThanOrEqual(events[i - 1]!.loaded);
  const last = events.at(-1)!;
  expect(last.loaded).toBe(size);
  expect(last.total).toBe(size);
  for (const event of events) {
    expect(event.loaded).toBeLessThanOrEqual(size);
    if (event.total !== undefined) expect(event.total).toBe(size);
  }
}

describe("hfFileDownload: the cache layout of huggingface_hub", () => {
  it("stores a regular file as blobs/{git sha1}, a relative symlink in snapshots/{commit}, refs/main", async () => {
    const file = await hfFileDownload(REPO, "config.json", options());
    expect(file).toBe(snapshot("config.json"));
    const blob = gitBlobSha1(config);
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    expect(readlinkSync(file)).toBe(path.join("..", "..", "blobs", blob));
    expect(fileHolds(file, config)).toBe(true);
    expect(readdirSync(blobsDir())).toEqual([blob]);
    expect(readFileSync(path.join(storage(), "refs", "main"), "utf8")).toBe(TEST_COMMIT);
    expect(existsSync(path.join(cacheDir, "CACHEDIR.TAG"))).toBe(true);
  });

  it("stores an LFS file as blobs/{sha256}: HEAD stops at the 302, GET follows it to the blob URL", async () => {
    const file = await hfFileDownload(REPO, "model.safetensors", options());
    expect(readlinkSync(file)).toBe(path.join("..", "..", "blobs", modelSha));
    expect(fileHolds(file, model)).toBe(true);
    expect(server.matching("HEAD", "model.safetensors").map((r) => r.path)).toEqual([
      `/${REPO}/resolve/main/model.safetensors`,
    ]);
    expect(server.matching("GET", "model.safetensors").map((r) => r.path)).toEqual([
      `/${REPO}/resolve/main/model.safetensors`,
      `/blobs/${modelSha}`,
    ]);
  });

  it("reads the size of an LFS file from a HEAD answered with 200 too", async () => {
    await server.close();
    server = await HubTestServer.start({ repos: { [REPO]: { files } }, lfsHeadRedirect: false });
    const events: HubProgressEvent[] = [];
    const file = await hfFileDownload(
      REPO,
      "model.safetensors",
      options({ onProgress: (e) => events.push(e) }),
    );
    expect(fileHolds(file, model)).toBe(true);
    expectMonotone(events, model.length);
  });

  it("gives nested files one more ../ per folder", async () => {
    const file = await hfFileDownload("deberta-test/nested", "onnx/model.onnx", options());
    expect(file).toBe(
      path.join(cacheDir, "models--deberta-test--nested", "snapshots", TEST_COMMIT, "onnx", "model.onnx"),
    );
    expect(readlinkSync(file)).toBe(path.join("..", "..", "..", "blobs", gitBlobSha1(nestedOnnx)));
    expect(fileHolds(file, nestedOnnx)).toBe(true);
  });

  it("follows a relative redirect (a renamed repository), caching under the name asked for", async () => {
    const file = await hfFileDownload("deberta-test/old-name", "config.json", options());
    expect(file).toBe(
      path.join(cacheDir, "models--deberta-test--old-name", "snapshots", TEST_COMMIT, "config.json"),
    );
    expect(fileHolds(file, config)).toBe(true);
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "HEAD /deberta-test/old-name/resolve/main/config.json",
      `HEAD /${REPO}/resolve/main/config.json`,
      "GET /deberta-test/old-name/resolve/main/config.json",
      `GET /${REPO}/resolve/main/config.json`,
    ]);
  });

  it("copies the blob instead of linking it when symlinks are off", async () => {
    const file = await hfFileDownload(REPO, "config.json", options({ symlinks: false }));
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(fileHolds(file, config)).toBe(true);
    expect(existsSync(path.join(blobsDir(), gitBlobSha1(config)))).toBe(true);
  });

  it("serves a cached file after one HEAD, and a cached commit hash without any request", async () => {
    await hfFileDownload(REPO, "model.safetensors", options());
    const before = server.requests.length;
    const events: HubProgressEvent[] = [];
    const again = await hfFileDownload(
      REPO,
      "model.safetensors",
      options({ onProgress: (e) => events.push(e) }),
    );
    expect(again).toBe(snapshot("model.safetensors"));
    expect(server.requests.slice(before).map((r) => r.method)).toEqual(["HEAD"]);
    expect(events).toEqual([
      { repo: REPO, file: "model.safetensors", loaded: model.length, total: model.length, cached: true },
    ]);
    const pinned = await hfFileDownload(REPO, "model.safetensors", options({ revision: TEST_COMMIT }));
    expect(pinned).toBe(again);
    expect(server.requests.length).toBe(before + 1);
  });

  it("reports progress: monotone, ending with loaded == total", async () => {
    server.faults.push({ kind: "slow", file: "model.safetensors", chunkBytes: 16_384, delayMs: 1 });
    const events: HubProgressEvent[] = [];
    await hfFileDownload(REPO, "model.safetensors", options({ onProgress: (e) => events.push(e) }));
    expect(events.length).toBeGreaterThan(5);
    expectMonotone(events, model.length);
    expect(events.every((e) => e.file === "model.safetensors" && e.repo === REPO && !e.cached)).toBe(true);
  });
});

describe("hfFileDownload: interrupted downloads", () => {
  it("resumes with Range after the connection drops mid-file, byte-identical", async () => {
    server.faults.push({ kind: "drop", file: "model.safetensors", afterBytes: 100_000, times: 1 });
    const events: HubProgressEvent[] = [];
    const file = await hfFileDownload(
      REPO,
      "model.safetensors",
      options({ onProgress: (e) => events.push(e) }),
    );
    expect(fileHolds(file, model)).toBe(true);
    const blobGets = server.matching("GET", "model.safetensors", "/blobs/");
    expect(blobGets).toHaveLength(2);
    expect(blobGets[0]!.range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(blobGets[1]!.range ?? "")?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(100_000);
    // The Range header goes through the redirect too.
    expect(server.matching("GET", "model.safetensors", `/${REPO}/`)[1]!.range).toBe(`bytes=${resumedAt}-`);
    expectMonotone(events, model.length);
    expect(readdirSync(blobsDir())).toEqual([modelSha]);
  });

  it("restarts from 0 when the server answers a Range request with 200", async () => {
    server.faults.push({ kind: "drop", file: "model.safetensors", afterBytes: 150_000, times: 1 });
    server.faults.push({ kind: "ignoreRange", file: "model.safetensors", times: 1 });
    const events: HubProgressEvent[] = [];
    const file = await hfFileDownload(
      REPO,
      "model.safetensors",
      options({ onProgress: (e) => events.push(e) }),
    );
    expect(fileHolds(file, model)).toBe(true);
    expect(server.matching("GET", "model.safetensors", "/blobs/")[1]!.range).toMatch(/^bytes=\d+-$/);
    expectMonotone(events, model.length);
  });

  it("keeps the .incomplete file when aborted, and a later call resumes it", async () => {
    server.faults.push({ kind: "slow", file: "model.safetensors", chunkBytes: 16_384, delayMs: 20 });
    const controller = new AbortController();
    const aborted = hfFileDownload(
      REPO,
      "model.safetensors",
      options({ signal: controller.signal, onProgress: (e) => e.loaded > 40_000 && controller.abort() }),
    );
    await expect(aborted).rejects.toMatchObject({ name: "AbortError" });
    const partial = path.join(blobsDir(), `${modelSha}.incomplete`);
    expect(existsSync(partial)).toBe(true);
    expect(existsSync(path.join(blobsDir(), `${modelSha}.lock`))).toBe(false);
    expect(existsSync(snapshot("model.safetensors"))).toBe(false);
    server.faults = [];
    const file = await hfFileDownload(REPO, "model.safetensors", options());
    expect(fileHolds(file, model)).toBe(true);
    expect(server.matching("GET", "model.safetensors", "/blobs/").at(-1)!.range).toMatch(/^bytes=[1-9]\d*-$/);
  });

  it("downloads again from 0 when bytes kept from an earlier download are corrupt", async () => {
    mkdirSync(blobsDir(), { recursive: true });
    const bad = model.slice(0, 50_000);
    bad[10] = bad[10]! ^ 1;
    writeFileSync(path.join(blobsDir(), `${modelSha}.incomplete`), bad);
    const file = await hfFileDownload(REPO, "model.safetensors", options());
    expect(fileHolds(file, model)).toBe(true);
    expect(readdirSync(blobsDir())).toEqual([modelSha]);
  });
});

describe("hfFileDownload: errors", () => {
  it("404: HUB_NOT_FOUND naming repo, revision and file; .no_exist recorded as Python does", async () => {
    const error = await caughtHub(() => hfFileDownload(REPO, "missing.json", options()));
    expect(error.code).toBe("HUB_NOT_FOUND");
    expect([error.repo, error.revision, error.file, error.status]).toEqual([
      REPO,
      "main",
      "missing.json",
      404,
    ]);
    expect(error.message).toContain(REPO);
    expect(error.message).toContain('"main"');
    expect(error.message).toContain("missing.json");
    expect(existsSync(path.join(storage(), ".no_exist", TEST_COMMIT, "missing.json"))).toBe(true);
    expect(readFileSync(path.join(storage(), "refs", "main"), "utf8")).toBe(TEST_COMMIT);

    const repo = await caughtHub(() => hfFileDownload("deberta-test/nope", "config.json", options()));
    expect(repo.code).toBe("HUB_NOT_FOUND");
    expect(repo.message).toMatch(/repository not found/);
    const revision = await caughtHub(() => hfFileDownload(REPO, "config.json", options({ revision: "v9" })));
    expect(revision.code).toBe("HUB_NOT_FOUND");
    expect(revision.message).toMatch(/revision not found/);
    expect(revision.revision).toBe("v9");
  });

  it("401: HUB_UNAUTHORIZED saying a token may be needed (HF_TOKEN); the token goes as Bearer", async () => {
    await server.close();
    server = await HubTestServer.start({ repos: { [REPO]: { files } }, requireToken: "hf_secret" });
    const error = await caughtHub(() => hfFileDownload(REPO, "config.json", options()));
    expect(error.code).toBe("HUB_UNAUTHORIZED");
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/token may be needed/);
    expect(error.message).toContain("HF_TOKEN");
    expect(error.message).toContain(REPO);
    expect(server.requests[0]!.authorization).toBeUndefined();

    const refused = await caughtHub(() =>
      hfFileDownload(REPO, "config.json", options({ token: "hf_wrong" })),
    );
    expect(refused.code).toBe("HUB_UNAUTHORIZED");
    expect(refused.message).toMatch(/token sent was refused/);

    await hfFileDownload(REPO, "config.json", options({ token: "hf_secret" }));
    expect(server.requests.at(-1)!.authorization).toBe("Bearer hf_secret");
    await hfFileDownload(REPO, "tokenizer.json", options({ env: { HF_HOME: tmp, HF_TOKEN: "hf_secret" } }));
    expect(server.requests.at(-1)!.authorization).toBe("Bearer hf_secret");
    // the token file of `huggingface-cli login`
    writeFileSync(path.join(tmp, "token"), "hf_secret\n");
    await hfFileDownload(REPO, "tokenizer_config.json", options({ env: { HF_HOME: tmp } }));
    expect(server.requests.at(-1)!.authorization).toBe("Bearer hf_secret");
  });

  it("never sends the token to another host after a redirect", async () => {
    await server.close();
    server = await HubTestServer.start({ repos: { [REPO]: { files } }, requireToken: "hf_secret" });
    const cdn = await HubTestServer.start({ repos: { [REPO]: { files } } });
    extraServers.push(cdn);
    server.blobBaseUrl = cdn.localhostUrl;
    const file = await hfFileDownload(REPO, "model.safetensors", options({ token: "hf_secret" }));
    expect(fileHolds(file, model)).toBe(true);
    expect(server.requests.map((r) => r.authorization)).toEqual(["Bearer hf_secret", "Bearer hf_secret"]);
    const cdnGets = cdn.matching("GET", "model.safetensors");
    expect(cdnGets).toHaveLength(1);
    expect(cdnGets[0]!.host).toBe(`localhost:${new URL(cdn.url).port}`);
    expect(cdnGets[0]!.authorization).toBeUndefined();
  });

  it("retries a 500 (HEAD) and a 503 (GET), then succeeds", async () => {
    server.faults.push({ kind: "status", file: "config.json", status: 500, times: 2, method: "HEAD" });
    server.faults.push({ kind: "status", file: "config.json", status: 503, times: 1, method: "GET" });
    const file = await hfFileDownload(REPO, "config.json", options());
    expect(fileHolds(file, config)).toBe(true);
    expect(server.matching("HEAD", "config.json")).toHaveLength(3);
    expect(server.matching("GET", "config.json")).toHaveLength(2);
  });

  it("gives up after maxTries 5xx with HUB_NETWORK", async () => {
    server.faults.push({ kind: "status", file: "config.json", status: 502 });
    const error = await caughtHub(() => hfFileDownload(REPO, "config.json", options()));
    expect(error.code).toBe("HUB_NETWORK");
    expect(error.message).toMatch(/HTTP 502.*after 5 tries/);
    expect(error.message).toContain("not in the cache either");
    expect(server.matching("HEAD", "config.json")).toHaveLength(5);
  });

  it("a refused connection is HUB_NETWORK", async () => {
    const port = new URL(server.url).port;
    await server.close();
    server = await HubTestServer.start({ repos: {} });
    const error = await caughtHub(() =>
      hfFileDownload(REPO, "config.json", options({ endpoint: `http://127.0.0.1:${port}`, maxTries: 2 })),
    );
    expect(error.code).toBe("HUB_NETWORK");
    expect(error.message).toContain("config.json");
  });

  it("falls back to the cache at once when the Hub fails, as Python does", async () => {
    await hfFileDownload(REPO, "config.json", options());
    server.faults.push({ kind: "status", file: "config.json", status: 500 });
    const before = server.requests.length;
    const file = await hfFileDownload(REPO, "config.json", options());
    expect(file).toBe(snapshot("config.json"));
    expect(server.requests.length).toBe(before + 1);
  });

  it("a corrupt LFS download is HUB_CHECKSUM naming the file, and nothing is kept", async () => {
    server.faults.push({ kind: "corrupt", file: "model.safetensors" });
    const error = await caughtHub(() => hfFileDownload(REPO, "model.safetensors", options()));
    expect(error.code).toBe("HUB_CHECKSUM");
    expect(error.file).toBe("model.safetensors");
    expect(error.message).toContain("model.safetensors");
    expect(error.message).toContain(modelSha);
    expect(readdirSync(blobsDir())).toEqual([]);
    expect(existsSync(path.join(storage(), "snapshots"))).toBe(false);
  });

  it("rejects invalid references with HUB_BAD_REFERENCE before any request", async () => {
    for (const repo of ["a/b/c", "../x", "", "a--b", "-x", "x.", "org/na me", "x.git"]) {
      const error = await caughtHub(() => hfFileDownload(repo, "config.json", options()));
      expect(error.code).toBe("HUB_BAD_REFERENCE");
      expect(error.repo).toBe(repo);
    }
    for (const file of ["../x", "/etc/passwd", "a//b", "a\\b", "", "C:x", "a/./b"]) {
      expect((await caughtHub(() => hfFileDownload(REPO, file, options()))).code).toBe("HUB_BAD_REFERENCE");
    }
    for (const revision of ["..", "a/../b", "", "/main"]) {
      expect((await caughtHub(() => hfFileDownload(REPO, "config.json", options({ revision })))).code).toBe(
        "HUB_BAD_REFERENCE",
      );
    }
    expect(server.requests).toEqual([]);
  });
});

describe("hfFileDownload: concurrency and locks", () => {
  it("two concurrent calls for the same file: one GET, one blob, identical content", async () => {
    server.faults.push({ kind: "slow", file: "model.safetensors", chunkBytes: 16_384, delayMs: 3 });
    const [a, b] = await Promise.all([
      hfFileDownload(REPO, "model.safetensors", options()),
      hfFileDownload(REPO, "model.safetensors", options()),
    ]);
    expect(a).toBe(b);
    expect(fileHolds(a, model)).toBe(true);
    expect(server.matching("GET", "model.safetensors", "/blobs/")).toHaveLength(1);
    expect(readdirSync(blobsDir())).toEqual([modelSha]);
  });

  it("breaks a stale lock", async () => {
    mkdirSync(blobsDir(), { recursive: true });
    const lock = path.join(blobsDir(), `${modelSha}.lock`);
    writeFileSync(lock, "otherhost:1234:dead");
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(lock, hourAgo, hourAgo);
    const file = await hfFileDownload(REPO, "model.safetensors", options());
    expect(fileHolds(file, model)).toBe(true);
    expect(readdirSync(blobsDir())).toEqual([modelSha]);
  });

  it("waits for a fresh lock, then reuses the blob its holder finished", async () => {
    mkdirSync(blobsDir(), { recursive: true });
    const lock = path.join(blobsDir(), `${modelSha}.lock`);
    writeFileSync(lock, "otherhost:1234:alive");
    setTimeout(() => {
      writeFileSync(path.join(blobsDir(), `${modelSha}.incomplete`), model);
      renameSync(path.join(blobsDir(), `${modelSha}.incomplete`), path.join(blobsDir(), modelSha));
      rmSync(lock);
    }, 150);
    const file = await hfFileDownload(REPO, "model.safetensors", options());
    expect(fileHolds(file, model)).toBe(true);
    expect(server.matching("GET", "model.safetensors")).toHaveLength(0);
  });

  it("HUB_LOCKED when a fresh lock outlives lockTimeoutMs", async () => {
    mkdirSync(blobsDir(), { recursive: true });
    const lock = path.join(blobsDir(), `${modelSha}.lock`);
    writeFileSync(lock, "otherhost:1234:alive");
    const error = await caughtHub(() =>
      hfFileDownload(REPO, "model.safetensors", options({ lockTimeoutMs: 100 })),
    );
    expect(error.code).toBe("HUB_LOCKED");
    expect(error.message).toContain(lock);
    expect(error.message).toContain("otherhost:1234:alive");
    expect(error.file).toBe("model.safetensors");
  });
});
