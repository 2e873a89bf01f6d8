/**
 * PyTorch `pytorch_model.bin` (`torch.save` of a state dict), in both formats, read through the
 * whitelisting unpickler of ./pickle.ts: nothing in the file is ever executed.
 *
 * - zip (torch >= 1.6): `<prefix>/data.pkl` (the state dict; tensors refer to storages by persistent id),
 *   `<prefix>/data/<key>` (each storage's raw bytes), `<prefix>/byteorder`, `<prefix>/version`, ...
 * - legacy (torch < 1.6, `_use_new_zipfile_serialization=False`): consecutive pickles (magic number,
 *   protocol version, sys_info, the state dict, the list of storage keys), then for each key in that list
 *   an 8-byte element count and the storage's raw bytes.
 */
import type { WeightTensor } from "./dtypes.js";
import { weightsError } from "./errors.js";
import { plainBytes } from "./node.js";
import { DATA_GLOBALS, unpickle } from "./pickle.js";
import { describePickled } from "./pickle-values.js";
import {
  materialize,
  type StorageRef,
  stateDictTensors,
  storageTable,
  TORCH_GLOBALS,
  TORCH_REFUSALS,
} from "./torch-storage.js";

import {
  type InflateRaw,
  inflateRawWithStreams,
  nodeInflateRaw,
  readZipDirectory,
  ZIP_DEFLATED,
  type ZipArchive,
  zipEntryData,
  zipEntryRawBytes,
} from "./zip.js";

/** The legacy format's first pickle: `0x1950a86a20f9469cfc6c`. */
export const TORCH_LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL_VERSION = 1001;

export { TORCH_GLOBALS, TORCH_REFUSALS } from "./torch-storage.js";

/** Options of {@link readTorchBin}. */
export interface TorchBinOptions {
  /** Decompresses deflated zip entries; without it they are `WEIGHTS_UNSUPPORTED` (torch stores entries). */
  readonly inflateRaw?: InflateRaw;
}

function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);
}

function isTar(bytes: Uint8Array): boolean {
  return bytes.length >= 262 && String.fromCharCode(...bytes.subarray(257, 262)) === "ustar";
}

/**
 * Reads a `pytorch_model.bin` held in memory, either torch.save format (picked by content).
 *
 * @param file named in errors.
 * @throws {@link WeightsError} `WEIGHTS_UNSAFE_PICKLE` naming the global when the pickle names anything outside
 * {@link TORCH_GLOBALS} (nothing is executed); `WEIGHTS_CORRUPT` for damaged archives, pickles, storages or
 * tensor geometry (naming the tensor); `WEIGHTS_UNSUPPORTED` for TorchScript archives, tar-format
 * checkpoints, unsupported storage types, deflated entries without `inflateRaw`.
 */
export function readTorchBin(
  bytes: Uint8Array,
  file: string,
  options: TorchBinOptions = {},
): Map<string, WeightTensor> {
  const data = plainBytes(bytes);
  if (isZip(data)) return readTorchZip(data, readZipDirectory(data, file), file, options.inflateRaw);
  if (isTar(data)) {
    throw weightsError(
      "WEIGHTS_UNSUPPORTED",
      file,
      "a tar-format torch checkpoint (torch < 0.4); re-save it with a recent torch",
    );
  }
  return readTorchLegacy(data, file);
}

/**
 * {@link readTorchBin} that also reads deflated zip entries: with `node:zlib` in Node (imported lazily),
 * else with `DecompressionStream("deflate-raw")`.
 */
export async function readTorchBinAsync(bytes: Uint8Array, file: string): Promise<Map<string, WeightTensor>> {
  const data = plainBytes(bytes);
  if (!isZip(data)) return readTorchBin(data, file);
  const archive = readZipDirectory(data, file);
  const deflated = [...archive.entries.values()].filter((entry) => entry.method === ZIP_DEFLATED);
  if (deflated.length === 0) return readTorchZip(data, archive, file, undefined);
  let inflate = await nodeInflateRaw();
  if (inflate === undefined && typeof globalThis.DecompressionStream === "function") {
    // DecompressionStream is asynchronous: inflate every deflated entry first, then read synchronously.
    const inflated = new Map<string, Uint8Array | Error>();
    for (const entry of deflated) {
      const raw = zipEntryRawBytes(data, entry, file);
      try {
        inflated.set(entry.name, await inflateRawWithStreams(raw, entry.size));
      } catch (cause) {
        inflated.set(entry.name, cause instanceof Error ? cause : new Error(String(cause)));
      }
    }
    inflate = (_compressed, entry) => {
      const result = inflated.get(entry.name);
      if (result instanceof Error) throw result;
      if (result === undefined) throw new Error("the entry was not inflated");
      return result;
    };
  }
  return readTorchZip(data, archive, file, inflate);
}

