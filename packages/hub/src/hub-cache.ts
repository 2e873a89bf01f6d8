/**
 * The cache of Hub files on disk, laid out exactly as `huggingface_hub` (Python) lays it out, so both read and
 * write the same cache:
 *
 * ```text
 * <cache>/models--{org}--{name}/
 *   blobs/{etag}                      file contents, named by ETag (the sha256 for LFS files)
 *   refs/{revision}                   the commit hash a branch or tag pointed to (no newline)
 *   snapshots/{commit}/{file}         relative symlink to ../../blobs/{etag} (a copy where symlinks fail)
 *   .no_exist/{commit}/{file}         empty: the file is known not to exist at that commit
 * ```
 *
 * Node only: `node:fs`, `node:path`, `node:os` and `node:crypto` are imported lazily.
 */
import { type HubErrorDetails, hubError } from "./hub-error.js";
import { envIsTrue, envValue, type HubEnv, isCommitHash, processEnv, repoFolderName } from "./hub-paths.js";
import { importNodeBuiltin, isNode } from "./node.js";

type Fs = typeof import("node:fs");
type Path = typeof import("node:path");
type Os = typeof import("node:os");
type Crypto = typeof import("node:crypto");

/** The Node built-ins the cache needs. */
export interface NodeModules {
  readonly fs: Fs;
  readonly path: Path;
  readonly os: Os;
  readonly crypto: Crypto;
}

let modules: Promise<NodeModules> | undefined;

/**
 * Imports `node:fs`, `node:path`, `node:os` and `node:crypto` (once), or throws `HUB_BAD_REFERENCE` where they
 * do not exist (a browser): downloading to a cache needs a file system.
 */
export async function hubNodeModules(details: HubErrorDetails = {}): Promise<NodeModules> {
  const fail = (cause?: unknown) =>
    hubError(
      "HUB_BAD_REFERENCE",
      "the Hub cache needs a file system (Node.js); in a browser, fetch hubFileUrl(...) instead, or use " +
        "resolveModelFiles, which returns the folder URL there",
      { ...details, cause },
    );
  if (!isNode()) throw fail();
  modules ??= Promise.all([
    importNodeBuiltin<Fs>("node:fs"),
    importNodeBuiltin<Path>("node:path"),
    importNodeBuiltin<Os>("node:os"),
    importNodeBuiltin<Crypto>("node:crypto"),
  ]).then(([fs, path, os, crypto]) => ({ fs, path, os, crypto }));
  try {
    return await modules;
  } catch (cause) {
    modules = undefined;
    throw fail(cause);
  }
}

function expandHome(os: Os, path: Path, value: string): string {
  if (value === "~") return os.homedir();
  if (value.startsWith("~/") || value.startsWith("~\\")) return path.join(os.homedir(), value.slice(2));
  return value;
}

/** `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface` (Node). */
export async function hfHome(env: HubEnv = processEnv()): Promise<string> {
  const { os, path } = await hubNodeModules();
  const home = envValue(env, "HF_HOME");
  if (home !== undefined) return expandHome(os, path, home);
  const xdg = envValue(env, "XDG_CACHE_HOME");
  return path.join(
    xdg === undefined ? path.join(os.homedir(), ".cache") : expandHome(os, path, xdg),
    "huggingface",
  );
}

/**
 * The cache root (Node): `cacheDir`, else `$HF_HUB_CACHE` (or the older `$HUGGINGFACE_HUB_CACHE`), else
 * `$HF_HOME/hub` (`~/.cache/huggingface/hub` by default), as `huggingface_hub` picks it. A leading `~` is
 * expanded.
 */
export async function hubCacheDir(options: { cacheDir?: string; env?: HubEnv } = {}): Promise<string> {
  const env = options.env ?? processEnv();
  const { os, path } = await hubNodeModules();
  const explicit =
    options.cacheDir !== undefined && options.cacheDir !== ""
      ? options.cacheDir
      : (envValue(env, "HF_HUB_CACHE") ?? envValue(env, "HUGGINGFACE_HUB_CACHE"));
  if (explicit !== undefined) return path.resolve(expandHome(os, path, explicit));
  return path.resolve(path.join(await hfHome(env), "hub"));
}

