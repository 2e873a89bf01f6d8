/**
 * The torch side of a state dict's pickle: the whitelisted rebuilders (`_rebuild_tensor_v2`, parameters,
 * storage markers), the table of storages that persistent ids name, and the gathering of each tensor's bytes
 * from its storage (strides, offsets, legacy views). Shared by both `torch.save` formats of ./torch-bin.ts.
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
import { DATA_GLOBALS, type PickleCallable, type PickleContext, PickleGlobal } from "./pickle.js";
import { describePickled } from "./pickle-values.js";

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
export interface StorageRef {
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

export interface StorageTable {
  readonly refs: Map<string, StorageRef>;
  readonly load: (pid: unknown, context: PickleContext) => StorageHolder;
}

export function storageTable(file: string, legacy: boolean): StorageTable {
  const refs = new Map<string, StorageRef>();
  const roots = new Map<string, StorageRef>();
  const load = (pid: unknown): StorageHolder => {
    if (!Array.isArray(pid) || pid[0] !== "storage") {
      throw weightsError(
        "WEIGHTS_UNSUPPORTED",
        file,
        `a persistent id other than a storage (${Array.isArray(pid) ? describePickled(pid[0]) : typeof pid}); only state dicts of tensors are read`,
      );
    }
    const [, type, rawKey, location, rawNumel, view] = pid as unknown[];
    const key =
      typeof rawKey === "string" || typeof rawKey === "number" ? String(rawKey) : describePickled(rawKey);
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
export function stateDictTensors(value: unknown, file: string): [string, TensorRef][] {
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
    const keys = [...value.keys()].slice(0, 5).map(describePickled);
    throw weightsError(
      "WEIGHTS_UNSUPPORTED",
      file,
      `the checkpoint's top-level dict holds no tensors (keys ${keys.join(", ")}${value.size > 5 ? ", ..." : ""}); only state dicts are read`,
    );
  }
  return out;
}

/** Builds a tensor from its storage bytes (the whole storage, `storage.numel` elements). */
export function materialize(
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
