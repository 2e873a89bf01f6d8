/**
 * safetensors: an 8-byte little-endian header length N, N bytes of JSON
 * (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__"?: {string: string}}`), then the
 * data; offsets are relative to the end of the header.
 */
import {
  decodeTensorData,
  f32ToBf16Bits,
  f32ToF16Bits,
  isStoredDtype,
  STORED_DTYPES,
  type StoredDtype,
  shapeNumel,
  UNSUPPORTED_SAFETENSORS_DTYPES,
  type WeightTensor,
} from "./dtypes.js";
import { weightsError } from "./errors.js";

/** The largest header accepted (the limit of the reference Rust implementation). */
export const MAX_SAFETENSORS_HEADER_LENGTH = 100_000_000;

const METADATA_KEY = "__metadata__";

/** Bits per element of every dtype the header may name (sub-byte F4/F6 are packed). */
const DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E4M3: 8,
  F8_E5M2: 8,
  F8_E8M0: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};

/** One tensor as the header describes it. */
export interface SafetensorsEntry {
  /** As written: one of {@link StoredDtype}, or a dtype of the format this package does not decode. */
  readonly dtype: string;
  readonly shape: number[];
  /** `[begin, end)` relative to {@link SafetensorsHeader.dataStart}. */
  readonly dataOffsets: [number, number];
}

/** A validated safetensors header. */
export interface SafetensorsHeader {
  /** N, the JSON header's byte length. */
  readonly headerLength: number;
  /** Where the data starts in the file: `8 + N`. */
  readonly dataStart: number;
  /** `__metadata__` (string to string), when present. */
  readonly metadata: Readonly<Record<string, string>> | undefined;
  /** The tensors in header order. */
  readonly tensors: Map<string, SafetensorsEntry>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}

/**
 * Reads and validates the header of a safetensors file.
 *
 * `bytes` is the whole file, or, with `options.fileSize`, at least its first `8 + N` bytes (e.g. from a
 * ranged read): offsets are then checked against `fileSize`.
 *
 * @throws {@link WeightsError} `WEIGHTS_CORRUPT` naming the file and the tensor for: a file shorter than 8
 * bytes, a header length past the end of the file or above {@link MAX_SAFETENSORS_HEADER_LENGTH}, a header
 * that is not a UTF-8 JSON object, an unknown dtype, a shape that is not an array of non-negative integers,
 * `data_offsets` that are not `[begin, end]` within the data, two tensors whose bytes overlap, a byte length
 * other than `product(shape) * dtype size`, or a `__metadata__` that is not an object of strings.
 */