/**
 * The token sent to the Hub (Node and browsers): `token` when a string (`false`: none), else `$HF_TOKEN`, else
 * `$HUGGING_FACE_HUB_TOKEN`, else the file `huggingface-cli login` writes (`$HF_TOKEN_PATH`, default
 * `$HF_HOME/token`; Node only). None when `HF_HUB_DISABLE_IMPLICIT_TOKEN` is set and no token is passed.
 */
export async function resolveHubToken(
  options: { token?: string | false; env?: HubEnv } = {},
): Promise<string | undefined> {
  if (options.token === false) return undefined;
  const clean = (value: string | undefined) => value?.replace(/[\r\n]/g, "").trim() || undefined;
  if (typeof options.token === "string") return clean(options.token);
  const env = options.env ?? processEnv();
  if (envIsTrue(env.HF_HUB_DISABLE_IMPLICIT_TOKEN)) return undefined;
  const fromEnv = clean(envValue(env, "HF_TOKEN")) ?? clean(envValue(env, "HUGGING_FACE_HUB_TOKEN"));
  if (fromEnv !== undefined || !isNode()) return fromEnv;
  try {
    const { fs, path } = await hubNodeModules();
    const file = envValue(env, "HF_TOKEN_PATH") ?? path.join(await hfHome(env), "token");
    return clean(await fs.promises.readFile(file, "utf8"));
  } catch {
    return undefined;
  }
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** True when `file` exists, following symlinks (a dangling snapshot link does not count). */
export async function fileExists(fs: Fs, file: string): Promise<boolean> {
  try {
    return (await fs.promises.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Paths of one repository's cache folder. */
export interface RepoCachePaths {
  /** `<cache>/models--org--name`. */
  readonly storage: string;
  ref(revision: string): string;
  blob(blobName: string): string;
  pointer(commit: string, file: string): string;
  noExist(commit: string, file: string): string;
}

/** The paths of a repository's cache folder named `folderName` under `cacheDir`. */
export function repoCachePaths(path: Path, cacheDir: string, folderName: string): RepoCachePaths {
  const storage = path.join(cacheDir, folderName);
  return {
    storage,
    ref: (revision) => path.join(storage, "refs", ...revision.split("/")),
    blob: (blobName) => path.join(storage, "blobs", blobName),
    pointer: (commit, file) => path.join(storage, "snapshots", commit, ...file.split("/")),
    noExist: (commit, file) => path.join(storage, ".no_exist", commit, ...file.split("/")),
  };
}

/** The commit hash `refs/{revision}` holds (trimmed), or `undefined`. */
export async function readRef(fs: Fs, refFile: string): Promise<string | undefined> {
  try {
    const text = (await fs.promises.readFile(refFile, "utf8")).trim();
    return text === "" || /[/\\]|^\.\.?$/.test(text) ? undefined : text;
  } catch {
    return undefined;
  }
}

function randomSuffix(crypto: Crypto): string {
  return crypto.randomBytes(4).toString("hex");
}

/** Writes `refs/{revision}` = `commit` without a newline (as Python does), atomically, only when it changed. */
export async function writeRef(m: NodeModules, refFile: string, commit: string): Promise<void> {
  if ((await readRef(m.fs, refFile)) === commit) return;
  await m.fs.promises.mkdir(m.path.dirname(refFile), { recursive: true });
  const tmp = `${refFile}.${randomSuffix(m.crypto)}.tmp`;
  try {
    await m.fs.promises.writeFile(tmp, commit);
    await m.fs.promises.rename(tmp, refFile);
  } finally {
    await m.fs.promises.rm(tmp, { force: true });
  }
}

/** Records that `file` does not exist at `commit`: an empty `.no_exist/{commit}/{file}`, as Python does. */
export async function writeNoExist(m: NodeModules, noExistFile: string): Promise<void> {
  try {
    await m.fs.promises.mkdir(m.path.dirname(noExistFile), { recursive: true });
    await m.fs.promises.writeFile(noExistFile, "", { flag: "a" });
  } catch {
    // best effort, as in huggingface_hub
  }
}

const CACHEDIR_TAG =
  "Signature: 8a477f597d28d172789f06886806bc55\n" +
  "# This file is a cache directory tag created by huggingface_hub.\n" +
  "# For information about cache directory tags, see:\n" +
  "#\thttps://bford.info/cachedir/\n";

/** Writes `<cache>/CACHEDIR.TAG` (backup tools skip the folder) when missing, as huggingface_hub does. */
export async function writeCachedirTag(m: NodeModules, cacheDir: string): Promise<void> {
  try {
    await m.fs.promises.writeFile(m.path.join(cacheDir, "CACHEDIR.TAG"), CACHEDIR_TAG, { flag: "wx" });
  } catch {
    // exists, or read-only: fine
  }
}

const SYMLINK_UNSUPPORTED = new Set([
  "EPERM",
  "EACCES",
  "ENOSYS",
  "ENOTSUP",
  "EOPNOTSUPP",
  "EINVAL",
  "EXDEV",
]);

/**
 * Makes `pointer` a relative symlink to `blob` (`../../blobs/{etag}`, one more `../` per folder of the file
 * name), replacing whatever was there atomically (a temporary link renamed over it). Where symlinks cannot be
 * created (Windows without developer mode, some network file systems) or `symlinks` is false, the blob is
 * copied there instead, also through a temporary file, so a partial file never appears in the snapshot.
 */
export async function createPointer(
  m: NodeModules,
  blob: string,
  pointer: string,
  symlinks: boolean,
): Promise<void> {
  const { fs, path } = m;
  const folder = path.dirname(pointer);
  await fs.promises.mkdir(folder, { recursive: true });
  const tmp = path.join(folder, `.${path.basename(pointer)}.${randomSuffix(m.crypto)}.tmp`);
  try {
    let linked = false;
    if (symlinks) {
      try {
        await fs.promises.symlink(path.relative(folder, blob), tmp);
        linked = true;
      } catch (error) {
        if (!SYMLINK_UNSUPPORTED.has(errnoCode(error) ?? "")) throw error;
      }
    }
    if (!linked) await fs.promises.copyFile(blob, tmp);
    await fs.promises.rename(tmp, pointer);
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
}

/** True when `pointer` is a symlink whose target is `blob` (relative to the pointer's folder). */
export async function pointerTargets(m: NodeModules, pointer: string, blob: string): Promise<boolean> {
  try {
    const target = await m.fs.promises.readlink(pointer);
    return m.path.resolve(m.path.dirname(pointer), target) === m.path.resolve(blob);
  } catch {
    return false;
  }
}

/** What a look-up in the cache found. */
export interface CacheLookup {
  /** The snapshot file, when present. */
  readonly path?: string;
  /** The commit the revision maps to (the revision itself for a commit hash, else `refs/{revision}`). */
  readonly commit?: string;
  /** `.no_exist/{commit}/{file}` exists: the file is known not to exist at that commit. */
  readonly knownMissing: boolean;
  /** What was looked at, for error messages. */
  readonly looked: string;
}

/** Looks a file up in the cache: `refs/{revision}` (unless a commit hash) → `snapshots/{commit}/{file}`. */
export async function lookupCache(
  m: NodeModules,
  paths: RepoCachePaths,
  revision: string,
  file: string,
): Promise<CacheLookup> {
  const refFile = paths.ref(revision);
  const commit = isCommitHash(revision) ? revision : await readRef(m.fs, refFile);
  if (commit === undefined) {
    return { knownMissing: false, looked: `${refFile} (missing: the revision was never resolved here)` };
  }
  const pointer = paths.pointer(commit, file);
  if (await fileExists(m.fs, pointer)) return { path: pointer, commit, knownMissing: false, looked: pointer };
  const knownMissing = await fileExists(m.fs, paths.noExist(commit, file));
  const via = isCommitHash(revision) ? "" : ` (commit ${commit} from ${refFile})`;
  return { commit, knownMissing, looked: `${pointer}${via}` };
}

/**
 * The cached path of a Hub file, or `undefined` (Node; never touches the network). Like Python's
 * `try_to_load_from_cache`: `refs/{revision}` (or the commit hash itself) → `snapshots/{commit}/{file}`.
 */
export async function tryLoadFromCache(
  repoId: string,
  file: string,
  options: { revision?: string; cacheDir?: string; env?: HubEnv } = {},
): Promise<string | undefined> {
  const m = await hubNodeModules({ repo: repoId, file });
  const cacheDir = await hubCacheDir(options);
  const paths = repoCachePaths(m.path, cacheDir, repoFolderName(repoId));
  return (await lookupCache(m, paths, options.revision ?? "main", file)).path;
}

// ---------------------------------------------------------------------------------------------------------
// waiting

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
