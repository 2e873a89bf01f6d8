/**
 * The data side of the unpickler of ./pickle.ts: the safe data constructors every pickle may call
 * ({@link DATA_GLOBALS}), the decoders of protocol-0 string literals and of long integers, and the opcode
 * names used in error messages; and the types of its options and whitelist.
 */
/** A whitelisted global named by a pickle (`collections.OrderedDict`): an inert marker, never a function. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {
    Object.freeze(this);
  }

  /** `module.name` */
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** Where the interpreter is, for handlers that raise errors. */
export interface PickleContext {
  readonly file: string;
  /** Byte offset of the opcode being run. */
  readonly position: number;
}

/**
 * How a whitelisted global may be used: a data constructor run when the pickle calls it (with the argument
 * tuple's items), or `null` for a global that may appear as a value (a storage type) but not be called.
 */
export type PickleCallable = ((args: readonly unknown[], context: PickleContext) => unknown) | null;

/** Options of {@link unpickle}. */
export interface UnpickleOptions {
  /** Named in errors. */
  readonly file: string;
  /** The whitelist: `"module.name"` → what calling it builds. Every other global is refused. */
  readonly globals: ReadonlyMap<string, PickleCallable>;
  /** Resolves a persistent id (BINPERSID / PERSID); without it, persistent ids are `WEIGHTS_CORRUPT`. */
  readonly persistentLoad?: (pid: unknown, context: PickleContext) => unknown;
  /** Globals refused with a specific explanation (still `WEIGHTS_UNSAFE_PICKLE`). */
  readonly refusals?: ReadonlyMap<string, string>;
  /** Where the pickle starts in `bytes` (several pickles may follow one another). Default 0. */
  readonly start?: number;
}

/** The value a pickle built, and the offset just past its STOP opcode. */
export interface UnpickleResult {
  readonly value: unknown;
  readonly end: number;
}

/** Data constructors that are safe in any pickle (sets, OrderedDict, protocol-2 bytes). */
export const DATA_GLOBALS: ReadonlyMap<string, PickleCallable> = new Map<string, PickleCallable>([
  ["collections.OrderedDict", orderedDict],
  ["builtins.set", (args) => new Set(iterableArg(args[0]))],
  ["builtins.frozenset", (args) => new Set(iterableArg(args[0]))],
  ["__builtin__.set", (args) => new Set(iterableArg(args[0]))],
  ["__builtin__.frozenset", (args) => new Set(iterableArg(args[0]))],
  ["builtins.bytearray", bytearray],
  ["__builtin__.bytearray", bytearray],
  ["_codecs.encode", codecsEncode],
]);

export function isList(value: unknown): value is unknown[] {
  return Array.isArray(value) && !Object.isFrozen(value);
}

function iterableArg(value: unknown): Iterable<unknown> {
  if (value === undefined) return [];
  if (Array.isArray(value) || value instanceof Set) return value;
  if (value instanceof Map) return value.keys();
  throw new TypeError("expected a list, tuple or set");
}

function orderedDict(args: readonly unknown[]): Map<unknown, unknown> {
  const out = new Map<unknown, unknown>();
  const items = args[0];
  if (items instanceof Map) return new Map(items);
  for (const pair of iterableArg(items)) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError("OrderedDict items must be pairs");
    out.set(pair[0], pair[1]);
  }
  return out;
}

function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) throw new TypeError("latin-1 cannot encode a character above U+00FF");
    out[i] = code;
  }
  return out;
}

function codecsEncode(args: readonly unknown[]): Uint8Array {
  const [text, encoding = "utf-8"] = args;
  if (typeof text !== "string" || typeof encoding !== "string") {
    throw new TypeError("_codecs.encode expects (str, encoding)");
  }
  const normalized = encoding.toLowerCase().replace(/[-_]/g, "");
  if (normalized === "latin1" || normalized === "iso88591") return latin1(text);
  if (normalized === "utf8") return new TextEncoder().encode(text);
  throw new TypeError(`_codecs.encode: the encoding ${JSON.stringify(encoding)} is not supported`);
}

function bytearray(args: readonly unknown[]): Uint8Array {
  const [source, encoding] = args;
  if (source === undefined) return new Uint8Array(0);
  if (source instanceof Uint8Array) return new Uint8Array(source);
  if (typeof source === "string") return codecsEncode([source, encoding ?? "utf-8"]);
  if (Array.isArray(source) && source.every((b) => typeof b === "number" && b >= 0 && b <= 255)) {
    return Uint8Array.from(source as number[]);
  }
  throw new TypeError("bytearray: unsupported argument");
}

/** Python's raw-unicode-escape decoding (protocol 0 UNICODE): bytes are latin-1, plus \uXXXX and \UXXXXXXXX. */
export function rawUnicodeEscape(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x5c && i + 1 < bytes.length && (bytes[i + 1] === 0x75 || bytes[i + 1] === 0x55)) {
      const digits = bytes[i + 1] === 0x75 ? 4 : 8;
      const hex = String.fromCharCode(...bytes.subarray(i + 2, i + 2 + digits));
      if (hex.length === digits && /^[0-9a-fA-F]+$/.test(hex)) {
        out += String.fromCodePoint(Number.parseInt(hex, 16));
        i += 1 + digits;
        continue;
      }
    }
    out += String.fromCharCode(b);
  }
  return out;
}

