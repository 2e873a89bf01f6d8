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
import {
  decodeTensorData,
  STORED_DTYPES,
  type StoredDtype,
  shapeNumel,
  type WeightData,
  type WeightTensor,
} from "./dtypes.js";
import { weightsError } from "./errors.js";
import { plainBytes } from "./node.js";
import { DATA_GLOBALS, type PickleCallable, type PickleContext, PickleGlobal, unpickle } from "./pickle.js";
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

/** Storage classes (`torch.FloatStorage`) and dtypes (`torch.float32`) a persistent id may name. */
const STORAGE_TYPES: Readonly<Record<string, StoredDtype | undefined>> = {
  FloatStorage: "F32",
  HalfStorage: "F16",
  BFloat16Storage: "BF16",
  DoubleStorage: "F64",
  LongStorage: "I64",
  IntStorage: "I32",
  ByteStorage: "U8",
  BoolStorage: "BOOL",
  // Known storage types this package does not decode (WEIGHTS_UNSUPPORTED when a tensor uses them).
  ShortStorage: undefined,
  CharStorage: undefined,
  ComplexFloatStorage: undefined,
  ComplexDoubleStorage: undefined,
  float32: "F32",
  float: "F32",
  float16: "F16",
  half: "F16",
  bfloat16: "BF16",
  float64: "F64",
  double: "F64",
  int64: "I64",
  long: "I64",
  int32: "I32",
  int: "I32",
  uint8: "U8",
  bool: "BOOL",
};

/** Element sizes of the storage types that are recognised but not decoded. */
const UNSUPPORTED_ELEMENT_SIZES: Readonly<Record<string, number>> = {
  ShortStorage: 2,
  CharStorage: 1,
  ComplexFloatStorage: 8,
  ComplexDoubleStorage: 16,
};

/** Where a tensor's bytes live: a storage of the checkpoint, as its persistent id describes it. */
interface StorageRef {
  readonly key: string;
  readonly typeName: string;
  readonly dtype: StoredDtype | undefined;
  /** Bytes per element. */
  readonly elementSize: number;
  /** Elements of the storage (of the view, for a legacy view). */
  readonly numel: number;
  /** Legacy views of a root storage: the element offset into the root. */
  readonly viewOffset: number;
  /** The root storage's key and element count. */
  readonly rootKey: string;
  readonly rootNumel: number;
}

/** What `_rebuild_tensor_v2(storage, storage_offset, size, stride, ...)` describes. */
class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

