import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type HubDownloadOptions, type HubLockWaitEvent, hfFileDownload } from "./hub-download.js";
import { parseLockHolder } from "./hub-lock.js";
import { caughtHub, fileHolds, HubTestServer, readFolder, sha256Hex } from "./hub-test-server.js";
import { modelsDir } from "./test-support.js";

const REPO = "deberta-test/seqcls";
const files = readFolder(path.join(modelsDir(), "base-like", "seqcls"));
const model = files["model.safetensors"]!;
const modelSha = sha256Hex(model);

let server: HubTestServer;
let tmp: string;
let cacheDir: string;

beforeEach(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "deberta-hub-lock-"));
  cacheDir = path.join(tmp, "cache");
  server = await HubTestServer.start({ repos: { [REPO]: { files } } });
});

afterEach(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

function options(extra: HubDownloadOptions = {}): HubDownloadOptions {
  return {
    endpoint: server.url,
    cacheDir,
    env: { HF_HOME: path.join(tmp, "hf-home") },
    retryBaseMs: 5,
    lockPollMs: 10,
    lockTimeoutMs: 30_000,
    ...extra,
  };
}

const blobsDir = () => path.join(cacheDir, "models--deberta-test--seqcls", "blobs");
const lockFile = () => path.join(blobsDir(), `${modelSha}.lock`);

/** The pid of a process that has exited (a short-lived child's). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  expect(child.pid).toBeGreaterThan(0);
  return child.pid!;
}

/** Writes a lock for `holder`, modified `ageMs` ago (negative: in the future, so no heartbeat check can break it). */
function writeLock(holder: { pid: number; host: string }, ageMs: number): void {
  mkdirSync(blobsDir(), { recursive: true });
  writeFileSync(lockFile(), JSON.stringify({ ...holder, nonce: "0123" }));
  const when = new Date(Date.now() - ageMs);
  utimesSync(lockFile(), when, when);
}

describe("download locks", () => {
  it("a lock whose holder on this host no longer runs is broken at once, however fresh", async () => {
    writeLock({ pid: deadPid(), host: os.hostname() }, -3_600_000);
    const waits: HubLockWaitEvent[] = [];
    const file = await hfFileDownload(
      REPO,
      "model.safetensors",
      options({ onLockWait: (e) => waits.push(e) }),
    );
    expect(fileHolds(file, model)).toBe(true);
    expect(waits).toEqual([]);
    expect(readdirSync(blobsDir())).toEqual([modelSha]);
  }, 60_000);

  it("a lock of another host is honoured while fresh (onLockWait names the holder), broken once its heartbeat is stale", async () => {
    const holder = { pid: deadPid(), host: `not-${os.hostname()}` };
    writeLock(holder, 0);
    const waits: HubLockWaitEvent[] = [];
    const error = await caughtHub(() =>
      hfFileDownload(
        REPO,
        "model.safetensors",
        options({ lockTimeoutMs: 300, onLockWait: (e) => waits.push(e) }),
      ),
    );
    expect(error.code).toBe("HUB_LOCKED");
    expect(error.message).toContain(`process ${holder.pid} on ${holder.host}`);
    expect(waits).toEqual([
      { repo: REPO, file: "model.safetensors", lockFile: lockFile(), pid: holder.pid, host: holder.host },
    ]);
    expect(server.matching("GET", "model.safetensors")).toHaveLength(0);

    const stale = new Date(Date.now() - 11_000);
    utimesSync(lockFile(), stale, stale);
    const file = await hfFileDownload(REPO, "model.safetensors", options({ lockTimeoutMs: 300 }));
    expect(fileHolds(file, model)).toBe(true);
  }, 60_000);

  it("a lock in the older host:pid:nonce format is read, and its dead holder's lock broken", async () => {
    const pid = deadPid();
    expect(parseLockHolder(`${os.hostname()}:${pid}:abcd1234`)).toEqual({ pid, host: os.hostname() });
    expect(parseLockHolder("")).toEqual({ pid: undefined, host: undefined });
    expect(parseLockHolder('{"pid":-1,"host":7}')).toEqual({ pid: undefined, host: undefined });
    mkdirSync(blobsDir(), { recursive: true });
    writeFileSync(lockFile(), `${os.hostname()}:${pid}:abcd1234`);
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(lockFile(), future, future);
    const file = await hfFileDownload(REPO, "model.safetensors", options());
    expect(fileHolds(file, model)).toBe(true);
  }, 60_000);

  it("eight waiters on one dead lock: one breaks it and downloads, all get the exact bytes", async () => {
    writeLock({ pid: deadPid(), host: os.hostname() }, -3_600_000);
    server.faults.push({ kind: "slow", file: "model.safetensors", chunkBytes: 32_768, delayMs: 5 });
    const results = await Promise.all(
      Array.from({ length: 8 }, () => hfFileDownload(REPO, "model.safetensors", options())),
    );
    for (const file of results) expect(fileHolds(file, model)).toBe(true);
    expect(server.matching("GET", "model.safetensors", "/blobs/")).toHaveLength(1);
    expect(readdirSync(blobsDir())).toEqual([modelSha]);
  }, 60_000);

  it("a live holder's heartbeat keeps its lock through a download longer than lockStaleMs", async () => {
    // About 2 s of download against a 1 s staleness: without the heartbeat the waiter would break in.
    const chunkBytes = Math.ceil(model.length / 40);
    server.faults.push({ kind: "slow", file: "model.safetensors", chunkBytes, delayMs: 50 });
    const opts = options({ lockStaleMs: 1000 });
    const [a, b] = await Promise.all([
      hfFileDownload(REPO, "model.safetensors", opts),
      hfFileDownload(REPO, "model.safetensors", opts),
    ]);
    expect(fileHolds(a, model)).toBe(true);
    expect(b).toBe(a);
    expect(server.matching("GET", "model.safetensors", "/blobs/")).toHaveLength(1);
  }, 60_000);

  it("a break mutex left by a breaker that died is cleared", async () => {
    const dead = deadPid();
    writeLock({ pid: dead, host: os.hostname() }, -3_600_000);
    writeFileSync(`${lockFile()}.break`, JSON.stringify({ pid: dead, host: os.hostname() }));
    const file = await hfFileDownload(REPO, "model.safetensors", options());
    expect(fileHolds(file, model)).toBe(true);
    expect(existsSync(`${lockFile()}.break`)).toBe(false);
    expect(existsSync(lockFile())).toBe(false);
  }, 60_000);
});
