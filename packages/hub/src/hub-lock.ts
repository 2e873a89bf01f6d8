/**
 * The download lock `blobs/{etag}.lock` (Node). Python's `huggingface_hub` uses a `flock`, which dies with its
 * process; a lock file outlives a killed process, so this one records its holder and is broken as soon as the
 * holder is known to be gone:
 *
 * - the lock holds `{"pid", "host", "nonce"}`; a holder on this host whose pid no longer runs is dead at once;
 * - the holder refreshes the lock's modification time every `heartbeatMs` (about a second), so a lock not
 *   refreshed for `staleMs` (10 s) belongs to a dead or frozen process, whatever host it runs on.
 *
 * Breaking is race-safe: a breaker first takes the short-lived mutex `{lock}.break` (created with `wx`), then
 * re-reads the lock and deletes it only when it still is the same dead holder's; the lock itself is only ever
 * taken by an exclusive create, so two waiters can never both own it.
 */
import { type NodeModules, sleep } from "./hub-cache.js";
import { type HubErrorDetails, hubError } from "./hub-error.js";

/** Who holds a lock, as its file records it. */
export interface LockHolder {
  readonly pid: number | undefined;
  readonly host: string | undefined;
}

/** Options of the download lock `blobs/{etag}.lock`. */
export interface LockOptions {
  /** A lock not refreshed for this long (ms, by its modification time) is stale and broken. Default 10 s. */
  readonly staleMs: number;
  /** How often a waiter checks the lock (ms). Default 250. */
  readonly pollMs: number;
  /** Give up waiting with `HUB_LOCKED` after this long (ms). Default: no limit. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Called once when a wait on a live holder begins (not when a dead holder's lock is broken at once). */
  readonly onWait?: ((holder: LockHolder) => void) | undefined;
}

/** A held lock: its heartbeat keeps it fresh until released. */
export interface HeldLock {
  release(): Promise<void>;
}

/** The longest gap between two heartbeats of a held lock (ms). */
const HEARTBEAT_MS = 1000;

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function ownPid(): number | undefined {
  return (globalThis as { process?: { pid?: number } }).process?.pid;
}

/**
 * The holder a lock file names: the JSON this module writes, or `host:pid:nonce` (what earlier versions
 * wrote). Anything else names nobody, and only its heartbeat can make it stale.
 */
export function parseLockHolder(text: string): LockHolder {
  try {
    const data = JSON.parse(text) as { pid?: unknown; host?: unknown } | null;
    if (typeof data === "object" && data !== null) {
      return {
        pid:
          typeof data.pid === "number" && Number.isSafeInteger(data.pid) && data.pid > 0
            ? data.pid
            : undefined,
        host: typeof data.host === "string" ? data.host : undefined,
      };
    }
  } catch {
    // not JSON: maybe the older format
  }
  const legacy = /^(.+):(\d+):[^:]*$/.exec(text);
  if (legacy === null) return { pid: undefined, host: undefined };
  const pid = Number(legacy[2]);
  return { pid: Number.isSafeInteger(pid) && pid > 0 ? pid : undefined, host: legacy[1] };
}

function describeHolder(holder: LockHolder): string {
  if (holder.pid === undefined && holder.host === undefined) return "an unknown process";
  return `process ${holder.pid ?? "?"} on ${holder.host ?? "an unknown host"}`;
}

/** False only when the holder certainly runs no more: it is on this host and its pid does not exist. */
function holderMayRun(m: NodeModules, holder: LockHolder): boolean {
  if (holder.pid === undefined || holder.host !== m.os.hostname()) return true;
  if (holder.pid === ownPid()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return errnoCode(error) !== "ESRCH";
  }
}

interface LockState {
  readonly text: string;
  readonly mtimeMs: number;
}

async function readLock(m: NodeModules, file: string): Promise<LockState | undefined> {
  try {
    // Stat first: a lock replaced between the two reads then looks older than it is, never fresher.
    const { mtimeMs } = await m.fs.promises.stat(file);
    const text = await m.fs.promises.readFile(file, "utf8");
    return { text, mtimeMs };
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return undefined;
    throw error;
  }
}

