/**
 * Model references (a local folder, an http(s) folder URL, or a Hub id with a revision) resolved to a folder
 * holding `config.json`, the tokenizer files and the weights, as `snapshot_download` / `from_pretrained` do.
 */
import { weightsError } from "./errors.js";
import { hubNodeModules } from "./hub-cache.js";
import {
  createHubContext,
  downloadToCache,
  type HubContext,
  type HubDownloadOptions,
  type HubDownloadResult,
  type HubSource,
  hubRepoSource,
  normalizeFolderUrl,
  urlFolderSource,
} from "./hub-download.js";
import { HubError, hubError } from "./hub-error.js";
import {
  DEFAULT_REVISION,
  hubEndpoint,
  hubFolderUrl,
  isCommitHash,
  processEnv,
  repoIdProblem,
  validateFilename,
  validateRevision,
} from "./hub-paths.js";
import { isNode } from "./node.js";
import { WEIGHT_FILE_CANDIDATES } from "./read-weights.js";

/** The model configuration, always fetched (a 404 is an error). */
export const MODEL_CONFIG_FILE = "config.json";

/**
 * Tokenizer files fetched when they exist (a 404 is fine): those of DeBERTa v1 (`tokenizer.json`, or
 * `vocab.json` + `merges.txt`) and of DeBERTa-v2 / v3 / mDeBERTa (`tokenizer.json`, or `spm.model`, all the
 * `microsoft/deberta-v3-*` repositories ship).
 */
export const TOKENIZER_FILES = [
  "tokenizer.json",
  "tokenizer_config.json",
  "spm.model",
  "vocab.json",
  "merges.txt",
  "special_tokens_map.json",
  "added_tokens.json",
] as const;

/** What a model reference designates. */
export interface ModelRef {
  /** `local`: a folder on disk; `url`: an http(s) folder; `hub`: a Hub repository id. */
  readonly kind: "local" | "url" | "hub";
  /** The folder path (as given, `~` expanded), the folder URL (ending in `/`), or the repository id. */
  readonly value: string;
}

/** Options of {@link resolveModel} and {@link resolveModelFiles}. */
export interface ResolveModelOptions extends HubDownloadOptions {
  /** Exactly these files (each required), instead of the default selection; an `*.index.json` brings its shards. */
  readonly files?: readonly string[];
  /** More files to fetch when they exist, besides the default selection (`onnx/model.onnx`, say). */
  readonly extraFiles?: readonly string[];
}

/** Where a model's files are. */
export interface ResolvedModel {
  /**
   * `local`: a local folder, returned as given. `cache`: the snapshot folder in the cache, holding every file
   * fetched. `remote`: no file system (a browser): `dir` is the folder URL, nothing was fetched.
   */
  readonly kind: "local" | "cache" | "remote";
  /** The folder: a path, or (for `remote`) a URL ending in `/` to resolve file names against. */
  readonly dir: string;
  readonly ref: ModelRef;
  /** The revision asked for (Hub ids). */
  readonly revision: string | undefined;
  /** The snapshot folder's name: the commit hash (`url` for a plain http folder); `cache` only. */
  readonly commit: string | undefined;
  /** The files fetched into `dir`, in order (`cache` only; empty otherwise). */
  readonly files: readonly string[];
  /** Which of them are the weights: one file, or an index and its shards (`cache` only). */
  readonly weights: readonly string[];
  /** True when some files came from the cache because the Hub could not be reached. */
  readonly usedCacheFallback: boolean;
}

function explicitPath(ref: string): boolean {
  return /^(\/|\.{1,2}([/\\]|$)|~([/\\]|$)|[A-Za-z]:)/.test(ref) || ref.includes("\\");
}

/**
 * What `ref` designates: an `http(s)://` URL is a folder URL; an existing local folder wins over a Hub id of
 * the same spelling (as in transformers); a path-like string (`/x`, `./x`, `../x`, `~/x`, `C:\x`) is a local
 * folder that must exist; else a Hub id `name` or `org/name`.
 *
 * @throws {@link HubError} `HUB_BAD_REFERENCE` for an empty reference, a missing local folder, a local file, or
 * an invalid Hub id (`a/b/c`).
 */