function countArg(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${what} is not a non-negative integer`);
  }
  return value;
}

function countsArg(value: unknown, what: string): number[] {
  if (!Array.isArray(value)) throw new TypeError(`${what} is not a tuple`);
  return value.map((v, i) => countArg(v, `${what}[${i}]`));
}

function rebuildTensor(args: readonly unknown[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageHolder)) throw new TypeError("the storage is not a persistent storage");
  const sizes = countsArg(size, "size");
  const strides = countsArg(stride, "stride");
  if (sizes.length !== strides.length) throw new TypeError("size and stride have different lengths");
  return new TensorRef(storage.ref, countArg(offset, "storage_offset"), sizes, strides);
}

/** Wraps a StorageRef so that the pickle cannot forge one (only persistentLoad makes these). */
class StorageHolder {
  constructor(readonly ref: StorageRef) {}
}

function rebuildParameter(args: readonly unknown[]): unknown {
  if (!(args[0] instanceof TensorRef)) throw new TypeError("the parameter's data is not a tensor");
  return args[0];
}

const storageMarkers: [string, PickleCallable][] = Object.keys(STORAGE_TYPES).map((name) => [
  `torch.${name}`,
  null,
]);

/**
 * The whitelist of torch checkpoints: {@link DATA_GLOBALS}, the tensor and parameter rebuilders, and storage
 * types / dtypes as inert markers. Nothing else.
 */
export const TORCH_GLOBALS: ReadonlyMap<string, PickleCallable> = new Map<string, PickleCallable>([
  ...DATA_GLOBALS,
  ["torch._utils._rebuild_tensor_v2", rebuildTensor],
  ["torch._utils._rebuild_tensor", rebuildTensor],
  ["torch._utils._rebuild_parameter", rebuildParameter],
  ["torch._utils._rebuild_parameter_with_state", rebuildParameter],
  ...storageMarkers,
]);

/** Globals that look torch-ish but are refused, and why. */
export const TORCH_REFUSALS: ReadonlyMap<string, string> = new Map([
  [
    "torch.storage._load_from_bytes",
    "it runs torch.load on embedded bytes, i.e. an unrestricted nested unpickle",
  ],
  ["torch.load", "it loads another pickle without restrictions"],
  ["torch.jit._pickle.build_tensor_from_id", "TorchScript archives are not state dicts"],
]);

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

interface StorageTable {
  readonly refs: Map<string, StorageRef>;
  readonly load: (pid: unknown, context: PickleContext) => StorageHolder;
}

function storageTable(file: string, legacy: boolean): StorageTable {
  const refs = new Map<string, StorageRef>();
  const roots = new Map<string, StorageRef>();
  const load = (pid: unknown): StorageHolder => {
    if (!Array.isArray(pid) || pid[0] !== "storage") {
      throw weightsError(
        "WEIGHTS_UNSUPPORTED",
        file,
        `a persistent id other than a storage (${JSON.stringify(Array.isArray(pid) ? pid[0] : typeof pid)}); only state dicts of tensors are read`,
      );
    }
    const [, type, rawKey, location, rawNumel, view] = pid as unknown[];
    const key = typeof rawKey === "string" ? rawKey : String(rawKey);
    const bad = (problem: string) =>
      weightsError("WEIGHTS_CORRUPT", file, `persistent id of storage ${JSON.stringify(key)}: ${problem}`);
    if (
      !(type instanceof PickleGlobal) ||
      type.module !== "torch" ||
      !Object.hasOwn(STORAGE_TYPES, type.name)
    ) {
      throw bad("the storage type is not a torch storage type");
    }
    if (typeof rawKey !== "string" && typeof rawKey !== "number") throw bad("the key is not a string");
    if (typeof location !== "string") throw bad("the location is not a string");
    if (typeof rawNumel !== "number" || !Number.isSafeInteger(rawNumel) || rawNumel < 0) {
      throw bad("the element count is not a non-negative integer");
    }
    const dtype = STORAGE_TYPES[type.name];
    let ref: StorageRef = {
      key,
      typeName: type.qualifiedName,
      dtype,
      elementSize: dtype === undefined ? UNSUPPORTED_ELEMENT_SIZES[type.name]! : STORED_DTYPES[dtype].size,
      numel: rawNumel,
      viewOffset: 0,
      rootKey: key,
      rootNumel: rawNumel,
    };
    const known = roots.get(key);
    if (known !== undefined && (known.typeName !== ref.typeName || known.rootNumel !== ref.rootNumel)) {
      throw bad(`named twice with different types or sizes (${known.typeName} and ${ref.typeName})`);
    }
    if (known === undefined) roots.set(key, ref);
    if (legacy && view !== undefined && view !== null) {
      // (view_key, offset, view_size): a view of the root storage `key`.
      if (!Array.isArray(view) || view.length !== 3) throw bad("the view metadata is not a triple");
      const [viewKey, viewOffset, viewSize] = view as unknown[];
      if (typeof viewKey !== "string" || typeof viewOffset !== "number" || typeof viewSize !== "number") {
        throw bad("the view metadata is not (key, offset, size)");
      }
      if (
        !Number.isSafeInteger(viewOffset) ||
        !Number.isSafeInteger(viewSize) ||
        viewOffset < 0 ||
        viewSize < 0 ||
        viewOffset + viewSize > rawNumel
      ) {
        throw bad(
          `the view [${viewOffset}, ${viewOffset}+${viewSize}) lies outside the ${rawNumel}-element storage`,
        );
      }
      ref = { ...ref, key: viewKey, numel: viewSize, viewOffset };
    }
    const existing = refs.get(ref.key);
    if (existing !== undefined) return new StorageHolder(existing);
    refs.set(ref.key, ref);
    return new StorageHolder(ref);
  };
  return { refs, load };
}

/** The state dict's tensors, in order. */
function stateDictTensors(value: unknown, file: string): [string, TensorRef][] {
  if (!(value instanceof Map)) {
    throw weightsError(
      "WEIGHTS_UNSUPPORTED",
      file,
      `the checkpoint holds ${Array.isArray(value) ? "a list" : typeof value}, not a state dict`,
    );
  }
  const out: [string, TensorRef][] = [];
  for (const [key, tensor] of value) {
    if (typeof key === "string" && tensor instanceof TensorRef) out.push([key, tensor]);
  }
  if (out.length === 0 && value.size > 0) {
    const keys = [...value.keys()].slice(0, 5).map((k) => JSON.stringify(k));
    throw weightsError(
      "WEIGHTS_UNSUPPORTED",
      file,
      `the checkpoint's top-level dict holds no tensors (keys ${keys.join(", ")}${value.size > 5 ? ", ..." : ""}); only state dicts are read`,
    );
  }
  return out;
}