/** Why the lock in `state` is dead (its holder is gone, or it went stale), or `undefined` while it lives. */
function deathOf(m: NodeModules, state: LockState, staleMs: number): string | undefined {
  const holder = parseLockHolder(state.text);
  if (!holderMayRun(m, holder)) return `${describeHolder(holder)} no longer runs`;
  const age = Date.now() - state.mtimeMs;
  if (age > staleMs) return `not refreshed for ${Math.round(age)} ms`;
  return undefined;
}

/**
 * Deletes the dead lock `state`, unless it changed meanwhile. Under the mutex `{lock}.break`, so that a
 * breaker that judged an older lock dead cannot delete a lock taken since. A mutex left by a breaker that
 * died in its few milliseconds inside is itself stale after `staleMs`.
 */
async function breakLock(
  m: NodeModules,
  lockFile: string,
  state: LockState,
  staleMs: number,
): Promise<boolean> {
  const { fs } = m;
  const mutex = `${lockFile}.break`;
  try {
    await fs.promises.writeFile(mutex, JSON.stringify({ pid: ownPid(), host: m.os.hostname() }), {
      flag: "wx",
    });
  } catch (error) {
    if (errnoCode(error) !== "EEXIST") throw error;
    const other = await readLock(m, mutex);
    if (other !== undefined && deathOf(m, other, staleMs) !== undefined) {
      await fs.promises.rm(mutex, { force: true });
    }
    return false;
  }
  try {
    const now = await readLock(m, lockFile);
    if (now !== undefined && now.text === state.text && deathOf(m, now, staleMs) !== undefined) {
      await fs.promises.rm(lockFile, { force: true });
    }
    return true;
  } finally {
    await fs.promises.rm(mutex, { force: true });
  }
}

/**
 * Takes the exclusive lock file `lockFile`, or returns `undefined` as soon as `isDone()` says another process
 * finished the work. While a live process holds the lock, polls every `pollMs` (calling `onWait` once); a lock
 * whose holder is gone, or that went stale, is broken at once (see the module's comment).
 *
 * @throws {@link HubError} `HUB_LOCKED` after `timeoutMs`, naming the lock file and its holder.
 */
export async function acquireLock(
  m: NodeModules,
  lockFile: string,
  options: LockOptions,
  isDone: () => Promise<boolean>,
  details: HubErrorDetails,
): Promise<HeldLock | undefined> {
  const { fs } = m;
  const content = JSON.stringify({
    pid: ownPid(),
    host: m.os.hostname(),
    nonce: m.crypto.randomBytes(8).toString("hex"),
  });
  const started = Date.now();
  let told = false;
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (await isDone()) return undefined;
    try {
      await fs.promises.writeFile(lockFile, content, { flag: "wx" });
      return heldLock(m, lockFile, content, options.staleMs);
    } catch (error) {
      if (errnoCode(error) !== "EEXIST") throw error;
    }
    const state = await readLock(m, lockFile);
    if (state === undefined) continue; // released in between
    if (deathOf(m, state, options.staleMs) !== undefined) {
      // Another waiter is breaking it: give it a moment rather than spin.
      if (!(await breakLock(m, lockFile, state, options.staleMs)))
        await sleep(options.pollMs, options.signal);
      continue;
    }
    const holder = parseLockHolder(state.text);
    if (!told) {
      told = true;
      options.onWait?.(holder);
    }
    if (Date.now() - started > options.timeoutMs) {
      throw hubError(
        "HUB_LOCKED",
        `another download holds the lock ${lockFile} (held by ${describeHolder(holder)}: ${state.text}) for ` +
          `more than ${options.timeoutMs} ms; delete the lock file if no other process is downloading this file`,
        details,
      );
    }
    await sleep(options.pollMs, options.signal);
  }
}

function heldLock(m: NodeModules, lockFile: string, content: string, staleMs: number): HeldLock {
  const { fs } = m;
  // Several heartbeats fit in `staleMs`, so a busy event loop or a slow disk does not let the lock go stale.
  const timer = setInterval(
    () => {
      const now = new Date();
      fs.promises.utimes(lockFile, now, now).catch(() => undefined);
    },
    Math.max(10, Math.min(HEARTBEAT_MS, Math.floor(staleMs / 4))),
  );
  (timer as { unref?: () => void }).unref?.();
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      try {
        // Only remove our own lock: after a (wrongly) broken lock, another process may hold a new one.
        if ((await fs.promises.readFile(lockFile, "utf8")) === content)
          await fs.promises.rm(lockFile, { force: true });
      } catch {
        // already gone
      }
    },
  };
}
