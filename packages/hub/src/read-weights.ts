/**
 * Reading a model's weights from files: the format is picked by content, and a model folder's files by the
 * names transformers writes (`model.safetensors`, sharded `model.safetensors.index.json`,
 * `pytorch_model.bin`, sharded `pytorch_model.bin.index.json`).
 *
 * Memory: a file is read once into one buffer and the tensors are views on it wherever the format allows
 * (F32 and the other kept types, aligned, in host byte order); F16/BF16 are converted into new float32
 * arrays, non-contiguous torch tensors copied. A view keeps its whole file buffer alive, so drop every tensor
 * of a file (or copy the ones you keep) to free it.
 */
import type { WeightTensor } from "./dtypes.js";
import { WeightsError, weightsError } from "./errors.js";
import { importNodeBuiltin, plainBytes } from "./node.js";
import { readSafetensors } from "./safetensors.js";
import { readTorchBinAsync } from "./torch-bin.js";

/** The file formats read. */
export type WeightsFormat = "safetensors" | "torch-zip" | "torch-legacy";

/** The file names looked for in a model folder, in order of preference. */
export const WEIGHT_FILE_CANDIDATES = [
  "model.safetensors",
  "model.safetensors.index.json",
  "pytorch_model.bin",
  "pytorch_model.bin.index.json",
] as const;

/** What {@link findWeightFiles} found in a model folder. */
export interface WeightFiles {
  /** `safetensors` for `model.safetensors[.index.json]`, `pytorch` for `pytorch_model.bin[.index.json]`. */
  readonly format: "safetensors" | "pytorch";
  /** The folder searched. */
  readonly dir: string;
  /** Paths of the files to read: one file, or every shard of the index in order of first appearance. */
  readonly files: string[];
  /** The index file's path, for sharded checkpoints. */
  readonly index?: string;
  /** The index's `weight_map` (tensor name → shard file name), for sharded checkpoints. */
  readonly weightMap?: Map<string, string>;
}

type Fs = typeof import("node:fs");
type Path = typeof import("node:path");

async function nodeModules(location: string): Promise<{ fs: Fs; path: Path }> {
  try {
    const [fs, path] = await Promise.all([
      importNodeBuiltin<Fs>("node:fs"),
      importNodeBuiltin<Path>("node:path"),
    ]);
    return { fs, path };
  } catch (cause) {
    throw weightsError(
      "WEIGHTS_READ",
      location,
      "reading local files needs Node.js; use readWeightsFromBuffer with bytes you fetched",
      { cause },
    );
  }
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

const TAR_MAGIC = [0x75, 0x73, 0x74, 0x61, 0x72]; // "ustar" at offset 257

/** A safetensors start: `{` right after a little-endian u64 header length that fits in the file. */
function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 9 || bytes[8] !== 0x7b) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const length = view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true);
  return length <= bytes.length - 8;
}

/**
 * Which reader a file needs, from its first bytes: a safetensors header (`{` after a plausible 8-byte length;
 * checked first, since a length byte can be 0x80, a pickle's first byte), a zip archive (`PK\x03\x04`: a
 * torch.save zip), a pickle (`\x80` protocol byte) or tar archive (a legacy torch.save), or, by name, a
 * damaged `.safetensors` file. Undefined when none fits.
 */
export function detectWeightsFormat(bytes: Uint8Array, fileName = ""): WeightsFormat | undefined {
  if (looksLikeSafetensors(bytes)) return "safetensors";
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5)) {
    return "torch-zip";
  }
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1]! <= 5) return "torch-legacy";
  if (bytes.length >= 262 && TAR_MAGIC.every((b, i) => bytes[257 + i] === b)) return "torch-legacy";
  if (/\.safetensors$/i.test(fileName)) return "safetensors";
  return undefined;
}

/**
 * Reads every tensor of a weights file held in memory (safetensors or either torch.save format, picked by
 * content). Tensors are views on `bytes` where possible: see the module's memory notes.
 *
 * @param fileName named in errors (and used to recognise a damaged `.safetensors` file).
 * @throws {@link WeightsError}: `WEIGHTS_CORRUPT`, `WEIGHTS_UNSUPPORTED` (also for an unrecognised format),
 * `WEIGHTS_UNSAFE_PICKLE`.
 */