/** Builds a tensor from its storage bytes (the whole storage, `storage.numel` elements). */
function materialize(
  key: string,
  tensor: TensorRef,
  storageBytes: Uint8Array,
  littleEndian: boolean,
  file: string,
): WeightTensor {
  const { storage, offset, size, stride } = tensor;
  const fail = (code: "WEIGHTS_CORRUPT" | "WEIGHTS_UNSUPPORTED", problem: string) =>
    weightsError(code, file, problem, { key });
  const dtype = storage.dtype;
  if (dtype === undefined) {
    throw fail("WEIGHTS_UNSUPPORTED", `storage type ${storage.typeName} is not supported`);
  }
  const elementSize = STORED_DTYPES[dtype].size;
  const numel = shapeNumel(size);
  if (numel === undefined) throw fail("WEIGHTS_CORRUPT", `size [${size.join(", ")}] is absurd`);
  const shape = [...size];
  if (numel === 0) {
    return { dtype: STORED_DTYPES[dtype].dtype, storedDtype: dtype, shape, data: emptyData(dtype) };
  }
  let last = offset;
  for (let d = 0; d < size.length; d++) last += (size[d]! - 1) * stride[d]!;
  if (!Number.isSafeInteger(last) || last >= storage.numel) {
    throw fail(
      "WEIGHTS_CORRUPT",
      `size [${size.join(", ")}], stride [${stride.join(", ")}] at offset ${offset} reach element ${last} of a ${storage.numel}-element storage`,
    );
  }
  let contiguous = true;
  let expected = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) contiguous = false;
    expected *= size[d]!;
  }
  let bytes: Uint8Array;
  if (contiguous) {
    bytes = storageBytes.subarray(offset * elementSize, (offset + numel) * elementSize);
  } else {
    bytes = gather(storageBytes, elementSize, offset, size, stride, numel);
  }
  return {
    dtype: STORED_DTYPES[dtype].dtype,
    storedDtype: dtype,
    shape,
    data: decodeTensorData(bytes, dtype, littleEndian),
  };
}

function emptyData(dtype: StoredDtype): WeightData {
  switch (STORED_DTYPES[dtype].dtype) {
    case "float32":
      return new Float32Array(0);
    case "float64":
      return new Float64Array(0);
    case "int64":
      return new BigInt64Array(0);
    case "int32":
      return new Int32Array(0);
    default:
      return new Uint8Array(0);
  }
}

/** Copies a strided tensor into row-major order (runs of the innermost dimension at once when stride 1). */
function gather(
  storage: Uint8Array,
  elementSize: number,
  offset: number,
  size: readonly number[],
  stride: readonly number[],
  numel: number,
): Uint8Array {
  const out = new Uint8Array(numel * elementSize);
  const rank = size.length;
  const inner = size[rank - 1]!;
  const innerStride = stride[rank - 1]!;
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  let at = 0;
  for (;;) {
    let base = offset;
    for (let d = 0; d < rank - 1; d++) base += index[d]! * stride[d]!;
    if (innerStride === 1) {
      out.set(storage.subarray(base * elementSize, (base + inner) * elementSize), at);
      at += inner * elementSize;
    } else {
      for (let i = 0; i < inner; i++) {
        const from = (base + i * innerStride) * elementSize;
        out.set(storage.subarray(from, from + elementSize), at);
        at += elementSize;
      }
    }
    let d = rank - 2;
    while (d >= 0) {
      index[d]!++;
      if (index[d]! < size[d]!) break;
      index[d] = 0;
      d--;
    }
    if (d < 0) break;
  }
  return out;
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
      `legacy torch.save protocol version ${String(protocol.value)} (only ${LEGACY_PROTOCOL_VERSION} is read)`,
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