export function readSafetensorsHeader(
  bytes: Uint8Array,
  file: string,
  options: { fileSize?: number } = {},
): SafetensorsHeader {
  const fileSize = options.fileSize ?? bytes.length;
  if (fileSize < 8 || bytes.length < 8) {
    throw weightsError(
      "WEIGHTS_CORRUPT",
      file,
      `truncated safetensors file: ${fileSize} bytes, fewer than the 8-byte header length`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const headerLength = high * 2 ** 32 + low;
  if (headerLength > MAX_SAFETENSORS_HEADER_LENGTH) {
    throw weightsError(
      "WEIGHTS_CORRUPT",
      file,
      `safetensors header length ${headerLength} is absurd (limit ${MAX_SAFETENSORS_HEADER_LENGTH} bytes; file has ${fileSize})`,
    );
  }
  if (8 + headerLength > fileSize) {
    throw weightsError(
      "WEIGHTS_CORRUPT",
      file,
      `safetensors header length ${headerLength} runs past the end of the ${fileSize}-byte file (truncated or not safetensors)`,
    );
  }
  if (8 + headerLength > bytes.length) {
    throw weightsError(
      "WEIGHTS_CORRUPT",
      file,
      `only ${bytes.length} bytes given, the safetensors header needs ${8 + headerLength}`,
    );
  }
  const dataStart = 8 + headerLength;
  const dataLength = fileSize - dataStart;
  let parsed: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataStart));
    if (!text.startsWith("{")) throw new Error("the header does not start with '{'");
    parsed = JSON.parse(text);
  } catch (cause) {
    throw weightsError(
      "WEIGHTS_CORRUPT",
      file,
      `safetensors header is not valid UTF-8 JSON (${cause instanceof Error ? cause.message : String(cause)})`,
      { cause },
    );
  }
  if (!isRecord(parsed)) {
    throw weightsError("WEIGHTS_CORRUPT", file, "safetensors header is not a JSON object");
  }

  let metadata: Record<string, string> | undefined;
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [key, entry] of Object.entries(parsed)) {
    const corrupt = (problem: string) => weightsError("WEIGHTS_CORRUPT", file, problem, { key });
    if (key === METADATA_KEY) {
      if (!isRecord(entry) || !Object.values(entry).every((v) => typeof v === "string")) {
        throw weightsError("WEIGHTS_CORRUPT", file, "is not an object of strings", {
          key,
          keyKind: "header entry",
        });
      }
      metadata = Object.fromEntries(Object.entries(entry as Record<string, string>));
      continue;
    }
    if (!isRecord(entry)) throw corrupt(`header entry is ${describe(entry)}, not an object`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (typeof dtype !== "string" || DTYPE_BITS[dtype] === undefined) {
      throw corrupt(`unknown dtype ${describe(dtype)}`);
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) {
      throw corrupt(`shape ${describe(shape)} is not an array of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
      throw corrupt(`data_offsets ${describe(offsets)} is not [begin, end] with non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLength) {
      throw corrupt(
        `data_offsets [${begin}, ${end}] are out of range (the data section has ${dataLength} bytes)`,
      );
    }
    const numel = shapeNumel(shape as number[]);
    const bits = DTYPE_BITS[dtype]!;
    const expectedBits = numel === undefined ? undefined : numel * bits;
    if (
      expectedBits === undefined ||
      !Number.isSafeInteger(expectedBits) ||
      expectedBits !== (end - begin) * 8
    ) {
      throw corrupt(
        `holds ${end - begin} bytes but shape [${(shape as number[]).join(", ")}] of ${dtype} needs ${
          expectedBits === undefined ? "an impossible number of" : expectedBits / 8
        } bytes`,
      );
    }
    tensors.set(key, { dtype, shape: [...(shape as number[])], dataOffsets: [begin, end] });
  }

  const ranges = [...tensors].filter(([, t]) => t.dataOffsets[1] > t.dataOffsets[0]);
  ranges.sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0]);
  for (let i = 1; i < ranges.length; i++) {
    const [previousKey, previous] = ranges[i - 1]!;
    const [key, current] = ranges[i]!;
    if (current.dataOffsets[0] < previous.dataOffsets[1]) {
      throw weightsError(
        "WEIGHTS_CORRUPT",
        file,
        `data_offsets [${current.dataOffsets.join(", ")}] overlap those of tensor ${JSON.stringify(previousKey)} [${previous.dataOffsets.join(", ")}]`,
        { key },
      );
    }
  }
  return { headerLength, dataStart, metadata, tensors };
}

/**
 * Reads every tensor of a safetensors file held in memory. F32 tensors are Float32Array views on `bytes` when
 * 4-byte aligned (always, for files written by the reference implementation, if `bytes` starts at an aligned
 * address), F16/BF16 are converted to float32; see {@link WeightTensor} for the other dtypes.
 *
 * @param file named in errors.
 * @throws {@link WeightsError} `WEIGHTS_CORRUPT` (see {@link readSafetensorsHeader}) and `WEIGHTS_UNSUPPORTED`
 * for a dtype of the format that is not decoded here (I8, U16, F8_E4M3, ...), naming the tensor.
 */
export function readSafetensors(bytes: Uint8Array, file: string): Map<string, WeightTensor> {
  const header = readSafetensorsHeader(bytes, file);
  const out = new Map<string, WeightTensor>();
  for (const [key, entry] of header.tensors) {
    if (!isStoredDtype(entry.dtype)) {
      const known = UNSUPPORTED_SAFETENSORS_DTYPES.has(entry.dtype);
      throw weightsError(
        known ? "WEIGHTS_UNSUPPORTED" : "WEIGHTS_CORRUPT",
        file,
        `dtype ${entry.dtype} is not supported (supported: ${Object.keys(STORED_DTYPES).join(", ")})`,
        { key },
      );
    }
    const [begin, end] = entry.dataOffsets;
    const region = bytes.subarray(header.dataStart + begin, header.dataStart + end);
    out.set(key, {
      dtype: STORED_DTYPES[entry.dtype].dtype,
      storedDtype: entry.dtype,
      shape: entry.shape,
      data: decodeTensorData(region, entry.dtype),
    });
  }
  return out;
}

