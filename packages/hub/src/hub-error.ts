/**
 * What went wrong while resolving or downloading from the Hugging Face Hub, machine-readable.
 *
 * - `HUB_NOT_FOUND`: the server answered 404: the repository, the revision or the file does not exist.
 * - `HUB_UNAUTHORIZED`: the server answered 401 or 403: a private or gated repository (or one that does not
 *   exist: the Hub answers 401 then too) needs a token (`HF_TOKEN`, or the `token` option), or the token sent
 *   was refused.
 * - `HUB_OFFLINE_MISSING`: offline (`HF_HUB_OFFLINE=1` or `localFilesOnly`), and the file is not in the cache.
 *   The message says where it looked.
 * - `HUB_NETWORK`: the network failed (connection refused or dropped, DNS), the server kept answering 5xx/429
 *   after every retry, or it answered something that is not a Hub response (no `X-Repo-Commit`, no `ETag`,
 *   too many redirects), and the file is not in the cache either.
 * - `HUB_CHECKSUM`: the downloaded bytes do not match: their sha256 differs from the LFS sha256 the server
 *   announced, or there are more bytes than announced. Nothing is kept.
 * - `HUB_LOCKED`: another process holds the download lock of this file for longer than `lockTimeoutMs`.
 * - `HUB_BAD_REFERENCE`: an invalid repository id (`a/b/c`, `../x`, ``), revision or file name, a local path
 *   that does not exist, or a download asked for where there is no file system (a browser).
 */
export type HubErrorCode =
  | "HUB_NOT_FOUND"
  | "HUB_UNAUTHORIZED"
  | "HUB_OFFLINE_MISSING"
  | "HUB_NETWORK"
  | "HUB_CHECKSUM"
  | "HUB_LOCKED"
  | "HUB_BAD_REFERENCE";

/** Where a {@link HubError} happened: each field is named in the message when known. */
export interface HubErrorDetails {
  /** The repository id (`org/name`), or the folder URL for an http(s) model reference. */
  readonly repo?: string | undefined;
  readonly revision?: string | undefined;
  /** The file name inside the repository (`config.json`, `onnx/model.onnx`). */
  readonly file?: string | undefined;
  /** The HTTP status that caused the error, if any. */
  readonly status?: number | undefined;
  /** The URL requested, if any. */
  readonly url?: string | undefined;
  readonly cause?: unknown;
}

/**
 * The error class of the Hub resolution, download and cache layer. `repo`, `revision` and `file` say which file
 * of which repository is concerned; the message names them, so a log line alone is enough.
 *
 * @example
 * ```ts
 * import { HubError, hfFileDownload } from "@deberta/hub";
 *
 * try {
 *   await hfFileDownload("org/private-model", "config.json");
 * } catch (error) {
 *   if (error instanceof HubError && error.code === "HUB_UNAUTHORIZED") console.log("set HF_TOKEN");
 * }
 * ```
 */
export class HubError extends Error {
  override readonly name = "HubError";
  readonly code: HubErrorCode;
  readonly repo: string | undefined;
  readonly revision: string | undefined;
  readonly file: string | undefined;
  readonly status: number | undefined;
  readonly url: string | undefined;

  constructor(code: HubErrorCode, message: string, details: HubErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.repo = details.repo;
    this.revision = details.revision;
    this.file = details.file;
    this.status = details.status;
    this.url = details.url;
  }
}

/**
 * Builds a {@link HubError} whose message starts with what is known of the location:
 * `repo "org/name", revision "main", file "config.json": <problem>`.
 */
export function hubError(code: HubErrorCode, problem: string, details: HubErrorDetails = {}): HubError {
  const where: string[] = [];
  if (details.repo !== undefined) where.push(`repo ${JSON.stringify(details.repo)}`);
  if (details.revision !== undefined) where.push(`revision ${JSON.stringify(details.revision)}`);
  if (details.file !== undefined) where.push(`file ${JSON.stringify(details.file)}`);
  const message = where.length === 0 ? problem : `${where.join(", ")}: ${problem}`;
  return new HubError(code, message, details);
}
