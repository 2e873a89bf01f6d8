/**
 * The GET of one file into `blobs/{etag}.incomplete`: resumed with `Range` after a dropped connection,
 * retried with backoff, checked against the announced size and LFS sha256, then renamed to `blobs/{etag}`.
 */
import type { NodeModules } from "./hub-cache.js";
import { sleep } from "./hub-cache.js";
import type { HubContext, HubSource } from "./hub-download.js";
import { HubError, type HubErrorDetails, hubError } from "./hub-error.js";
import {
  backoffMs,
  describeFailure,
  headerInt,
  markRetryable,
  parseContentRange,
  retryable,
  send,
  statusError,
  withTries,
} from "./hub-http.js";
import type { FileMetadata } from "./hub-metadata.js";
import { isSha256 } from "./hub-paths.js";

type Hash = import("node:crypto").Hash;

export function progressReporter(ctx: HubContext, source: HubSource, file: string) {
  let last = -1;
  let lastTotal: number | undefined;
  const send = (loaded: number, total: number | undefined, cached: boolean) => {
    last = loaded;
    lastTotal = total;
    ctx.onProgress?.({ repo: source.repo, file, loaded, total, cached });
  };
  return {
    /** Bytes so far; skipped unless above the last report (after a restart from 0, until it passes it). */
    update(loaded: number, total: number | undefined) {
      if (loaded > last) send(loaded, total, false);
    },
    /** The final report: `loaded === total === size`. */
    done(size: number, cached: boolean) {
      if (size >= last && !(size === last && lastTotal === size)) send(size, size, cached);
    },
  };
}

export async function fileSize(m: NodeModules, file: string): Promise<number> {
  try {
    return (await m.fs.promises.stat(file)).size;
  } catch {
    return 0;
  }
}

async function hashFile(m: NodeModules, file: string): Promise<Hash> {
  const hash = m.crypto.createHash("sha256");
  for await (const chunk of m.fs.createReadStream(file)) hash.update(chunk as Uint8Array);
  return hash;
}

/**
 * GETs the file into `blob + ".incomplete"`, resuming with `Range: bytes={have}-` after a failure (a 206 is
 * appended; a 200 restarts from 0), checks size and LFS sha256, and renames it to `blob`. Consecutive tries
 * without progress are limited to `maxTries`. On a checksum failure nothing is kept.
 */
