/**
 * A minimal zip reader for torch.save archives: the end-of-central-directory record (and its ZIP64 form),
 * the central directory, and each entry's local header. Stored entries are returned as views on the
 * archive's bytes, never copied; deflated entries are inflated by a function the caller supplies.
 */
import { weightsError } from "./errors.js";
import { importNodeBuiltin, isNode } from "./node.js";

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

/** Compression methods: 0 stored, 8 deflate. */
export const ZIP_STORED = 0;
export const ZIP_DEFLATED = 8;

/** One entry of the central directory. */
export interface ZipEntry {
  readonly name: string;
  /** 0 stored, 8 deflate (others are rejected when read). */
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  /** Uncompressed size. */
  readonly size: number;
  readonly localHeaderOffset: number;
}

/** A zip archive's directory. */
export interface ZipArchive {
  /** Entries by name, in central-directory order. */
  readonly entries: Map<string, ZipEntry>;
  /** Whether the archive has a ZIP64 end-of-central-directory record. */
  readonly zip64: boolean;
}

/** Synchronous raw-deflate decompression: returns exactly the entry's uncompressed bytes. */
export type InflateRaw = (compressed: Uint8Array, entry: ZipEntry) => Uint8Array;

function u16(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8);
}

function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/** A little-endian u64 as a number, or undefined when it is not a safe integer. */
function u64(bytes: Uint8Array, at: number): number | undefined {
  const value = u32(bytes, at + 4) * 2 ** 32 + u32(bytes, at);
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * Reads the central directory of a zip archive held in memory.
 *
 * @throws {@link WeightsError} `WEIGHTS_CORRUPT` when the end-of-central-directory record is missing, or the
 * directory or an entry's header lies outside the file, an entry name repeats, or a ZIP64 field is missing;
 * `WEIGHTS_UNSUPPORTED` for multi-disk archives.
 */
export function readZipDirectory(bytes: Uint8Array, file: string): ZipArchive {
  const corrupt = (problem: string) => weightsError("WEIGHTS_CORRUPT", file, `zip archive: ${problem}`);
  let eocd = -1;
  for (let at = bytes.length - EOCD_SIZE; at >= 0 && at >= bytes.length - EOCD_SIZE - MAX_COMMENT; at--) {
    if (u32(bytes, at) === EOCD_SIGNATURE && at + EOCD_SIZE + u16(bytes, at + 20) === bytes.length) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) {
    throw corrupt("no end-of-central-directory record (the file is truncated or not a zip archive)");
  }
  let count = u16(bytes, eocd + 10);
  let directorySize: number | undefined = u32(bytes, eocd + 12);
  let directoryOffset: number | undefined = u32(bytes, eocd + 16);
  let diskNumbers = u16(bytes, eocd + 4) | u16(bytes, eocd + 6);
  let zip64 = false;
  const locator = eocd - 20;
  if (locator >= 0 && u32(bytes, locator) === ZIP64_LOCATOR_SIGNATURE) {
    zip64 = true;
    const record = u64(bytes, locator + 8);
    if (record === undefined || record + 56 > locator || u32(bytes, record) !== ZIP64_EOCD_SIGNATURE) {
      throw corrupt("the ZIP64 end-of-central-directory locator points to no ZIP64 record");
    }
    diskNumbers |= u32(bytes, locator + 4) | u32(bytes, record + 16) | u32(bytes, record + 20);
    const total = u64(bytes, record + 32);
    directorySize = u64(bytes, record + 40);
    directoryOffset = u64(bytes, record + 48);
    if (total === undefined) throw corrupt("the ZIP64 entry count is absurd");
    count = total;
  } else if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    throw corrupt("the end-of-central-directory record asks for ZIP64 but there is no ZIP64 locator");
  }
  if (diskNumbers !== 0) {
    throw weightsError("WEIGHTS_UNSUPPORTED", file, "zip archive spans several disks (split archives)");
  }
  const directoryEnd = zip64 ? locator : eocd;
  if (
    directorySize === undefined ||
    directoryOffset === undefined ||
    directoryOffset + directorySize > directoryEnd
  ) {
    throw corrupt(
      `the central directory (offset ${directoryOffset}, ${directorySize} bytes) lies outside the file (truncated?)`,
    );
  }

  const entries = new Map<string, ZipEntry>();
  const names = new TextDecoder("utf-8");
  let at = directoryOffset;
  const end = directoryOffset + directorySize;
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || u32(bytes, at) !== CENTRAL_SIGNATURE) {
      throw corrupt(`central directory entry ${i} of ${count} is missing or damaged (truncated directory?)`);
    }
    const flags = u16(bytes, at + 8);
    const method = u16(bytes, at + 10);
    const crc32 = u32(bytes, at + 16);
    let compressedSize = u32(bytes, at + 20);
    let size = u32(bytes, at + 24);
    const nameLength = u16(bytes, at + 28);
    const extraLength = u16(bytes, at + 30);
    const commentLength = u16(bytes, at + 32);
    const diskStart = u16(bytes, at + 34);
    let localHeaderOffset = u32(bytes, at + 42);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > end) throw corrupt(`central directory entry ${i} runs past the directory's end`);
    const name = names.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    if (size === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
      // ZIP64 extended information (header id 1): the 0xffffffff fields, in this order.
      let extra = at + 46 + nameLength;
      const extraEnd = extra + extraLength;
      let found = false;
      while (extra + 4 <= extraEnd) {
        const id = u16(bytes, extra);
        const length = u16(bytes, extra + 2);
        if (extra + 4 + length > extraEnd) break;
        if (id === 1) {
          let field = extra + 4;
          const take = (): number => {
            const value = field + 8 <= extra + 4 + length ? u64(bytes, field) : undefined;
            if (value === undefined)
              throw corrupt(`entry ${JSON.stringify(name)} has a short ZIP64 extra field`);
            field += 8;
            return value;
          };
          if (size === 0xffffffff) size = take();
          if (compressedSize === 0xffffffff) compressedSize = take();
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
          found = true;
          break;
        }
        extra += 4 + length;
      }
      if (!found) throw corrupt(`entry ${JSON.stringify(name)} needs a ZIP64 extra field and has none`);
    }
    if (diskStart !== 0 && diskStart !== 0xffff) {
      throw weightsError("WEIGHTS_UNSUPPORTED", file, "zip archive spans several disks (split archives)");
    }
    if (entries.has(name)) throw corrupt(`entry ${JSON.stringify(name)} appears twice`);
    if (localHeaderOffset + 30 > directoryOffset) {
      throw corrupt(`entry ${JSON.stringify(name)} has its local header outside the file's data`);
    }
    entries.set(name, { name, method, flags, crc32, compressedSize, size, localHeaderOffset });
    at = next;
  }
  return { entries, zip64 };
}