function readTorchZip(
  bytes: Uint8Array,
  archive: ZipArchive,
  file: string,
  inflateRaw: InflateRaw | undefined,
): Map<string, WeightTensor> {
  const names = [...archive.entries.keys()];
  if (names.some((name) => /^[^/]+\/(constants\.pkl$|code\/)/.test(name))) {
    throw weightsError(
      "WEIGHTS_UNSUPPORTED",
      file,
      "a TorchScript archive (torch.jit.save), not a torch.save state dict; nothing in it was run",
    );
  }
  const pickles = names.filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    throw weightsError(
      "WEIGHTS_CORRUPT",
      file,
      pickles.length === 0
        ? "zip archive without <prefix>/data.pkl: not a torch.save checkpoint"
        : `zip archive with ${pickles.length} data.pkl files (${pickles.join(", ")})`,
    );
  }
  const prefix = pickles[0]!.slice(0, -"data.pkl".length);
  const entry = (name: string) => archive.entries.get(prefix + name);
  const read = (name: string) => {
    const found = entry(name);
    return found === undefined ? undefined : zipEntryData(bytes, found, file, { inflateRaw });
  };
  let littleEndian = true;
  const byteorder = read("byteorder");
  if (byteorder !== undefined) {
    const text = new TextDecoder().decode(byteorder).trim();
    if (text !== "little" && text !== "big") {
      throw weightsError("WEIGHTS_CORRUPT", file, `byteorder record says ${JSON.stringify(text)}`);
    }
    littleEndian = text === "little";
  }
  const storages = storageTable(file, false);
  const { value } = unpickle(read("data.pkl")!, {
    file,
    globals: TORCH_GLOBALS,
    refusals: TORCH_REFUSALS,
    persistentLoad: storages.load,
  });
  const tensors = stateDictTensors(value, file);
  const data = new Map<string, Uint8Array>();
  const out = new Map<string, WeightTensor>();
  for (const [key, tensor] of tensors) {
    const { storage } = tensor;
    let storageBytes = data.get(storage.key);
    if (storageBytes === undefined) {
      const record = read(`data/${storage.key}`);
      if (record === undefined) {
        throw weightsError(
          "WEIGHTS_CORRUPT",
          file,
          `zip archive has no record ${prefix}data/${storage.key} for its storage`,
          { key },
        );
      }
      const needed = storage.numel * storage.elementSize;
      if (record.length < needed) {
        throw weightsError(
          "WEIGHTS_CORRUPT",
          file,
          `storage ${storage.key} holds ${record.length} bytes, its ${storage.numel} ${storage.typeName} elements need ${needed}`,
          { key },
        );
      }
      storageBytes = record.subarray(0, needed);
      data.set(storage.key, storageBytes);
    }
    out.set(key, materialize(key, tensor, storageBytes, littleEndian, file));
  }
  return out;
}

function readTorchLegacy(bytes: Uint8Array, file: string): Map<string, WeightTensor> {
  const plain = (start: number) => unpickle(bytes, { file, globals: DATA_GLOBALS, start });
  const magic = plain(0);
  if (magic.value !== TORCH_LEGACY_MAGIC) {
    throw weightsError(
      "WEIGHTS_UNSUPPORTED",
      file,
      "a pickle that is not a torch.save checkpoint (no legacy magic number)",
    );
  }
  const protocol = plain(magic.end);
  if (protocol.value !== LEGACY_PROTOCOL_VERSION) {
    throw weightsError(
      "WEIGHTS_UNSUPPORTED",
      file,
      `legacy torch.save protocol version ${describePickled(protocol.value)} (only ${LEGACY_PROTOCOL_VERSION} is read)`,
    );
  }
  const sysInfo = plain(protocol.end);
  const littleEndianFlag = sysInfo.value instanceof Map ? sysInfo.value.get("little_endian") : undefined;
  if (typeof littleEndianFlag !== "boolean") {
    throw weightsError("WEIGHTS_CORRUPT", file, "the legacy sys_info pickle has no little_endian flag");
  }
  const storages = storageTable(file, true);
  const main = unpickle(bytes, {
    file,
    globals: TORCH_GLOBALS,
    refusals: TORCH_REFUSALS,
    persistentLoad: storages.load,
    start: sysInfo.end,
  });
  const keys = plain(main.end);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === "string")) {
    throw weightsError("WEIGHTS_CORRUPT", file, "the legacy storage key list is not a list of strings");
  }
  const roots = new Map<string, StorageRef>();
  for (const ref of storages.refs.values()) roots.set(ref.rootKey, ref);
  const rootBytes = new Map<string, Uint8Array>();
  let at = keys.end;
  for (const key of keys.value as string[]) {
    const ref = roots.get(key);
    if (ref === undefined) {
      throw weightsError(
        "WEIGHTS_CORRUPT",
        file,
        `the legacy storage list names storage ${JSON.stringify(key)}, which no tensor uses`,
      );
    }
    if (at + 8 > bytes.length) {
      throw weightsError(
        "WEIGHTS_CORRUPT",
        file,
        `storage ${key}: the file ends before its size (truncated)`,
      );
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, 8);
    const low = view.getUint32(littleEndianFlag ? 0 : 4, littleEndianFlag);
    const high = view.getUint32(littleEndianFlag ? 4 : 0, littleEndianFlag);
    const numel = high * 2 ** 32 + low;
    if (numel !== ref.rootNumel) {
      throw weightsError(
        "WEIGHTS_CORRUPT",
        file,
        `storage ${key} has ${numel} elements in the data, ${ref.rootNumel} in its persistent id`,
      );
    }
    const length = numel * ref.elementSize;
    if (at + 8 + length > bytes.length) {
      throw weightsError(
        "WEIGHTS_CORRUPT",
        file,
        `storage ${key}: ${length} bytes of data run past the end of the file (truncated)`,
      );
    }
    rootBytes.set(key, bytes.subarray(at + 8, at + 8 + length));
    at += 8 + length;
  }
  const out = new Map<string, WeightTensor>();
  for (const [key, tensor] of stateDictTensors(main.value, file)) {
    const { storage } = tensor;
    const root = rootBytes.get(storage.rootKey);
    if (root === undefined) {
      throw weightsError(
        "WEIGHTS_CORRUPT",
        file,
        `storage ${JSON.stringify(storage.rootKey)} is missing from the legacy storage list`,
        { key },
      );
    }
    const storageBytes = root.subarray(
      storage.viewOffset * storage.elementSize,
      (storage.viewOffset + storage.numel) * storage.elementSize,
    );
    out.set(key, materialize(key, tensor, storageBytes, littleEndianFlag, file));
  }
  return out;
}
