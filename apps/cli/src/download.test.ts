// `deberta download` and `deberta run` with a Hub id against a Hub-like server on 127.0.0.1
// (HF_ENDPOINT), into a temporary Hugging Face cache (HF_HUB_CACHE): files land in the Python layout.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

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