export async function parseModelRef(ref: string): Promise<ModelRef> {
  if (typeof ref !== "string" || ref.trim() === "") {
    throw hubError("HUB_BAD_REFERENCE", "the model reference is empty", { repo: String(ref) });
  }
  if (/^https?:\/\//i.test(ref)) {
    try {
      return { kind: "url", value: normalizeFolderUrl(ref) };
    } catch (cause) {
      throw hubError("HUB_BAD_REFERENCE", "not a valid URL", { repo: ref, cause });
    }
  }
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(ref)) {
    throw hubError("HUB_BAD_REFERENCE", "only http(s) URLs, local folders and Hub ids are supported", {
      repo: ref,
    });
  }
  if (isNode()) {
    const { fs, os, path } = await hubNodeModules({ repo: ref });
    const local = ref === "~" || /^~[/\\]/.test(ref) ? path.join(os.homedir(), ref.slice(2)) : ref;
    try {
      const stat = await fs.promises.stat(local);
      if (stat.isDirectory()) return { kind: "local", value: local };
      throw hubError("HUB_BAD_REFERENCE", "is a file; a model reference is a folder", { repo: ref });
    } catch (error) {
      if (error instanceof HubError) throw error;
    }
    if (explicitPath(ref)) {
      throw hubError("HUB_BAD_REFERENCE", `no such local folder (${path.resolve(local)})`, { repo: ref });
    }
  } else if (explicitPath(ref)) {
    return { kind: "local", value: ref };
  }
  const problem = repoIdProblem(ref);
  if (problem !== undefined) {
    throw hubError("HUB_BAD_REFERENCE", `neither an existing local folder nor a valid Hub id: ${problem}`, {
      repo: ref,
    });
  }
  return { kind: "hub", value: ref };
}

/** A shard file name from an index: a plain name in the same folder (no separators, no `..`). */
function isPlainFileName(name: string): boolean {
  return name.length > 0 && !/[/\\\0]/.test(name) && name !== "." && name !== "..";
}

/** The shards an index names, in order of first appearance (its `weight_map` values). */
async function indexShards(ctx: HubContext, indexPath: string, indexName: string): Promise<string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await ctx.m.fs.promises.readFile(indexPath, "utf8"));
  } catch (cause) {
    throw weightsError("WEIGHTS_CORRUPT", indexPath, "the index is not valid JSON", { cause });
  }
  const map = (parsed as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map)) {
    throw weightsError("WEIGHTS_CORRUPT", indexPath, 'the index has no "weight_map" object');
  }
  const shards: string[] = [];
  for (const [key, shard] of Object.entries(map)) {
    if (typeof shard !== "string" || !isPlainFileName(shard)) {
      throw weightsError(
        "WEIGHTS_CORRUPT",
        indexPath,
        `weight_map entry ${JSON.stringify(shard)} is not a file name in the model folder`,
        { key },
      );
    }
    if (!shards.includes(shard)) shards.push(shard);
  }
  if (shards.length === 0)
    throw weightsError("WEIGHTS_CORRUPT", indexPath, "the index's weight_map is empty");
  const folder = indexName.includes("/") ? indexName.slice(0, indexName.lastIndexOf("/") + 1) : "";
  return shards.map((shard) => folder + shard);
}

/**
 * Resolves a model reference to a folder with its files (see {@link resolveModelFiles}), and says what was
 * fetched.
 */
