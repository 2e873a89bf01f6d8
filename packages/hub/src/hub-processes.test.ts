import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fileHolds, HubTestServer, readFolder, sha256Hex } from "./hub-test-server.js";
import { modelsDir } from "./test-support.js";

// Two processes download the same file into the same cache at the same time: one through the ESM build, one
// through the CommonJS build (`npx tsup` first; without a dist that has hfFileDownload the test is skipped).
const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const built =
  existsSync(path.join(dist, "index.js")) &&
  existsSync(path.join(dist, "index.cjs")) &&
  readFileSync(path.join(dist, "index.js"), "utf8").includes("hfFileDownload");
const title = built
  ? "two processes (ESM and CJS builds) download one file: one GET, one blob, identical content"
  : "two processes download one file (skipped: dist/ is missing or stale, run `npx tsup` first)";

const REPO = "deberta-test/seqcls";
const files = readFolder(path.join(modelsDir(), "base-like", "seqcls"));
const model = files["model.safetensors"]!;

const body = `
const [endpoint, cacheDir] = process.argv.slice(2);
hfFileDownload(${JSON.stringify(REPO)}, "model.safetensors", {
  endpoint,
  cacheDir,
  env: { HF_HOME: cacheDir + "-home" },
  lockPollMs: 10,
  lockTimeoutMs: 20000,
  retryBaseMs: 5,
}).then(
  (file) => process.stdout.write(JSON.stringify({ file })),
  (error) => {
    process.stderr.write(String(error && error.stack));
    process.exit(1);
  },
);
`;

let server: HubTestServer;
let tmp: string;

beforeEach(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "deberta-hub-procs-"));
  server = await HubTestServer.start({ repos: { [REPO]: { files } } });
});

afterEach(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

function run(script: string, cacheDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [script, server.url, cacheDir],
      { timeout: 100_000, env: { PATH: process.env.PATH ?? "" } },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${script} failed: ${stderr}`, { cause: error }));
        else resolve((JSON.parse(stdout) as { file: string }).file);
      },
    );
  });
}

describe("hfFileDownload across processes", () => {
  it.skipIf(!built)(
    title,
    async () => {
      const esm = path.join(tmp, "download.mjs");
      const cjs = path.join(tmp, "download.cjs");
      writeFileSync(
        esm,
        `import { hfFileDownload } from ${JSON.stringify(pathToFileURL(path.join(dist, "index.js")).href)};\n${body}`,
      );
      writeFileSync(
        cjs,
        `const { hfFileDownload } = require(${JSON.stringify(path.join(dist, "index.cjs"))});\n${body}`,
      );
      // Hold the file until both processes have asked for its metadata, then send it slowly.
      server.faults.push({ kind: "gate", file: "model.safetensors", heads: 2, timeoutMs: 10_000 });
      server.faults.push({ kind: "slow", file: "model.safetensors", chunkBytes: 16_384, delayMs: 10 });
      const cacheDir = path.join(tmp, "cache");
      const [a, b] = await Promise.all([run(esm, cacheDir), run(cjs, cacheDir)]);
      expect(a).toBe(b);
      expect(fileHolds(a, model)).toBe(true);
      expect(server.matching("HEAD", "model.safetensors")).toHaveLength(2);
      expect(server.matching("GET", "model.safetensors", "/blobs/")).toHaveLength(1);
      expect(readdirSync(path.join(cacheDir, "models--deberta-test--seqcls", "blobs"))).toEqual([
        sha256Hex(model),
      ]);
    },
    60_000,
  );
});
