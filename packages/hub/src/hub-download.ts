/**
 * Downloading Hub files into the shared cache (Node), as `hf_hub_download` does: a HEAD for the metadata
 * (commit, ETag, size), then a GET following redirects into `blobs/{etag}.incomplete` under the lock
 * `blobs/{etag}.lock`, resumed with `Range` after a dropped connection, checked against the LFS sha256, renamed
 * to `blobs/{etag}`, linked from `snapshots/{commit}/{file}`, and `refs/{revision}` updated.
 */

import { downloadBlob, fileSize, progressReporter } from "./hub-blob.js";
import {
  createPointer,
  fileExists,
  hubCacheDir,
  hubNodeModules,
  lookupCache,
  type NodeModules,
  pointerTargets,
  repoCachePaths,
  resolveHubToken,
  writeCachedirTag,
  writeRef,
} from "./hub-cache.js";
import { HubError, type HubErrorDetails, hubError } from "./hub-error.js";
import { acquireLock, type LockOptions } from "./hub-lock.js";
import { type FileMetadata, fetchMetadata } from "./hub-metadata.js";
import {
  DEFAULT_REVISION,
  encodePath,
  envIsTrue,
  type HubEnv,
  hubEndpoint,
  isCommitHash,
  isHubOffline,
  processEnv,
  repoFolderName,
  validateFilename,
  validateRepoId,
  validateRevision,
} from "./hub-paths.js";

/** One progress report of a file download. */
export interface HubProgressEvent {
  /** The repository id, or the folder URL. */
  readonly repo: string;
  /** The file name inside the repository. */
  readonly file: string;
  /** Bytes of the file on disk so far (including bytes kept from an interrupted download). Never decreases. */
  readonly loaded: number;
  /** The file's size, when the server announced it (the Hub always does); `loaded` at the last event. */
  readonly total: number | undefined;
  /** True when the file came from the cache without a download (one event, `loaded === total`). */
  readonly cached: boolean;
}

/** A download waits for another process that is downloading the same file (see `onLockWait`). */
export interface HubLockWaitEvent {
  /** The repository id, or the folder URL. */
  readonly repo: string;
  /** The file name inside the repository. */
  readonly file: string;
  /** The lock file, `<cache>/models--org--name/blobs/{etag}.lock`. */
  readonly lockFile: string;
  /** The holder's process id and host name, as its lock records them (`undefined` when it does not say). */
  readonly pid: number | undefined;
  readonly host: string | undefined;
}

/** Options of {@link hfFileDownload} (and of `resolveModelFiles`). */
export interface HubDownloadOptions {
  /** A branch, tag or commit hash. Default `"main"`. */
  readonly revision?: string;
  /** The cache root. Default `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
  readonly cacheDir?: string;
  /**
   * The token sent as `Authorization: Bearer`. Default `$HF_TOKEN`, else the token file of
   * `huggingface-cli login` (`$HF_HOME/token`). `false`: send none. Never sent to another host after a redirect.
   */
  readonly token?: string | false;
  /** The Hub endpoint. Default `$HF_ENDPOINT`, else `https://huggingface.co`. */
  readonly endpoint?: string;
  /** Serve from the cache only, never touching the network (as `HF_HUB_OFFLINE=1` does). */
  readonly localFilesOnly?: boolean;
  /** Alias of `localFilesOnly`, spelled as in Python. */
  readonly local_files_only?: boolean;
  /** Called as bytes arrive (once per chunk received), and once for a file served from the cache. */
  readonly onProgress?: (event: HubProgressEvent) => void;
  /** Aborts requests, waits and retries; the download's `.incomplete` file is kept for a later resume. */
  readonly signal?: AbortSignal;
  /** The `fetch` to use. Default the global one. It must honour `redirect: "manual"` (Node's does). */
  readonly fetch?: typeof fetch;
  /** Environment variables to read instead of `process.env` (`HF_TOKEN`, `HF_HOME`, ...). */
  readonly env?: HubEnv;
  /** Tries per request on network errors, 408, 429 and 5xx (a retry that made progress resets it). Default 5. */
  readonly maxTries?: number;
  /** First retry delay (ms), doubled at each retry. Default 200. */
  readonly retryBaseMs?: number;
  /** Longest retry delay (ms), also the cap of a `Retry-After`. Default 10,000. */
  readonly retryMaxMs?: number;
  /**
   * A download lock whose holder has not refreshed it for this long (ms) is stale and broken. Its holder
   * refreshes it every second (every quarter of this when shorter). A lock of a process of this host that no
   * longer runs is broken at once. Default 10,000.
   */
  readonly lockStaleMs?: number;
  /** How often to check a lock held by another process (ms). Default 250. */
  readonly lockPollMs?: number;
  /** Give up waiting for another process's download with `HUB_LOCKED` after this long (ms). Default: no limit. */
  readonly lockTimeoutMs?: number;
  /** Called once per file when its download waits for a live process that is downloading it already. */
  readonly onLockWait?: (event: HubLockWaitEvent) => void;
  /** Link snapshot files to blobs with symlinks (else copy). Default true unless `HF_HUB_DISABLE_SYMLINKS`. */
  readonly symlinks?: boolean;
}