export async function resolveModel(ref: string, options: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const parsed = await parseModelRef(ref);
  const revision = parsed.kind === "hub" ? (options.revision ?? DEFAULT_REVISION) : undefined;
  if (revision !== undefined) validateRevision(revision, parsed.value);
  const empty = { files: [], weights: [], commit: undefined, usedCacheFallback: false };
  if (parsed.kind === "local") return { kind: "local", dir: parsed.value, ref: parsed, revision, ...empty };
  if (!isNode()) {
    const dir =
      parsed.kind === "hub"
        ? hubFolderUrl(parsed.value, revision, hubEndpoint(options.endpoint, options.env ?? processEnv()))
        : parsed.value;
    return { kind: "remote", dir, ref: parsed, revision, ...empty };
  }
  if (options.files !== undefined && options.files.length === 0) {
    throw hubError("HUB_BAD_REFERENCE", "the files option is empty", { repo: parsed.value, revision });
  }
  for (const file of [...(options.files ?? []), ...(options.extraFiles ?? [])]) {
    validateFilename(file, parsed.value, revision);
  }

  const ctx = await createHubContext(options, { repo: parsed.value, revision });
  let source: HubSource =
    parsed.kind === "hub" ? hubRepoSource(ctx, parsed.value, revision) : urlFolderSource(ctx, parsed.value);
  const fetched = new Map<string, HubDownloadResult>();
  let usedCacheFallback = false;
  let networkError: HubError | undefined;

  /** True when fetched; false when absent (and `required` is false). */
  const fetchFile = async (file: string, required: boolean): Promise<boolean> => {
    if (fetched.has(file)) return true;
    try {
      const result = await downloadToCache(ctx, source, file);
      fetched.set(file, result);
      if (result.from === "fallback" && !ctx.offline) {
        usedCacheFallback = true;
        ctx.offline = true;
        ctx.offlineReason = "the Hub could not be reached, so only the cache is used";
      }
      // Every later file comes from the same commit, even if the branch moves meanwhile (as transformers
      // does with `_commit_hash`); files already in that snapshot then need no request at all.
      if (source.kind === "hub" && isCommitHash(result.commit) && source.revision !== result.commit) {
        source = hubRepoSource(ctx, source.repo, result.commit);
      }
      return true;
    } catch (error) {
      if (!(error instanceof HubError) || required) throw error;
      if (error.code === "HUB_NOT_FOUND" || error.code === "HUB_OFFLINE_MISSING") return false;
      if (error.code === "HUB_NETWORK" && !ctx.offline) {
        networkError = error;
        usedCacheFallback = true;
        ctx.offline = true;
        ctx.offlineReason = "the Hub could not be reached, so only the cache is used";
        return false;
      }
      throw error;
    }
  };

  const weights: string[] = [];
  const fetchWithShards = async (file: string) => {
    await fetchFile(file, true);
    if (file.endsWith(".index.json")) {
      for (const shard of await indexShards(ctx, fetched.get(file)!.path, file)) await fetchFile(shard, true);
    }
  };

  if (options.files !== undefined) {
    for (const file of options.files) await fetchWithShards(file);
  } else {
    await fetchFile(MODEL_CONFIG_FILE, true);
    for (const file of [...TOKENIZER_FILES, ...(options.extraFiles ?? [])]) await fetchFile(file, false);
    let found: string | undefined;
    for (const candidate of WEIGHT_FILE_CANDIDATES) {
      if (await fetchFile(candidate, false)) {
        found = candidate;
        break;
      }
    }
    if (found === undefined) {
      if (networkError !== undefined) throw networkError;
      throw hubError(
        ctx.offline ? "HUB_OFFLINE_MISSING" : "HUB_NOT_FOUND",
        `no weights: none of ${WEIGHT_FILE_CANDIDATES.join(", ")} ${
          ctx.offline ? `is in the cache (${ctx.offlineReason})` : "exists"
        }`,
        { repo: source.repo, revision: revision ?? source.revision },
      );
    }
    weights.push(found);
    if (found.endsWith(".index.json")) {
      const shards = await indexShards(ctx, fetched.get(found)!.path, found);
      for (const shard of shards) await fetchFile(shard, true);
      weights.push(...shards);
    }
  }

  const first = fetched.values().next().value as HubDownloadResult;
  const dir = ctx.m.path.join(ctx.cacheDir, source.folderName, "snapshots", first.commit);
  return {
    kind: "cache",
    dir,
    ref: parsed,
    revision,
    commit: first.commit,
    files: [...fetched.keys()],
    weights: options.files === undefined ? weights : [...fetched.keys()].filter(isWeightFile),
    usedCacheFallback,
  };
}

function isWeightFile(file: string): boolean {
  return /(\.safetensors|\.bin|\.safetensors\.index\.json|\.bin\.index\.json)$/.test(file);
}

/**
 * Resolves a model reference to a folder holding its files, like `snapshot_download` restricted to what a
 * model needs, and returns the folder:
 *
 * - a **local folder** is returned as given (nothing is checked or copied);
 * - a **Hub id** (`org/name` or `name`, with `revision`, default `main`) or an **http(s) folder URL** is
 *   downloaded into the cache (see {@link hfFileDownload}), and the snapshot folder
 *   `<cache>/models--org--name/snapshots/{commit}` is returned (`models--url--{hash}/snapshots/url` for a URL).
 *   It holds `config.json` (required), the tokenizer files that exist ({@link TOKENIZER_FILES}, a 404 is fine),
 *   `extraFiles` that exist, and the weights: the first of `model.safetensors`, `model.safetensors.index.json`
 *   (and its shards), `pytorch_model.bin`, `pytorch_model.bin.index.json` (and its shards) that exists. With
 *   `files`, exactly those files instead. After the first file, the rest come from the same commit.
 * - where there is no file system (a browser), a Hub id or URL gives the folder URL instead, ending in `/`
 *   (`https://huggingface.co/org/name/resolve/main/`): fetch `new URL("config.json", dir)` and so on yourself.
 *
 * Offline (`HF_HUB_OFFLINE=1` or `localFilesOnly`), or when the Hub cannot be reached, files come from the
 * cache only; missing optional files are skipped.
 *
 * @throws {@link HubError} as {@link hfFileDownload} and {@link parseModelRef}; `HUB_NOT_FOUND` /
 * `HUB_OFFLINE_MISSING` when no weights exist; `WeightsError` `WEIGHTS_CORRUPT` for a malformed index.
 */
export async function resolveModelFiles(ref: string, options: ResolveModelOptions = {}): Promise<string> {
  return (await resolveModel(ref, options)).dir;
}
