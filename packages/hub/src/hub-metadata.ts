/**
 * The HEAD request of a Hub download and what it tells: the commit, the ETag (the blob's name in the cache),
 * the size; a 404 for an existing commit is recorded in `.no_exist/`, as Python does.
 */
import {
  lookupCache,
  type NodeModules,
  type RepoCachePaths,
  sleep,
  writeNoExist,
  writeRef,
} from "./hub-cache.js";
import type { HubContext, HubSource } from "./hub-download.js";
import { HubError, type HubErrorDetails, hubError } from "./hub-error.js";
import {
  backoffMs,
  headerInt,
  REDIRECT_STATUSES,
  retryable,
  type Sent,
  send,
  statusError,
  withTries,
} from "./hub-http.js";
import { isCommitHash, normalizeEtag } from "./hub-paths.js";

export interface FileMetadata {
  readonly commit: string;
  /** The normalised ETag: the sha256 for LFS files. */
  readonly etag: string;
  /** The blob's file name: the ETag, or its sha256 when it is not a safe file name. */
  readonly blobName: string;
  readonly size: number | undefined;
}

const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._+=-]{0,199}$/;

function safeBlobName(m: NodeModules, etag: string): string {
  if (SAFE_SEGMENT.test(etag) && !/\.(lock|incomplete|tmp|stale)$/.test(etag)) return etag;
  return m.crypto.createHash("sha256").update(etag).digest("hex");
}

/**
 * The HEAD request, retried on network errors and 408/429/5xx. After the first such failure, when the cache
 * has the file, it gives up at once (the caller then serves the cached file, as Python does) rather than
 * waiting through every retry.
 */
export async function fetchMetadata(
  ctx: HubContext,
  source: HubSource,
  paths: RepoCachePaths,
  file: string,
  details: HubErrorDetails,
): Promise<FileMetadata> {
  const url = source.fileUrl(file);
  for (let tries = 1; ; tries++) {
    let error: HubError;
    try {
      const sent = await send(ctx, source, url, "HEAD", {}, details);
      const { response } = sent;
      if (response.ok || REDIRECT_STATUSES.has(response.status)) {
        return parseMetadata(ctx, source, sent, details);
      }
      if (response.status === 404 && source.kind === "hub")
        await recordMissing(ctx, source, paths, file, response);
      throw await statusError(sent, "HEAD", details);
    } catch (caught) {
      if (!(caught instanceof HubError) || !retryable.has(caught)) throw caught;
      error = caught;
    }
    if (tries >= ctx.maxTries) throw withTries(error, tries);
    if (tries === 1 && (await lookupCache(ctx.m, paths, source.revision, file)).path !== undefined)
      throw error;
    await sleep(backoffMs(ctx, tries, retryable.get(error)), ctx.signal);
  }
}

/** A 404 for a file of an existing commit: `.no_exist/{commit}/{file}` and `refs/{revision}`, as Python does. */
async function recordMissing(
  ctx: HubContext,
  source: HubSource,
  paths: RepoCachePaths,
  file: string,
  response: Response,
): Promise<void> {
  const commit = response.headers.get("x-repo-commit");
  const code = response.headers.get("x-error-code");
  if (commit === null || !isCommitHash(commit) || (code !== null && code !== "EntryNotFound")) return;
  await writeNoExist(ctx.m, paths.noExist(commit, file));
  if (source.revision !== commit)
    await writeRef(ctx.m, paths.ref(source.revision), commit).catch(() => undefined);
}

function parseMetadata(
  ctx: HubContext,
  source: HubSource,
  sent: Sent,
  details: HubErrorDetails,
): FileMetadata {
  const { response, url } = sent;
  const headers = response.headers;
  const redirected = REDIRECT_STATUSES.has(response.status);
  const rawCommit = headers.get("x-repo-commit")?.trim();
  let commit: string;
  if (rawCommit !== undefined && SAFE_SEGMENT.test(rawCommit)) commit = rawCommit;
  else if (source.kind === "url") commit = "url";
  else {
    throw hubError(
      "HUB_NETWORK",
      `the answer to HEAD ${url} has no usable X-Repo-Commit header, so it does not come from a Hugging Face ` +
        "Hub endpoint: check HF_ENDPOINT, proxies and firewalls",
      { ...details, url },
    );
  }
  const size =
    headerInt(headers.get("x-linked-size")) ??
    (redirected ? undefined : headerInt(headers.get("content-length")));
  const rawEtag = headers.get("x-linked-etag") ?? headers.get("etag");
  let etag: string;
  if (rawEtag !== null && normalizeEtag(rawEtag) !== "") etag = normalizeEtag(rawEtag);
  else if (source.kind === "url") {
    // A plain server without ETag: name the blob after the URL, Last-Modified and size.
    const basis = [url, headers.get("last-modified") ?? "", String(size ?? "")].join("\n");
    etag = `url-${ctx.m.crypto.createHash("sha256").update(basis).digest("hex").slice(0, 40)}`;
  } else {
    throw hubError(
      "HUB_NETWORK",
      `the answer to HEAD ${url} has no ETag: the file cannot be cached reliably`,
      {
        ...details,
        url,
      },
    );
  }
  return { commit, etag, blobName: safeBlobName(ctx.m, etag), size };
}