/** Everything a download needs, resolved once (Node). */
export interface HubContext {
  readonly m: NodeModules;
  readonly env: HubEnv;
  readonly endpoint: string;
  readonly cacheDir: string;
  readonly fetch: (input: string, init: RequestInit) => Promise<Response>;
  /** Offline: cache only. Set by `localFilesOnly` or `HF_HUB_OFFLINE`, or by `resolveModel` after a failure. */
  offline: boolean;
  /** Why `offline` is set, for error messages. */
  offlineReason: string;
  readonly symlinks: boolean;
  readonly maxTries: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly lock: LockOptions;
  readonly onProgress: ((event: HubProgressEvent) => void) | undefined;
  readonly onLockWait: ((event: HubLockWaitEvent) => void) | undefined;
  readonly signal: AbortSignal | undefined;
  /** The token from the option, the environment or the token file (resolved once). */
  readonly token: string | undefined;
  /** Whether `token` was passed explicitly as a string. */
  readonly explicitToken: boolean;
}

/** Where files come from: a Hub repository, or an http(s) folder. */
export interface HubSource {
  readonly kind: "hub" | "url";
  /** The repository id, or the folder URL (ending in `/`). */
  readonly repo: string;
  readonly revision: string;
  /** The cache folder's name: `models--org--name`, or `models--url--{sha256(url) first 16 hex}`. */
  readonly folderName: string;
  /** The token to send to this source's host, if any. */
  readonly token: string | undefined;
  fileUrl(file: string): string;
}

/** How a file was obtained. */
export interface HubDownloadResult {
  /** The snapshot file: `<cache>/models--org--name/snapshots/{commit}/{file}`. */
  readonly path: string;
  /** The snapshot folder's name. */
  readonly commit: string;
  /** `network`: downloaded now; `cache`: already there; `fallback`: from the cache after a failed request. */
  readonly from: "network" | "cache" | "fallback";
}

/** Builds the context of a download from its options (Node). */
export async function createHubContext(
  options: HubDownloadOptions,
  details: HubErrorDetails = {},
): Promise<HubContext> {
  const m = await hubNodeModules(details);
  const env = options.env ?? processEnv();
  const localOnly = options.localFilesOnly === true || options.local_files_only === true;
  const fetchImpl = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
  const fetchFn = (input: string, init: RequestInit): Promise<Response> => {
    if (fetchImpl === undefined) throw new TypeError("no fetch in this runtime: pass the fetch option");
    return fetchImpl(input, init);
  };
  return {
    m,
    env,
    endpoint: hubEndpoint(options.endpoint, env),
    cacheDir: await hubCacheDir({ cacheDir: options.cacheDir, env }),
    fetch: fetchFn,
    offline: localOnly || isHubOffline(env),
    offlineReason: localOnly ? "localFilesOnly is set" : "HF_HUB_OFFLINE is set",
    symlinks: options.symlinks ?? !envIsTrue(env.HF_HUB_DISABLE_SYMLINKS),
    maxTries: Math.max(1, Math.floor(options.maxTries ?? 5)),
    retryBaseMs: Math.max(0, options.retryBaseMs ?? 200),
    retryMaxMs: Math.max(0, options.retryMaxMs ?? 10_000),
    lock: {
      staleMs: Math.max(1, options.lockStaleMs ?? 10_000),
      pollMs: Math.max(1, options.lockPollMs ?? 250),
      timeoutMs: options.lockTimeoutMs ?? Number.POSITIVE_INFINITY,
      signal: options.signal,
    },
    onProgress: options.onProgress,
    onLockWait: options.onLockWait,
    signal: options.signal,
    token: await resolveHubToken({ token: options.token, env }),
    explicitToken: typeof options.token === "string",
  };
}