export async function readWeightsFromBuffer(
  bytes: Uint8Array,
  fileName: string,
): Promise<Map<string, WeightTensor>> {
  const data = plainBytes(bytes);
  if (data.length === 0) throw weightsError("WEIGHTS_CORRUPT", fileName, "the file is empty");
  const format = detectWeightsFormat(data, fileName);
  switch (format) {
    case "safetensors":
      return readSafetensors(data, fileName);
    case "torch-zip":
    case "torch-legacy":
      return readTorchBinAsync(data, fileName);
    default:
      throw weightsError(
        "WEIGHTS_UNSUPPORTED",
        fileName,
        "unrecognised format: not safetensors, a torch.save zip archive, or a legacy torch.save pickle",
      );
  }
}

/** The largest file `fs.readFile` reads in one go (Node 20: 2 GiB - 1); larger files are read in chunks. */
const READ_FILE_LIMIT = 2 ** 31 - 1;
const CHUNK = 2 ** 30;

/**
 * Reads a file into one buffer (Node). `fs.readFile` up to 2 GiB; beyond, one buffer of the file's size
 * filled in 1 GiB reads (up to the runtime's largest buffer).
 */
export async function readFileBytes(file: string): Promise<Uint8Array> {
  const { fs } = await nodeModules(file);
  let handle: import("node:fs/promises").FileHandle;
  try {
    handle = await fs.promises.open(file, "r");
  } catch (cause) {
    const code = errnoCode(cause);
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw weightsError("WEIGHTS_FILE_MISSING", file, "file not found", { cause });
    }
    throw weightsError("WEIGHTS_READ", file, `cannot be opened (${code ?? String(cause)})`, { cause });
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) {
      throw weightsError("WEIGHTS_READ", file, "is a folder, not a file (use readWeightsFromDir)");
    }
    if (stat.size <= READ_FILE_LIMIT) return plainBytes(await handle.readFile());
    let buffer: Uint8Array;
    try {
      buffer = new Uint8Array(stat.size);
    } catch (cause) {
      throw weightsError(
        "WEIGHTS_UNSUPPORTED",
        file,
        `${stat.size} bytes do not fit in one buffer in this runtime; use a sharded checkpoint`,
        { cause },
      );
    }
    let at = 0;
    while (at < stat.size) {
      const { bytesRead } = await handle.read(buffer, at, Math.min(CHUNK, stat.size - at), at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    if (at !== stat.size) {
      throw weightsError(
        "WEIGHTS_READ",
        file,
        `the file shrank while being read (${at} of ${stat.size} bytes)`,
      );
    }
    return buffer;
  } catch (cause) {
    if (cause instanceof WeightsError) throw cause;
    throw weightsError("WEIGHTS_READ", file, `cannot be read (${errnoCode(cause) ?? String(cause)})`, {
      cause,
    });
  } finally {
    await handle.close();
  }
}

/**
 * Reads every tensor of one weights file (Node): safetensors or `pytorch_model.bin` (either torch.save format),
 * picked by content. The file is read once into one buffer; tensors are views on it where possible.
 *
 * @throws {@link WeightsError} `WEIGHTS_FILE_MISSING` when the file does not exist, `WEIGHTS_READ` when it
 * cannot be read, and what {@link readWeightsFromBuffer} throws.
 */
export async function readWeightsFile(file: string): Promise<Map<string, WeightTensor>> {
  return readWeightsFromBuffer(await readFileBytes(file), file);
}

/** A shard file name from an index: a plain name in the same folder (no separators, no `..`). */
function isPlainFileName(name: string): boolean {
  return name.length > 0 && !/[/\\]/.test(name) && name !== "." && name !== ".." && !name.includes("\0");
}

async function readIndex(
  fs: Fs,
  index: string,
): Promise<{ weightMap: Map<string, string>; shards: string[] }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.promises.readFile(index, "utf8"));
  } catch (cause) {
    if (cause instanceof SyntaxError) {
      throw weightsError("WEIGHTS_CORRUPT", index, `the index is not valid JSON (${cause.message})`, {
        cause,
      });
    }
    throw weightsError("WEIGHTS_READ", index, `cannot be read (${errnoCode(cause) ?? String(cause)})`, {
      cause,
    });
  }
  const map = (parsed as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map)) {
    throw weightsError("WEIGHTS_CORRUPT", index, 'the index has no "weight_map" object');
  }
  const weightMap = new Map<string, string>();
  const shards: string[] = [];
  for (const [key, shard] of Object.entries(map)) {
    if (typeof shard !== "string" || !isPlainFileName(shard)) {
      throw weightsError(
        "WEIGHTS_CORRUPT",
        index,
        `weight_map entry ${JSON.stringify(shard)} is not a file name in the model folder`,
        { key },
      );
    }
    weightMap.set(key, shard);
    if (!shards.includes(shard)) shards.push(shard);
  }
  if (shards.length === 0) throw weightsError("WEIGHTS_CORRUPT", index, "the index's weight_map is empty");
  return { weightMap, shards };
}

