import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hfFileDownload } from "./hub-download.js";
import { resolveModelFiles } from "./hub-resolve.js";
import { fileHolds, HubTestServer, listTree, readFolder, TEST_COMMIT } from "./hub-test-server.js";
import { modelsDir } from "./test-support.js";

// The same cache, written by one side and read by the other, with the real huggingface_hub (Python). Runs when
// `$DEBERTA_HF_PYTHON` (default `python3`) can import huggingface_hub; skipped otherwise.
const python = process.env.DEBERTA_HF_PYTHON ?? "python3";
let version: string | undefined;
try {
  version = execFileSync(python, ["-c", "import huggingface_hub; print(huggingface_hub.__version__)"], {
    encoding: "utf8",
    timeout: 20_000,
    stdio: ["ignore", "pipe", "ignore"],
  }).trim();
} catch {
  version = undefined;
}
const title = (what: string) =>
  version === undefined
    ? `${what} (skipped: ${python} cannot import huggingface_hub)`
    : `${what} (huggingface_hub ${version})`;

const REPO = "org/model";
const files = readFolder(path.join(modelsDir(), "base-like", "seqcls"));
const repoFiles: Record<string, Uint8Array> = { ...files, "sub/extra.json": files["config.json"]! };

let server: HubTestServer;
let tmp: string;

beforeEach(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "deberta-hub-python-"));
  server = await HubTestServer.start({ repos: { [REPO]: { files: repoFiles } } });
  server.blobBaseUrl = server.localhostUrl; // LFS files on "another host", as on the Hub
});

afterEach(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs Python asynchronously (the test server lives in this process), returns stdout. */
function py(code: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      ["-c", code],
      {
        encoding: "utf8",
        timeout: 60_000,
        env: {
          PATH: process.env.PATH ?? "",
          HF_HUB_DISABLE_TELEMETRY: "1",
          HF_HOME: path.join(tmp, "home"),
          ...env,
        },
      },
      (error, stdout, stderr) => (error ? reject(new Error(stderr, { cause: error })) : resolve(stdout)),
    );
  });
}

describe("one cache shared with huggingface_hub", () => {
  it.skipIf(version === undefined)(title("Python writes, TypeScript reads offline"), async () => {
    const cacheDir = path.join(tmp, "py-cache");
    const printed = await py(
      `from huggingface_hub import hf_hub_download
for f in ["config.json", "tokenizer.json", "model.safetensors", "sub/extra.json"]:
    print(hf_hub_download(${JSON.stringify(REPO)}, f, cache_dir=${JSON.stringify(cacheDir)}))`,
      { HF_ENDPOINT: server.url },
    );
    const offline = { cacheDir, env: { HF_HUB_OFFLINE: "1" } };
    for (const [i, file] of [
      "config.json",
      "tokenizer.json",
      "model.safetensors",
      "sub/extra.json",
    ].entries()) {
      const got = await hfFileDownload(REPO, file, offline);
      expect(got).toBe(printed.trim().split("\n")[i]);
      expect(fileHolds(got, repoFiles[file]!)).toBe(true);
    }
    expect(await resolveModelFiles(REPO, offline)).toBe(
      path.join(cacheDir, "models--org--model", "snapshots", TEST_COMMIT),
    );
    // Online over Python's cache: one HEAD, nothing downloaded again.
    const before = server.requests.length;
    await hfFileDownload(REPO, "model.safetensors", { cacheDir, endpoint: server.url, env: {} });
    expect(server.requests.slice(before).map((r) => r.method)).toEqual(["HEAD"]);
  });

  it.skipIf(version === undefined)(title("TypeScript writes, Python reads offline"), async () => {
    const cacheDir = path.join(tmp, "ts-cache");
    await resolveModelFiles(REPO, {
      cacheDir,
      endpoint: server.url,
      env: {},
      extraFiles: ["sub/extra.json"],
    });
    const printed = await py(
      `from huggingface_hub import hf_hub_download, snapshot_download, try_to_load_from_cache, scan_cache_dir
c = ${JSON.stringify(cacheDir)}
for f in ["config.json", "model.safetensors", "sub/extra.json"]:
    print(hf_hub_download(${JSON.stringify(REPO)}, f, cache_dir=c))
print(snapshot_download(${JSON.stringify(REPO)}, cache_dir=c))
print(isinstance(try_to_load_from_cache(${JSON.stringify(REPO)}, "vocab.json", cache_dir=c), str))
info = scan_cache_dir(c)
print(len(info.warnings), [sorted(rev.refs) for repo in info.repos for rev in repo.revisions])`,
      { HF_HUB_OFFLINE: "1" },
    );
    const snapshot = path.join(cacheDir, "models--org--model", "snapshots", TEST_COMMIT);
    expect(printed.trim().split("\n")).toEqual([
      path.join(snapshot, "config.json"),
      path.join(snapshot, "model.safetensors"),
      path.join(snapshot, "sub", "extra.json"),
      snapshot,
      "False", // vocab.json: cached as known missing (.no_exist), not as a path
      "0 [['main']]",
    ]);
    expect(readFileSync(path.join(cacheDir, "models--org--model", "refs", "main"), "utf8")).toBe(TEST_COMMIT);
    expect(listTree(snapshot)).toContain("sub/extra.json");
    // Python online over our cache: one HEAD, nothing downloaded again.
    const before = server.requests.length;
    await py(
      `from huggingface_hub import hf_hub_download
hf_hub_download(${JSON.stringify(REPO)}, "model.safetensors", cache_dir=${JSON.stringify(cacheDir)})`,
      { HF_ENDPOINT: server.url },
    );
    expect(server.requests.slice(before).map((r) => r.method)).toEqual(["HEAD"]);
  });
});