/** A Hub model repository as a source (validates the id and revision). */
export function hubRepoSource(
  ctx: HubContext,
  repoId: string,
  revision: string = DEFAULT_REVISION,
): HubSource {
  validateRepoId(repoId);
  validateRevision(revision, repoId);
  const base = `${ctx.endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/`;
  return {
    kind: "hub",
    repo: repoId,
    revision,
    folderName: repoFolderName(repoId),
    token: ctx.token,
    fileUrl: (file) => base + encodePath(file),
  };
}

/** The folder URL, normalised: no query or fragment, ending in `/`. */
export function normalizeFolderUrl(url: string): string {
  const parsed = new URL(url);
  parsed.search = "";
  parsed.hash = "";
  if (!parsed.pathname.endsWith("/")) parsed.pathname += "/";
  return parsed.href;
}

/**
 * An http(s) folder as a source, cached in `models--url--{first 16 hex of sha256(folder URL)}`. The token is
 * sent there only when passed explicitly, or when the folder is on the Hub endpoint's host.
 */
export function urlFolderSource(ctx: HubContext, folderUrl: string): HubSource {
  const base = normalizeFolderUrl(folderUrl);
  const digest = ctx.m.crypto.createHash("sha256").update(base).digest("hex");
  const sameHost = new URL(base).hostname.toLowerCase() === new URL(ctx.endpoint).hostname.toLowerCase();
  return {
    kind: "url",
    repo: base,
    revision: DEFAULT_REVISION,
    folderName: `models--url--${digest.slice(0, 16)}`,
    token: ctx.explicitToken || sameHost ? ctx.token : undefined,
    fileUrl: (file) => new URL(encodePath(file), base).href,
  };
}

/**
 * Downloads one file of a Hub model repository into the cache (Node) and returns its snapshot path,
 * `<cache>/models--{org}--{name}/snapshots/{commit}/{filename}`, as Python's `hf_hub_download` does.
 *
 * - A revision that is a commit hash already in the cache is served without any request.
 * - Offline (`HF_HUB_OFFLINE=1` or `localFilesOnly`): `refs/{revision}` → snapshot → file, or `HUB_OFFLINE_MISSING`.
 * - Online: HEAD `{endpoint}/{repoId}/resolve/{revision}/{filename}` (redirects not followed except relative ones)
 *   for `X-Repo-Commit`, `X-Linked-Etag`/`ETag`, `X-Linked-Size`/`Content-Length`; when the snapshot file exists,
 *   done; else a GET (following redirects, the token dropped on another host) into `blobs/{etag}.incomplete`
 *   under the lock `blobs/{etag}.lock`, resumed with `Range` after a dropped connection, sha256-checked for LFS
 *   files, renamed to `blobs/{etag}`, then `snapshots/{commit}/{filename}` → `../../blobs/{etag}` and
 *   `refs/{revision}` written.
 * - When the HEAD fails (network down, 5xx, 401/403) and the cache has the file for `refs/{revision}`, the
 *   cached file is returned, as Python does.
 *
 * @throws {@link HubError} `HUB_BAD_REFERENCE`, `HUB_NOT_FOUND`, `HUB_UNAUTHORIZED`, `HUB_OFFLINE_MISSING`,
 * `HUB_NETWORK`, `HUB_CHECKSUM`, `HUB_LOCKED`; the signal's reason when aborted; file-system errors as they are.
 */
export async function hfFileDownload(
  repoId: string,
  filename: string,
  options: HubDownloadOptions = {},
): Promise<string> {
  const revision = options.revision ?? DEFAULT_REVISION;
  validateRepoId(repoId);
  validateRevision(revision, repoId);
  validateFilename(filename, repoId, revision);
  const ctx = await createHubContext(options, { repo: repoId, revision, file: filename });
  return (await downloadToCache(ctx, hubRepoSource(ctx, repoId, revision), filename)).path;
}

