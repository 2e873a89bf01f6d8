// `deberta download` and `deberta run` with a Hub id against a Hub-like server on 127.0.0.1
// (HF_ENDPOINT), into a temporary Hugging Face cache (HF_HUB_CACHE): files land in the Python layout.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdtempSync, readFileSync, statSync, utimesSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockWaitNotice } from "./download.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, "../dist/cli.js");
const demo = path.resolve(here, "../../../examples/demo-model");
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

let server: Server;
let endpoint: string;
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const match = /^\/acme\/tiny-nli\/resolve\/[^/]+\/(.+)$/.exec(req.url ?? "");
    const file = match ? path.join(demo, decodeURIComponent(match[1]!)) : undefined;
    if (file === undefined || !existsSync(file)) {
      res.writeHead(404, { "x-error-code": "EntryNotFound" }).end();
      return;
    }
    const body = readFileSync(file);
    const sha = createHash("sha256").update(body).digest("hex");
    const headers: Record<string, string> = {
      "x-repo-commit": COMMIT,
      etag: `"${sha}"`,
      "content-length": String(body.length),
    };
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function run(
  args: string[],
  env: Record<string, string>,
  stdin = "",
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
    setTimeout(() => child.kill(), 60_000).unref();
  });
}

describe("Hub ids", () => {
  it("download fetches into the Python cache layout and prints the snapshot folder; run then works offline", async () => {
    const cache = mkdtempSync(path.join(tmpdir(), "deberta-hub-cache-"));
    const env = { HF_ENDPOINT: endpoint, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: "0" };
    const r = await run(["download", "acme/tiny-nli"], env);
    expect(r.code, `${r.stderr}\n${requests.join("\n")}`).toBe(0);
    const folder = r.stdout.trim();
    expect(folder).toBe(path.join(cache, "models--acme--tiny-nli", "snapshots", COMMIT));
    expect(lstatSync(path.join(folder, "model.safetensors")).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(folder, "model.safetensors"))).toEqual(
      readFileSync(path.join(demo, "model.safetensors")),
    );
    expect(readFileSync(path.join(cache, "models--acme--tiny-nli", "refs", "main"), "utf8")).toBe(COMMIT);
    // Piped stderr: no progress bar drawn.
    expect(r.stderr).not.toContain("\r");

    const pair = JSON.stringify({ text: "A soccer game.", text_pair: "People play." });
    const offline = await run(
      ["run", "--task", "text-classification", "--model", "acme/tiny-nli"],
      { ...env, HF_HUB_OFFLINE: "1" },
      `${pair}\n`,
    );
    expect(offline.code, offline.stderr).toBe(0);
    const local = await run(["run", "--task", "text-classification", "--model", demo], env, `${pair}\n`);
    expect(offline.stdout).toBe(local.stdout);
  });

  it("a missing repository fails with exit 1 naming it", async () => {
    const cache = mkdtempSync(path.join(tmpdir(), "deberta-hub-cache-"));
    const r = await run(["download", "acme/does-not-exist"], {
      HF_ENDPOINT: endpoint,
      HF_HUB_CACHE: cache,
      HF_HUB_OFFLINE: "0",
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("acme/does-not-exist");
  });
});

// The loopback test Hub of @deberta/hub (its TypeScript source, run by vitest). The specifier is computed
// because the file lies outside this package's rootDir; TestHub is the part of its API used here.
interface TestHub {
  readonly url: string;
  faults: { kind: "slow"; file: string; chunkBytes: number; delayMs: number }[];
  readonly requests: { method: string; path: string; range: string | undefined; file: string | undefined }[];
  close(): Promise<void>;
}
interface TestHubModule {
  HubTestServer: {
    start(options: { repos: Record<string, { files: Record<string, Uint8Array> }> }): Promise<TestHub>;
  };
  readFolder(dir: string): Record<string, Uint8Array>;
}
const testHubSource = path.resolve(here, "../../../packages/hub/src/hub-test-server.ts");

describe("an interrupted download", () => {
  let hub: TestHub;
  const model = readFileSync(path.join(demo, "model.safetensors"));
  const blobName = createHash("sha256").update(model).digest("hex");

  beforeAll(async () => {
    const { HubTestServer, readFolder } = (await import(/* @vite-ignore */ testHubSource)) as TestHubModule;
    hub = await HubTestServer.start({ repos: { "acme/tiny-nli": { files: readFolder(demo) } } });
  });
  afterAll(() => hub.close());

  const blobGets = () => hub.requests.filter((r) => r.method === "GET" && r.path.startsWith("/blobs/"));

  it("kill -9 a third of the way into model.safetensors: the rerun breaks the dead process's lock at once and resumes with Range", async () => {
    const cache = mkdtempSync(path.join(tmpdir(), "deberta-hub-kill-"));
    const env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: "0" };
    const blobs = path.join(cache, "models--acme--tiny-nli", "blobs");
    const incomplete = path.join(blobs, `${blobName}.incomplete`);
    const lock = path.join(blobs, `${blobName}.lock`);
    // About 3 s for the file, so the kill lands in its middle however loaded the machine is.
    hub.faults = [{ kind: "slow", file: "model.safetensors", chunkBytes: 4096, delayMs: 50 }];
    hub.requests.length = 0;

    const child = spawn(process.execPath, [cli, "download", "acme/tiny-nli"], {
      env: { ...process.env, ...env },
      stdio: "ignore",
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_code, signal) => resolve(signal)),
    );
    const size = () => (existsSync(incomplete) ? statSync(incomplete).size : 0);
    while (size() < model.length / 3 && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");

    const kept = size();
    expect(kept).toBeGreaterThanOrEqual(model.length / 3);
    expect(kept).toBeLessThan(model.length);
    expect(existsSync(lock)).toBe(true);
    // A lock refreshed in the future can only be broken by seeing that its holder is dead: were the
    // rerun to wait for its heartbeat to go stale instead, it would hang until run() kills it.
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(lock, future, future);

    hub.faults = [];
    hub.requests.length = 0;
    const r = await run(["download", "acme/tiny-nli"], env);
    expect(r.code, r.stderr).toBe(0);
    const folder = r.stdout.trim();
    expect(Buffer.compare(readFileSync(path.join(folder, "model.safetensors")), model)).toBe(0);
    expect(blobGets().map((g) => g.range)).toEqual([`bytes=${kept}-`]);
    expect(existsSync(lock)).toBe(false);
    expect(existsSync(incomplete)).toBe(false);
  }, 120_000);

  it("two concurrent downloads of one model: one GET of the weights, exact bytes for both, no notice on piped stderr", async () => {
    const cache = mkdtempSync(path.join(tmpdir(), "deberta-hub-twice-"));
    const env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: "0" };
    hub.faults = [{ kind: "slow", file: "model.safetensors", chunkBytes: 16_384, delayMs: 50 }];
    hub.requests.length = 0;
    const [a, b] = await Promise.all([
      run(["download", "acme/tiny-nli"], env),
      run(["download", "acme/tiny-nli"], env),
    ]);
    hub.faults = [];
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(Buffer.compare(readFileSync(path.join(a.stdout.trim(), "model.safetensors")), model)).toBe(0);
    expect(blobGets().filter((g) => g.range === undefined)).toHaveLength(1);
    expect(a.stderr + b.stderr).not.toContain("waiting for");
  }, 120_000);
});

describe("the notice while another process downloads the same file", () => {
  function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
    const written: string[] = [];
    const stream = {
      isTTY,
      write: (text: string) => written.push(text) > 0,
    } as unknown as NodeJS.WriteStream;
    return { stream, written };
  }

  it("names the file and the holder on a terminal", () => {
    const { stream, written } = fakeStream(true);
    lockWaitNotice(stream)({ file: "model.safetensors", pid: 4242, host: "box" });
    expect(written.join("")).toContain("model.safetensors: waiting for process 4242 on box");
  });

  it("says nothing when stderr is not a terminal", () => {
    const { stream, written } = fakeStream(false);
    lockWaitNotice(stream)({ file: "model.safetensors", pid: 4242, host: "box" });
    expect(written).toEqual([]);
  });
});