/** Unquotes a Python bytes/str literal as written by protocol 0 STRING (`'abc\n'`). */
export function pythonStringLiteral(line: string): Uint8Array {
  const quote = line[0];
  if (line.length < 2 || (quote !== "'" && quote !== '"') || line[line.length - 1] !== quote) {
    throw new TypeError("STRING argument is not a quoted literal");
  }
  const body = line.slice(1, -1);
  const out: number[] = [];
  const simple: Record<string, number> = {
    n: 10,
    r: 13,
    t: 9,
    "\\": 92,
    "'": 39,
    '"': 34,
    a: 7,
    b: 8,
    f: 12,
    v: 11,
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      out.push(body.charCodeAt(i) & 0xff);
      continue;
    }
    const e = body[++i];
    if (e === undefined) throw new TypeError("STRING literal ends with a backslash");
    if (e === "x") {
      out.push(Number.parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (e >= "0" && e <= "7") {
      const octal = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out.push(Number.parseInt(octal, 8) & 0xff);
      i += octal.length - 1;
    } else if (simple[e] !== undefined) {
      out.push(simple[e]!);
    } else {
      out.push(92, e.charCodeAt(0) & 0xff);
    }
  }
  if (out.some((b) => Number.isNaN(b))) throw new TypeError("bad \\x escape in STRING literal");
  return Uint8Array.from(out);
}

export const OPCODE_NAMES: Readonly<Record<number, string>> = {
  128: "PROTO",
  149: "FRAME",
  46: "STOP",
  40: "MARK",
  41: "EMPTY_TUPLE",
  93: "EMPTY_LIST",
  125: "EMPTY_DICT",
  143: "EMPTY_SET",
  144: "ADDITEMS",
  145: "FROZENSET",
  78: "NONE",
  136: "NEWTRUE",
  137: "NEWFALSE",
  74: "BININT",
  75: "BININT1",
  77: "BININT2",
  138: "LONG1",
  139: "LONG4",
  71: "BINFLOAT",
  88: "BINUNICODE",
  140: "SHORT_BINUNICODE",
  141: "BINUNICODE8",
  67: "SHORT_BINBYTES",
  66: "BINBYTES",
  142: "BINBYTES8",
  150: "BYTEARRAY8",
  84: "BINSTRING",
  85: "SHORT_BINSTRING",
  116: "TUPLE",
  133: "TUPLE1",
  134: "TUPLE2",
  135: "TUPLE3",
  97: "APPEND",
  101: "APPENDS",
  115: "SETITEM",
  117: "SETITEMS",
  108: "LIST",
  100: "DICT",
  113: "BINPUT",
  114: "LONG_BINPUT",
  148: "MEMOIZE",
  104: "BINGET",
  106: "LONG_BINGET",
  112: "PUT",
  103: "GET",
  99: "GLOBAL",
  147: "STACK_GLOBAL",
  82: "REDUCE",
  98: "BUILD",
  129: "NEWOBJ",
  146: "NEWOBJ_EX",
  105: "INST",
  111: "OBJ",
  81: "BINPERSID",
  80: "PERSID",
  48: "POP",
  49: "POP_MARK",
  50: "DUP",
  73: "INT",
  76: "LONG",
  70: "FLOAT",
  83: "STRING",
  86: "UNICODE",
  130: "EXT1",
  131: "EXT2",
  132: "EXT4",
  151: "NEXT_BUFFER",
  152: "READONLY_BUFFER",
};

/** The largest LONG4 integer decoded (bigint decoding is quadratic; checkpoints never hold such integers). */
export const MAX_LONG_BYTES = 4096;

/** Little-endian two's-complement integer of `bytes`, as a number when safe, else a bigint. */
export function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  if ((bytes[bytes.length - 1]! & 0x80) !== 0) value -= 1n << BigInt(bytes.length * 8);
  return normalizeInt(value);
}

export function normalizeInt(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

/**
 * A short description of an unpickled value for error messages. Never `String(value)` or `JSON.stringify`:
 * a hostile pickle can build lists nested thousands deep or containing themselves (a stack overflow or a
 * TypeError there) and bigints (which JSON.stringify refuses).
 */
export function describePickled(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "bigint") return `the integer ${value.toString().slice(0, 40)}`;
  if (value === null || value === undefined) return "None";
  if (value instanceof PickleGlobal) return value.qualifiedName;
  if (Array.isArray(value)) return Object.isFrozen(value) ? "a tuple" : "a list";
  if (value instanceof Map) return "a dict";
  if (value instanceof Set) return "a set";
  if (value instanceof Uint8Array) return "bytes";
  return typeof value;
}
