import { deflateRawSync } from "node:zlib";
import { expect } from "vitest";
import { WeightsError, type WeightsErrorCode } from "./errors.js";
import { crc32 } from "./zip.js";

export { fixturesDir, modelsDir } from "@deberta/testing";

/** Runs `fn` and returns the WeightsError it throws (failing the test otherwise). */
export async function caught(fn: () => unknown): Promise<WeightsError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof WeightsError) return error;
    throw new Error(`expected a WeightsError, got ${String(error)}`, { cause: error });
  }
  throw new Error("expected a WeightsError, nothing was thrown");
}

/** Asserts code, file and key of a WeightsError and that its message names the file and key. */
export async function expectWeightsError(
  fn: () => unknown,
  code: WeightsErrorCode,
  file: string,
  key?: string,
  message?: RegExp,
): Promise<WeightsError> {
  const error = await caught(fn);
  expect(error.code).toBe(code);
  expect(error.file).toBe(file);
  expect(error.key).toBe(key);
  expect(error.message).toContain(file);
  if (key !== undefined) expect(error.message).toContain(JSON.stringify(key));
  if (message !== undefined) expect(error.message).toMatch(message);
  return error;
}

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

export function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function le(value: number | bigint, bytes: number): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  for (let i = 0; i < bytes; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

/** A safetensors file with any header (object or raw text) and data; `headerLength` overrides N. */
export function rawSafetensors(
  header: unknown,
  data: Uint8Array | number[] = [],
  options: { headerLength?: number | bigint } = {},
): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  return concat(le(options.headerLength ?? json.length, 8), json, data);
}

/** Little-endian float32 bytes of some numbers. */
export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

// ---------------------------------------------------------------------------------------------------------
// zip writer

export interface ZipInput {
  readonly name: string;
  readonly data: Uint8Array;
  readonly deflate?: boolean;
}

/**
 * A zip archive like torch writes: stored entries whose data starts at a multiple of `align` (padding in the
 * local header's extra field), optionally deflated entries, optionally ZIP64 records and extra fields.
 */
export function makeZip(entries: ZipInput[], options: { align?: number; zip64?: boolean } = {}): Uint8Array {
  const align = options.align ?? 64;
  const zip64 = options.zip64 ?? false;
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = new TextEncoder().encode(entry.name);
    const stored = entry.deflate === true ? new Uint8Array(deflateRawSync(entry.data)) : entry.data;
    const method = entry.deflate === true ? 8 : 0;
    const crc = crc32(entry.data);
    const headerEnd = offset + 30 + name.length;
    const padding = (align - ((headerEnd + 4) % align)) % align;
    const extra = concat([0x46, 0x42], le(padding, 2), new Uint8Array(padding));
    const local = concat(
      le(0x04034b50, 4),
      le(zip64 ? 45 : 20, 2),
      le(0, 2),
      le(method, 2),
      le(0, 4),
      le(crc, 4),
      le(stored.length, 4),
      le(entry.data.length, 4),
      le(name.length, 2),
      le(extra.length, 2),
      name,
      extra,
    );
    const centralExtra = zip64
      ? concat(le(1, 2), le(24, 2), le(entry.data.length, 8), le(stored.length, 8), le(offset, 8))
      : new Uint8Array(0);
    central.push(
      concat(
        le(0x02014b50, 4),
        le(45, 2),
        le(zip64 ? 45 : 20, 2),
        le(0, 2),
        le(method, 2),
        le(0, 4),
        le(crc, 4),
        le(zip64 ? 0xffffffff : stored.length, 4),
        le(zip64 ? 0xffffffff : entry.data.length, 4),
        le(name.length, 2),
        le(centralExtra.length, 2),
        le(0, 2),
        le(0, 2),
        le(0, 2),
        le(0, 4),
        le(zip64 ? 0xffffffff : offset, 4),
        name,
        centralExtra,
      ),
    );
    parts.push(local, stored);
    offset += local.length + stored.length;
  }
  const directory = concat(...central);
  const directoryOffset = offset;
  const tail: Uint8Array[] = [];
  if (zip64) {
    const recordOffset = directoryOffset + directory.length;
    tail.push(
      concat(
        le(0x06064b50, 4),
        le(44, 8),
        le(45, 2),
        le(45, 2),
        le(0, 4),
        le(0, 4),
        le(entries.length, 8),
        le(entries.length, 8),
        le(directory.length, 8),
        le(directoryOffset, 8),
      ),
      concat(le(0x07064b50, 4), le(0, 4), le(recordOffset, 8), le(1, 4)),
    );
  }
  tail.push(
    concat(
      le(0x06054b50, 4),
      le(0, 2),
      le(0, 2),
      le(zip64 ? 0xffff : entries.length, 2),
      le(zip64 ? 0xffff : entries.length, 2),
      le(zip64 ? 0xffffffff : directory.length, 4),
      le(zip64 ? 0xffffffff : directoryOffset, 4),
      le(0, 2),
    ),
  );
  return concat(...parts, directory, ...tail);
}

// ---------------------------------------------------------------------------------------------------------
// pickle writer (protocol 2, the opcodes torch.save emits)

export class PickleBuilder {
  private readonly parts: number[] = [];

  raw(...bytes: (number | number[] | Uint8Array)[]): this {
    for (const b of bytes) {
      if (typeof b === "number") this.parts.push(b);
      else this.parts.push(...b);
    }
    return this;
  }

  proto(version = 2): this {
    return this.raw(0x80, version);
  }

  str(text: string): this {
    const bytes = new TextEncoder().encode(text);
    return this.raw(0x58, le(bytes.length, 4), bytes);
  }