/**
 * Finds a model folder's weight files, preferring `model.safetensors`, then `model.safetensors.index.json`
 * (all its shards), then `pytorch_model.bin`, then `pytorch_model.bin.index.json` (Node).
 *
 * @throws {@link WeightsError} `WEIGHTS_FILE_MISSING` naming the folder when it does not exist or holds none of
 * {@link WEIGHT_FILE_CANDIDATES} (all named in the message), or naming a shard an index lists that is missing;
 * `WEIGHTS_CORRUPT` for an index that is not JSON with a `weight_map` of plain file names.
 */
export async function findWeightFiles(dir: string): Promise<WeightFiles> {
  const { fs, path } = await nodeModules(dir);
  let names: Set<string>;
  try {
    const stat = await fs.promises.stat(dir);
    if (!stat.isDirectory()) {
      throw weightsError("WEIGHTS_READ", dir, "is a file, not a model folder (use readWeightsFile)");
    }
    names = new Set(await fs.promises.readdir(dir));
  } catch (cause) {
    if (cause instanceof WeightsError) throw cause;
    const code = errnoCode(cause);
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw weightsError("WEIGHTS_FILE_MISSING", dir, "the model folder does not exist", { cause });
    }
    throw weightsError("WEIGHTS_READ", dir, `the model folder cannot be read (${code ?? String(cause)})`, {
      cause,
    });
  }
  const found = WEIGHT_FILE_CANDIDATES.find((name) => names.has(name));
  if (found === undefined) {
    throw weightsError(
      "WEIGHTS_FILE_MISSING",
      dir,
      `the model folder has no weights: looked for ${WEIGHT_FILE_CANDIDATES.join(", ")}`,
    );
  }
  const format = found.startsWith("model.safetensors") ? "safetensors" : "pytorch";
  const full = path.join(dir, found);
  if (!found.endsWith(".index.json")) return { format, dir, files: [full] };
  const { weightMap, shards } = await readIndex(fs, full);
  for (const shard of shards) {
    if (!names.has(shard)) {
      const key = [...weightMap].find(([, s]) => s === shard)?.[0];
      throw weightsError(
        "WEIGHTS_FILE_MISSING",
        path.join(dir, shard),
        `the shard named by ${found} is missing from ${dir}`,
        { key },
      );
    }
  }
  return { format, dir, files: shards.map((shard) => path.join(dir, shard)), index: full, weightMap };
}

/**
 * Reads every tensor of a model folder (Node): {@link findWeightFiles}, then each file with
 * {@link readWeightsFile}. For a sharded checkpoint every tensor the index names must be in the shard it names,
 * and no tensor may appear in two shards. Shards are read one after another and all kept (as views).
 *
 * @throws {@link WeightsError} as {@link findWeightFiles} and {@link readWeightsFile}, and `WEIGHTS_CORRUPT`
 * naming the shard and tensor when the shards contradict the index.
 */
export async function readWeightsFromDir(dir: string): Promise<Map<string, WeightTensor>> {
  const found = await findWeightFiles(dir);
  const out = new Map<string, WeightTensor>();
  const origin = new Map<string, string>();
  for (const file of found.files) {
    const tensors = await readWeightsFile(file);
    for (const [key, tensor] of tensors) {
      const previous = origin.get(key);
      if (previous !== undefined) {
        throw weightsError("WEIGHTS_CORRUPT", file, `also appears in shard ${previous}`, { key });
      }
      origin.set(key, file);
      out.set(key, tensor);
    }
  }
  if (found.weightMap !== undefined) {
    const { path } = await nodeModules(dir);
    for (const [key, shard] of found.weightMap) {
      const file = path.join(dir, shard);
      if (origin.get(key) !== file) {
        throw weightsError(
          "WEIGHTS_CORRUPT",
          file,
          `the index ${found.index} places this tensor in ${shard}, which does not hold it`,
          { key },
        );
      }
    }
  }
  return out;
}