function cachedResult(
  ctx: HubContext,
  source: HubSource,
  file: string,
  path: string,
  commit: string,
  from: "cache" | "fallback",
): Promise<HubDownloadResult> {
  return fileSize(ctx.m, path).then((size) => {
    progressReporter(ctx, source, file).done(size, true);
    return { path, commit, from };
  });
}

/**
 * Brings one file of `source` into the cache and returns its snapshot path (Node): see {@link hfFileDownload}.
 */
export async function downloadToCache(
  ctx: HubContext,
  source: HubSource,
  file: string,
): Promise<HubDownloadResult> {
  const { m } = ctx;
  const { revision } = source;
  validateFilename(file, source.repo, revision);
  const details: HubErrorDetails = { repo: source.repo, revision, file };
  const paths = repoCachePaths(m.path, ctx.cacheDir, source.folderName);

  if (isCommitHash(revision)) {
    const pointer = paths.pointer(revision, file);
    if (await fileExists(m.fs, pointer)) return cachedResult(ctx, source, file, pointer, revision, "cache");
    if (!ctx.offline && (await fileExists(m.fs, paths.noExist(revision, file)))) {
      throw hubError(
        "HUB_NOT_FOUND",
        `the file does not exist at this commit (cached as ${paths.noExist(revision, file)})`,
        details,
      );
    }
  }
  if (ctx.offline) {
    const found = await lookupCache(m, paths, revision, file);
    if (found.path !== undefined && found.commit !== undefined) {
      return cachedResult(ctx, source, file, found.path, found.commit, "cache");
    }
    const known = found.knownMissing ? "; the cache records that the file does not exist at that commit" : "";
    throw hubError(
      "HUB_OFFLINE_MISSING",
      `not in the cache, and the network is not used (${ctx.offlineReason}): looked for ${found.looked}${known}`,
      details,
    );
  }

  let meta: FileMetadata;
  try {
    meta = await fetchMetadata(ctx, source, paths, file, details);
  } catch (error) {
    if (error instanceof HubError && (error.code === "HUB_NETWORK" || error.code === "HUB_UNAUTHORIZED")) {
      const found = await lookupCache(m, paths, revision, file);
      if (found.path !== undefined && found.commit !== undefined) {
        return cachedResult(ctx, source, file, found.path, found.commit, "fallback");
      }
      throw new HubError(
        error.code,
        `${error.message}; not in the cache either (looked for ${found.looked})`,
        {
          ...details,
          status: error.status,
          url: error.url,
          cause: error,
        },
      );
    }
    throw error;
  }

  const pointer = paths.pointer(meta.commit, file);
  const blob = paths.blob(meta.blobName);
  const upToDate =
    source.kind === "hub"
      ? await fileExists(m.fs, pointer)
      : (await pointerTargets(m, pointer, blob)) && (await fileExists(m.fs, pointer));
  if (upToDate) {
    if (revision !== meta.commit) await writeRef(m, paths.ref(revision), meta.commit).catch(() => undefined);
    return cachedResult(ctx, source, file, pointer, meta.commit, "cache");
  }

  await m.fs.promises.mkdir(m.path.dirname(blob), { recursive: true });
  await writeCachedirTag(m, ctx.cacheDir);
  let downloaded = false;
  if (!(await fileExists(m.fs, blob))) {
    const lockFile = `${blob}.lock`;
    const onWait = ({ pid, host }: { pid: number | undefined; host: string | undefined }) =>
      ctx.onLockWait?.({ repo: source.repo, file, lockFile, pid, host });
    const lock = await acquireLock(
      m,
      lockFile,
      { ...ctx.lock, onWait },
      () => fileExists(m.fs, blob),
      details,
    );
    if (lock !== undefined) {
      try {
        if (!(await fileExists(m.fs, blob))) {
          await downloadBlob(ctx, source, file, meta, blob, details);
          downloaded = true;
        }
      } finally {
        await lock.release();
      }
    }
  }
  await createPointer(m, blob, pointer, ctx.symlinks);
  if (revision !== meta.commit) await writeRef(m, paths.ref(revision), meta.commit);
  if (!downloaded) return cachedResult(ctx, source, file, pointer, meta.commit, "cache");
  return { path: pointer, commit: meta.commit, from: "network" };
}