export async function downloadBlob(
  ctx: HubContext,
  source: HubSource,
  file: string,
  meta: FileMetadata,
  blob: string,
  details: HubErrorDetails,
): Promise<void> {
  const { m } = ctx;
  const { fs } = m;
  const incomplete = `${blob}.incomplete`;
  const url = source.fileUrl(file);
  const expectedSha = isSha256(meta.etag) ? meta.etag : undefined;
  const progress = progressReporter(ctx, source, file);
  let total = meta.size;
  let hash: Hash | undefined;
  let hashed = 0;
  let failures = 0;
  let best = -1;
  let downloadedFromZero = false;
  let leftoverRetried = false;

  for (let attempt = 1; ; attempt++) {
    let have = await fileSize(m, incomplete);
    if (total !== undefined && have > total) {
      await fs.promises.rm(incomplete, { force: true });
      have = 0;
    }
    if (have === 0) downloadedFromZero = true;
    let failure: HubError | undefined;
    let complete = total !== undefined && have === total;
    if (complete && have === 0) await fs.promises.writeFile(incomplete, new Uint8Array(0));
    if (!complete) {
      progress.update(have, total);
      try {
        const sent = await send(
          ctx,
          source,
          url,
          "GET",
          have > 0 ? { Range: `bytes=${have}-` } : {},
          details,
        );
        const { response } = sent;
        const range = parseContentRange(response.headers.get("content-range"));
        if (response.status === 416 && have > 0) {
          await response.body?.cancel().catch(() => undefined);
          const size = headerInt(
            /\/\s*(\d+)\s*$/.exec(response.headers.get("content-range") ?? "")?.[1] ?? null,
          );
          if (size === have) {
            total = have;
            complete = true;
          } else {
            await fs.promises.rm(incomplete, { force: true });
            throw markRetryable(hubError("HUB_NETWORK", `HTTP 416 for a resume at byte ${have}`, details));
          }
        } else if (!response.ok) {
          throw await statusError(sent, "GET", details);
        } else if (response.body === null) {
          throw markRetryable(hubError("HUB_NETWORK", `GET ${sent.url}: the answer has no body`, details));
        } else {
          let append = false;
          if (response.status === 206) {
            if (range === undefined || range.start !== have) {
              await response.body.cancel().catch(() => undefined);
              await fs.promises.rm(incomplete, { force: true });
              throw markRetryable(
                hubError(
                  "HUB_NETWORK",
                  `GET ${sent.url}: a partial answer not starting at byte ${have}`,
                  details,
                ),
              );
            }
            append = true;
            total ??= range.size;
          } else {
            // 200: the whole file (a server that ignores Range restarts the download from 0).
            have = 0;
            downloadedFromZero = true;
            const encoding = response.headers.get("content-encoding");
            if (encoding === null || encoding === "identity") {
              total ??= headerInt(response.headers.get("content-length"));
            }
          }
          if (expectedSha !== undefined) {
            if (!append) {
              hash = m.crypto.createHash("sha256");
              hashed = 0;
            } else if (hash === undefined || hashed !== have) {
              hash = await hashFile(m, incomplete);
              hashed = have;
            }
          }
          const handle = await fs.promises.open(incomplete, append ? "a" : "w");
          const reader = response.body.getReader();
          let streamed = false;
          try {
            for (;;) {
              let chunk: ReadableStreamReadResult<Uint8Array>;
              try {
                chunk = await reader.read();
              } catch (cause) {
                if (ctx.signal?.aborted) throw ctx.signal.reason;
                throw markRetryable(
                  hubError(
                    "HUB_NETWORK",
                    `the connection dropped after ${have} of ${total ?? "?"} bytes: ${describeFailure(cause)}`,
                    { ...details, url: sent.url, cause },
                  ),
                );
              }
              if (chunk.done) {
                streamed = true;
                break;
              }
              await handle.write(chunk.value);
              have += chunk.value.length;
              if (hash !== undefined) {
                hash.update(chunk.value);
                hashed += chunk.value.length;
              }
              if (total !== undefined && have > total) break;
              progress.update(have, total);
            }
          } finally {
            if (!streamed) await reader.cancel().catch(() => undefined);
            reader.releaseLock();
            await handle.close();
          }
          if (total !== undefined && have > total) {
            await fs.promises.rm(incomplete, { force: true });
            throw hubError(
              "HUB_CHECKSUM",
              `received more than the ${total} bytes announced: the download is corrupt, nothing was kept`,
              { ...details, url: sent.url },
            );
          }
          if (total !== undefined && have < total) {
            throw markRetryable(
              hubError("HUB_NETWORK", `the answer ended after ${have} of ${total} bytes`, {
                ...details,
                url: sent.url,
              }),
            );
          }
          total ??= have;
          complete = true;
        }
      } catch (caught) {
        if (!(caught instanceof HubError) || !retryable.has(caught)) throw caught;
        failure = caught;
      }
    }

    if (complete) {
      const size = await fileSize(m, incomplete);
      if (expectedSha !== undefined) {
        if (hash === undefined || hashed !== size) hash = await hashFile(m, incomplete);
        const actual = hash.digest("hex");
        hash = undefined;
        hashed = 0;
        if (actual !== expectedSha) {
          await fs.promises.rm(incomplete, { force: true });
          if (!downloadedFromZero && !leftoverRetried) {
            // The bytes kept from an earlier interrupted download were bad: download once more from 0.
            leftoverRetried = true;
            continue;
          }
          throw hubError(
            "HUB_CHECKSUM",
            `the sha256 of the downloaded bytes is ${actual}, but the server announced ${expectedSha} (LFS): ` +
              "the download is corrupt, nothing was kept",
            { ...details, url },
          );
        }
      }
      await fs.promises.rename(incomplete, blob);
      progress.done(size, false);
      return;
    }

    const current = await fileSize(m, incomplete);
    if (current > best) {
      if (best >= 0) failures = 0;
      best = current;
    }
    failures++;
    if (failures >= ctx.maxTries || attempt >= ctx.maxTries * 20) throw withTries(failure!, attempt);
    await sleep(
      backoffMs(ctx, failures, failure === undefined ? undefined : retryable.get(failure)),
      ctx.signal,
    );
  }
}