/**
 * The bytes of an entry as stored in the archive (compressed for deflated entries): a view, no copy.
 *
 * @throws {@link WeightsError} `WEIGHTS_CORRUPT` when the local header or the data lies outside the file.
 */
export function zipEntryRawBytes(bytes: Uint8Array, entry: ZipEntry, file: string): Uint8Array {
  const at = entry.localHeaderOffset;
  if (at + 30 > bytes.length || u32(bytes, at) !== LOCAL_SIGNATURE) {
    throw weightsError("WEIGHTS_CORRUPT", file, "zip archive: the local header is missing or damaged", {
      key: entry.name,
      keyKind: "zip entry",
    });
  }
  const start = at + 30 + u16(bytes, at + 26) + u16(bytes, at + 28);
  if (start + entry.compressedSize > bytes.length) {
    throw weightsError(
      "WEIGHTS_CORRUPT",
      file,
      `zip archive: the data (${entry.compressedSize} bytes at ${start}) runs past the end of the file`,
      { key: entry.name, keyKind: "zip entry" },
    );
  }
  return bytes.subarray(start, start + entry.compressedSize);
}

/**
 * The uncompressed bytes of an entry: a view on `bytes` for stored entries, `inflateRaw`'s result for
 * deflated ones (its CRC-32 is checked). Stored entries' CRC-32 is checked only with `verifyCrc`, since that
 * reads every byte of what may be gigabytes of weights.
 *
 * @throws {@link WeightsError} `WEIGHTS_UNSUPPORTED` for encrypted entries, other compression methods, or a
 * deflated entry without `inflateRaw`; `WEIGHTS_CORRUPT` for size or CRC mismatches.
 */