  int(value: number | bigint): this {
    if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value < 256) {
      return this.raw(0x4b, value);
    }
    if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value < 65536) {
      return this.raw(0x4d, le(value, 2));
    }
    if (typeof value === "number" && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31) {
      return this.raw(0x4a, le(value < 0 ? value + 2 ** 32 : value, 4));
    }
    const bytes = le(value, 10);
    return this.raw(0x8a, bytes.length, bytes);
  }

  global(module: string, name: string): this {
    return this.raw(0x63, latin1(`${module}\n${name}\n`));
  }

  mark(): this {
    return this.raw(0x28);
  }

  tuple(): this {
    return this.raw(0x74);
  }

  reduce(): this {
    return this.raw(0x52);
  }

  none(): this {
    return this.raw(0x4e);
  }

  stop(): this {
    return this.raw(0x2e);
  }

  /** `(v0, v1, ...)` of ints. */
  intTuple(values: readonly number[]): this {
    this.mark();
    for (const v of values) this.int(v);
    return this.tuple();
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export interface TorchTensorSpec {
  readonly name: string;
  readonly storageType: string;
  readonly key: string;
  /** Elements of the root storage. */
  readonly numel: number;
  readonly offset: number;
  readonly size: readonly number[];
  readonly stride: readonly number[];
  /** Legacy only: (view_key, offset, view_size). */
  readonly view?: readonly [string, number, number];
  /** Use `_rebuild_parameter` around the tensor. */
  readonly parameter?: boolean;
}

/** The state dict pickle torch.save writes (protocol 2). */
export function stateDictPickle(tensors: readonly TorchTensorSpec[], legacy: boolean): Uint8Array {
  const p = new PickleBuilder().proto(2).raw(0x7d).mark();
  for (const t of tensors) {
    p.str(t.name);
    if (t.parameter === true) p.global("torch._utils", "_rebuild_parameter").mark();
    p.global("torch._utils", "_rebuild_tensor_v2").mark();
    p.mark().str("storage").global("torch", t.storageType).str(t.key).str("cpu").int(t.numel);
    if (legacy) {
      if (t.view === undefined) p.none();
      else p.mark().str(t.view[0]).int(t.view[1]).int(t.view[2]).tuple();
    }
    p.tuple().raw(0x51);
    p.int(t.offset).intTuple(t.size).intTuple(t.stride).raw(0x89);
    p.global("collections", "OrderedDict").raw(0x29).reduce();
    p.tuple().reduce();
    if (t.parameter === true)
      p.raw(0x89).global("collections", "OrderedDict").raw(0x29).reduce().tuple().reduce();
  }
  return p.raw(0x75).stop().bytes();
}

/** A torch.save zip checkpoint: `archive/data.pkl`, `archive/byteorder`, `archive/data/<key>`, ... */
export function torchZip(
  tensors: readonly TorchTensorSpec[],
  storages: ReadonlyMap<string, Uint8Array>,
  options: {
    byteorder?: "little" | "big" | null;
    deflate?: boolean;
    zip64?: boolean;
    pickle?: Uint8Array;
  } = {},
): Uint8Array {
  const entries: ZipInput[] = [
    {
      name: "archive/data.pkl",
      data: options.pickle ?? stateDictPickle(tensors, false),
      deflate: options.deflate,
    },
  ];
  if (options.byteorder !== null) {
    entries.push({ name: "archive/byteorder", data: latin1(options.byteorder ?? "little") });
  }
  for (const [key, data] of storages) {
    entries.push({ name: `archive/data/${key}`, data, deflate: options.deflate });
  }
  entries.push({ name: "archive/version", data: latin1("3\n") });
  return makeZip(entries, { zip64: options.zip64 });
}

/** The pickle of the legacy magic number, protocol version and sys_info. */
export function legacyPreamble(littleEndian = true): Uint8Array {
  const magic = new PickleBuilder().proto(2).int(0x1950a86a20f9469cfc6cn).stop().bytes();
  const protocol = new PickleBuilder().proto(2).int(1001).stop().bytes();
  const sysInfo = new PickleBuilder()
    .proto(2)
    .raw(0x7d)
    .mark()
    .str("protocol_version")
    .int(1001)
    .str("little_endian")
    .raw(littleEndian ? 0x88 : 0x89)
    .str("type_sizes")
    .raw(0x7d)
    .mark()
    .str("short")
    .int(2)
    .str("int")
    .int(4)
    .str("long")
    .int(4)
    .raw(0x75)
    .raw(0x75)
    .stop()
    .bytes();
  return concat(magic, protocol, sysInfo);
}

/** A legacy (pre-1.6) torch.save checkpoint. `storages` in the order to write them, with their numel. */
export function torchLegacy(
  tensors: readonly TorchTensorSpec[],
  storages: ReadonlyArray<readonly [key: string, numel: number, data: Uint8Array]>,
  options: { littleEndian?: boolean; pickle?: Uint8Array } = {},
): Uint8Array {
  const littleEndian = options.littleEndian ?? true;
  const keys = new PickleBuilder().proto(2).raw(0x5d).mark();
  for (const [key] of storages) keys.str(key);
  keys.raw(0x65).stop();
  const records = storages.map(([, numel, data]) => {
    const count = le(numel, 8);
    return concat(littleEndian ? count : count.reverse(), data);
  });
  return concat(
    legacyPreamble(littleEndian),
    options.pickle ?? stateDictPickle(tensors, true),
    keys.bytes(),
    ...records,
  );
}
