/**
 * Names and URLs of the Hugging Face Hub, as `huggingface_hub` (Python) builds them: repository ids, revisions,
 * file URLs, cache folder names, ETags, and the environment variables read. No Node built-in is used here, so
 * everything in this module works in browsers too.
 */
import { hubError } from "./hub-error.js";

/** `https://huggingface.co`, used when neither the `endpoint` option nor `HF_ENDPOINT` is set. */
export const DEFAULT_HUB_ENDPOINT = "https://huggingface.co";

/** The revision used when none is given. */
export const DEFAULT_REVISION = "main";

/** Environment variables, as `process.env` holds them. */
export type HubEnv = Readonly<Record<string, string | undefined>>;

/** `process.env`, or `{}` where there is no `process` (browsers). */
export function processEnv(): HubEnv {
  return (globalThis as { process?: { env?: HubEnv } }).process?.env ?? {};
}

/** An environment variable, `undefined` when unset or empty (as an empty `HF_ENDPOINT` would be unusable). */
export function envValue(env: HubEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** `1`, `ON`, `YES` or `TRUE` in any case, as `huggingface_hub` reads boolean variables. */
export function envIsTrue(value: string | undefined): boolean {
  return value !== undefined && ["1", "ON", "YES", "TRUE"].includes(value.trim().toUpperCase());
}

/** True when `HF_HUB_OFFLINE` (or transformers' `TRANSFORMERS_OFFLINE`) is `1`/`true`/`yes`/`on`. */
export function isHubOffline(env: HubEnv = processEnv()): boolean {
  return envIsTrue(env.HF_HUB_OFFLINE) || envIsTrue(env.TRANSFORMERS_OFFLINE);
}

/** The Hub endpoint: `endpoint`, else `$HF_ENDPOINT`, else `https://huggingface.co`; no trailing slash. */
export function hubEndpoint(endpoint?: string, env: HubEnv = processEnv()): string {
  const value = endpoint !== undefined && endpoint !== "" ? endpoint : envValue(env, "HF_ENDPOINT");
  return (value ?? DEFAULT_HUB_ENDPOINT).replace(/\/+$/, "");
}

const REPO_PART = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?$/;

/** Why `repoId` is not a valid Hub model id, or `undefined` when it is (the rules of `huggingface_hub`). */
export function repoIdProblem(repoId: string): string | undefined {
  if (typeof repoId !== "string" || repoId.length === 0) return "the repository id is empty";
  const parts = repoId.split("/");
  if (parts.length > 2) return 'a repository id is "name" or "namespace/name", with at most one "/"';
  if (!parts.every((part) => REPO_PART.test(part))) {
    return (
      "a repository id uses letters, digits, '-', '_' and '.', does not start or end with '-' or '.', " +
      "and each part has at most 96 characters"
    );
  }
  if (repoId.includes("--") || repoId.includes("..")) return 'a repository id cannot contain "--" or ".."';
  if (repoId.endsWith(".git")) return 'a repository id cannot end with ".git"';
  return undefined;
}

/** Throws `HUB_BAD_REFERENCE` unless `repoId` is a valid Hub model id (`name` or `org/name`). */
export function validateRepoId(repoId: string): void {
  const problem = repoIdProblem(repoId);
  if (problem !== undefined) {
    throw hubError("HUB_BAD_REFERENCE", `invalid Hub repository id: ${problem}`, { repo: String(repoId) });
  }
}

/** Throws `HUB_BAD_REFERENCE` for a revision that is empty or could leave `refs/` (`..`, `/x`, `a\b`). */
export function validateRevision(revision: string, repo?: string): void {
  const bad =
    typeof revision !== "string" ||
    revision.length === 0 ||
    revision.length > 255 ||
    /[\\\0]/.test(revision) ||
    revision.split("/").some((part) => part === "" || part === "." || part === "..");
  if (bad) {
    throw hubError(
      "HUB_BAD_REFERENCE",
      "invalid revision: a branch, tag or commit hash, without empty, '.' or '..' path parts",
      { repo, revision: String(revision) },
    );
  }
}

/**
 * Throws `HUB_BAD_REFERENCE` for a file name that could leave the snapshot folder: empty, absolute, with a
 * drive letter, a backslash, an empty, `.` or `..` part.
 */
export function validateFilename(file: string, repo?: string, revision?: string): void {
  const bad =
    typeof file !== "string" ||
    file.length === 0 ||
    /[\\\0]/.test(file) ||
    /^[A-Za-z]:/.test(file) ||
    file.split("/").some((part) => part === "" || part === "." || part === "..");
  if (bad) {
    throw hubError(
      "HUB_BAD_REFERENCE",
      "invalid file name: a relative path inside the repository, '/'-separated, without '.' or '..' parts",
      { repo, revision, file: String(file) },
    );
  }
}

/** True for a full commit hash (40 lowercase hex digits), which names a snapshot folder directly. */
export function isCommitHash(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}

/** True for a sha256 in hex (64 lowercase hex digits): the ETag of an LFS file, checked after download. */
export function isSha256(etag: string): boolean {
  return /^[0-9a-f]{64}$/.test(etag);
}

/** An ETag header without a `W/` prefix and without quotes, as `huggingface_hub` names blobs. */
export function normalizeEtag(etag: string): string {
  return etag
    .trim()
    .replace(/^W\//, "")
    .replace(/^"+|"+$/g, "");
}

/** `encodeURIComponent` of each `/`-separated part. */
export function encodePath(file: string): string {
  return file.split("/").map(encodeURIComponent).join("/");
}

/**
 * The URL of a file of a Hub model repository:
 * `${endpoint}/${repoId}/resolve/${revision}/${file}`, the revision and each part of the file name URL-encoded
 * (`refs/pr/1` becomes `refs%2Fpr%2F1`), as `hf_hub_url` builds it. Works anywhere, browsers included.
 *
 * @param endpoint defaults to `$HF_ENDPOINT`, else `https://huggingface.co`.
 * @throws {@link HubError} `HUB_BAD_REFERENCE` for an invalid repository id, revision or file name.
 */
export function hubFileUrl(
  repoId: string,
  file: string,
  revision: string = DEFAULT_REVISION,
  endpoint?: string,
): string {
  validateRepoId(repoId);
  validateRevision(revision, repoId);
  validateFilename(file, repoId, revision);
  return `${hubFolderUrl(repoId, revision, endpoint)}${encodePath(file)}`;
}

/**
 * The URL of a revision's folder, ending in `/`: `${endpoint}/${repoId}/resolve/${revision}/`. A file's URL is
 * this plus the file name; `resolveModelFiles` returns it where there is no file system.
 */
export function hubFolderUrl(repoId: string, revision: string = DEFAULT_REVISION, endpoint?: string): string {
  validateRepoId(repoId);
  validateRevision(revision, repoId);
  return `${hubEndpoint(endpoint)}/${repoId}/resolve/${encodeURIComponent(revision)}/`;
}

/** The cache folder of a model repository, as `huggingface_hub` names it: `models--{org}--{name}`. */
export function repoFolderName(repoId: string): string {
  validateRepoId(repoId);
  return ["models", ...repoId.split("/")].join("--");
}