export function zipEntryData(
  bytes: Uint8Array,
  entry: ZipEntry,
  file: string,
  options: { inflateRaw?: InflateRaw | undefined; verifyCrc?: boolean } = {},
): Uint8Array {
  const fail = (code: "WEIGHTS_CORRUPT" | "WEIGHTS_UNSUPPORTED", problem: string, cause?: unknown) =>
    weightsError(code, file, `zip archive: ${problem}`, { key: entry.name, keyKind: "zip entry", cause });
  if ((entry.flags & 1) !== 0) throw fail("WEIGHTS_UNSUPPORTED", "the entry is encrypted");
  const raw = zipEntryRawBytes(bytes, entry, file);
  let data: Uint8Array;
  if (entry.method === ZIP_STORED) {
    if (entry.compressedSize !== entry.size) {
      throw fail("WEIGHTS_CORRUPT", `stored entry has sizes ${entry.compressedSize} and ${entry.size}`);
    }
    data = raw;
    if (options.verifyCrc !== true) return data;
  } else if (entry.method === ZIP_DEFLATED) {
    if (options.inflateRaw === undefined) {
      throw fail("WEIGHTS_UNSUPPORTED", "the entry is deflated and no inflater is available");
    }
    try {
      data = options.inflateRaw(raw, entry);
    } catch (cause) {
      throw fail(
        "WEIGHTS_CORRUPT",
        `the deflated data cannot be inflated (${cause instanceof Error ? cause.message : String(cause)})`,
        cause,
      );
    }
    if (data.length !== entry.size) {
      throw fail("WEIGHTS_CORRUPT", `inflates to ${data.length} bytes, the directory says ${entry.size}`);
    }
  } else {
    throw fail(
      "WEIGHTS_UNSUPPORTED",
      `compression method ${entry.method} (only stored and deflate are read)`,
    );
  }
  const crc = crc32(data);
  if (crc !== entry.crc32) {
    throw fail(
      "WEIGHTS_CORRUPT",
      `CRC-32 ${crc.toString(16)} does not match the directory's ${entry.crc32.toString(16)}`,
    );
  }
  return data;
}

let crcTable: Uint32Array | undefined;

/** The CRC-32 (IEEE 802.3, as zip uses) of some bytes. */
export function crc32(bytes: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const table = crcTable;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A synchronous raw-deflate inflater from Node's `node:zlib` (imported lazily), or undefined outside Node.
 */
export async function nodeInflateRaw(): Promise<InflateRaw | undefined> {
  if (!isNode()) return undefined;
  try {
    const zlib = await importNodeBuiltin<typeof import("node:zlib")>("node:zlib");
    return (compressed, entry) => {
      const out = zlib.inflateRawSync(compressed, { maxOutputLength: Math.max(entry.size, 1) });
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    };
  } catch {
    return undefined;
  }
}

/**
 * Inflates raw deflate data with the web `DecompressionStream("deflate-raw")` (browsers, Deno, Node >= 21.2),
 * stopping with an error past `maxLength` bytes.
 */
export async function inflateRawWithStreams(compressed: Uint8Array, maxLength: number): Promise<Uint8Array> {
  const Decompression = (globalThis as { DecompressionStream?: typeof DecompressionStream })
    .DecompressionStream;
  if (Decompression === undefined) throw new Error("DecompressionStream is not available");
  const stream = new Blob([compressed as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new Decompression("deflate-raw" as CompressionFormat));
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > maxLength) {
      await reader.cancel();
      throw new Error(`inflated data exceeds ${maxLength} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