/** A tensor to write with {@link writeSafetensors}. */
export interface SafetensorsInput {
  readonly dtype: StoredDtype;
  readonly shape: readonly number[];
  /**
   * The values, row-major. Numbers are rounded to the dtype (F16/BF16: to nearest, ties to even); a
   * Uint16Array for F16/BF16 is taken as the raw bit patterns; I64 takes a BigInt64Array, bigints or numbers.
   */
  readonly data: ArrayLike<number> | ArrayLike<bigint> | ArrayLike<boolean>;
}

/**
 * Writes a safetensors file: the header is padded with spaces to a multiple of 8 bytes and tensors are laid
 * out contiguously by decreasing element size (as the reference implementation does), so every tensor is
 * aligned for its type.
 *
 * @throws RangeError when a tensor's data length does not match its shape.
 */
export function writeSafetensors(
  tensors: ReadonlyMap<string, SafetensorsInput> | Readonly<Record<string, SafetensorsInput>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const entries = (tensors instanceof Map ? [...tensors] : Object.entries(tensors)) as [
    string,
    SafetensorsInput,
  ][];
  const order = entries
    .map((entry, index) => ({ entry, index }))
    .sort(
      (a, b) =>
        STORED_DTYPES[b.entry[1].dtype].size - STORED_DTYPES[a.entry[1].dtype].size || a.index - b.index,
    )
    .map(({ entry }) => entry);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header[METADATA_KEY] = { ...metadata };
  let offset = 0;
  for (const [name, tensor] of order) {
    const numel = shapeNumel(tensor.shape);
    if (numel !== tensor.data.length) {
      throw new RangeError(
        `writeSafetensors: tensor ${JSON.stringify(name)} has ${tensor.data.length} values for shape [${tensor.shape.join(", ")}]`,
      );
    }
    const length = numel * STORED_DTYPES[tensor.dtype].size;
    header[name] = { dtype: tensor.dtype, shape: [...tensor.shape], data_offsets: [offset, offset + length] };
    offset += length;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  let headerBytes = encoder.encode(json);
  const padding = (8 - ((8 + headerBytes.length) % 8)) % 8;
  if (padding > 0) {
    json += " ".repeat(padding);
    headerBytes = encoder.encode(json);
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerBytes.length, true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const [, tensor] of order) at = writeValues(view, at, tensor);
  return out;
}

function writeValues(view: DataView, start: number, tensor: SafetensorsInput): number {
  let at = start;
  const { data, dtype } = tensor;
  const n = data.length;
  const number = (i: number): number => Number(data[i]);
  switch (dtype) {
    case "F32":
      for (let i = 0; i < n; i++, at += 4) view.setFloat32(at, number(i), true);
      break;
    case "F64":
      for (let i = 0; i < n; i++, at += 8) view.setFloat64(at, number(i), true);
      break;
    case "F16":
    case "BF16": {
      const raw = data instanceof Uint16Array;
      for (let i = 0; i < n; i++, at += 2) {
        const value = number(i);
        const bits = raw ? value : dtype === "F16" ? f32ToF16Bits(value) : f32ToBf16Bits(value);
        view.setUint16(at, bits, true);
      }
      break;
    }
    case "I64":
      for (let i = 0; i < n; i++, at += 8) {
        const value = data[i];
        view.setBigInt64(at, typeof value === "bigint" ? value : BigInt(Number(value)), true);
      }
      break;
    case "I32":
      for (let i = 0; i < n; i++, at += 4) view.setInt32(at, number(i), true);
      break;
    case "U8":
    case "BOOL":
      for (let i = 0; i < n; i++, at += 1) view.setUint8(at, number(i));
      break;
  }
  return at;
}
