/**
 * A pickle reader that never executes anything.
 *
 * Python's `pickle.load` imports every global a pickle names and calls whatever REDUCE, NEWOBJ, INST, OBJ or
 * BUILD hand it: a pickle is a program, and `torch.load` of an untrusted file can run `os.system`. This
 * reader is an interpreter for the pickle opcodes that builds only JavaScript data. A GLOBAL / STACK_GLOBAL /
 * INST opcode is resolved against a whitelist given by the caller; any other global stops reading right there
 * with `WEIGHTS_UNSAFE_PICKLE` (so nothing is even imported). A whitelisted global is an inert marker value;
 * calling it (REDUCE, NEWOBJ, OBJ, INST) runs the caller's JavaScript function that builds a data
 * description from the arguments, never the Python callable.
 *
 * Values: None → null, bool → boolean, int → number (bigint beyond ±2^53), float → number, str → string,
 * bytes / bytearray → Uint8Array (a view on the pickle's bytes where possible), list → array, tuple → frozen
 * array, dict → Map, set / frozenset → Set, a whitelisted global → {@link PickleGlobal}.
 */
import { WeightsError, type WeightsErrorCode, weightsError } from "./errors.js";
import {
  decodeLong,
  isList,
  MAX_LONG_BYTES,
  normalizeInt,
  OPCODE_NAMES,
  type PickleContext,
  PickleGlobal,
  pythonStringLiteral,
  rawUnicodeEscape,
  type UnpickleOptions,
  type UnpickleResult,
} from "./pickle-values.js";

export {
  DATA_GLOBALS,
  type PickleCallable,
  type PickleContext,
  PickleGlobal,
  type UnpickleOptions,
  type UnpickleResult,
} from "./pickle-values.js";

/**
 * Runs one pickle (from `options.start` to its STOP opcode) and returns the value it built.
 *
 * @throws {@link WeightsError} `WEIGHTS_UNSAFE_PICKLE` naming the global (as `key`) when the pickle names a
 * global outside the whitelist or uses the extension registry; `WEIGHTS_CORRUPT` for malformed or truncated
 * pickles (unknown opcode, stack underflow, a memo key never stored, ...); `WEIGHTS_UNSUPPORTED` for
 * out-of-band buffers or a whitelisted marker being called.
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): UnpickleResult {
  const { file, globals } = options;
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = options.start ?? 0;
  let opStart = pos;
  let opName = "";

  const context = (): PickleContext => ({ file, position: opStart });
  const fail = (code: WeightsErrorCode, problem: string, extra: { key?: string; cause?: unknown } = {}) =>
    weightsError(code, file, problem, { ...extra, keyKind: "pickle global" });
  const corrupt = (problem: string, cause?: unknown) =>
    fail("WEIGHTS_CORRUPT", `pickle opcode ${opName} at byte ${opStart}: ${problem}`, { cause });

  const need = (n: number): number => {
    if (pos + n > bytes.length) throw corrupt(`needs ${n} bytes, the file ends (truncated pickle)`);
    const at = pos;
    pos += n;
    return at;
  };
  const take = (n: number): Uint8Array => {
    const at = need(n);
    return bytes.subarray(at, at + n);
  };
  const u8 = (): number => bytes[need(1)]!;
  const u16 = (): number => {
    const at = need(2);
    return bytes[at]! | (bytes[at + 1]! << 8);
  };
  const u32 = (): number => {
    const at = need(4);
    return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
  };
  const i32 = (): number => u32() | 0;
  const u64 = (): number => {
    const low = u32();
    const value = u32() * 2 ** 32 + low;
    if (!Number.isSafeInteger(value)) throw corrupt(`length ${value} is absurd`);
    return value;
  };
  const text = (raw: Uint8Array): string => {
    try {
      return utf8.decode(raw);
    } catch (cause) {
      throw corrupt("the string is not valid UTF-8", cause);
    }
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw corrupt("the text argument has no newline (truncated pickle)");
    const value = text(bytes.subarray(pos, end));
    pos = end + 1;
    return value.endsWith("\r") ? value.slice(0, -1) : value;
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!)) {
      throw corrupt("the stack is empty (malformed pickle)");
    }
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!)) {
      throw corrupt("the stack is empty (malformed pickle)");
    }
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const mark = marks.pop();
    if (mark === undefined) throw corrupt("no MARK to pop to (malformed pickle)");
    return stack.splice(mark);
  };
  const memoGet = (index: number): unknown => {
    if (!memo.has(index)) throw corrupt(`memo entry ${index} was never stored`);
    return memo.get(index);
  };
  const memoPut = (index: number): void => {
    memo.set(index, top());
  };
  const resolveGlobal = (module: string, name: string): PickleGlobal => {
    const qualified = `${module}.${name}`;
    if (globals.has(qualified)) return new PickleGlobal(module, name);
    const reason = options.refusals?.get(qualified);
    throw fail(
      "WEIGHTS_UNSAFE_PICKLE",
      `the pickle names the global ${qualified}, which is not on the whitelist of data constructors${
        reason === undefined ? "" : ` (${reason})`
      }; reading stopped at byte ${opStart} and nothing was imported or executed`,
      { key: qualified },
    );
  };
  const call = (callable: unknown, args: unknown): unknown => {
    if (!(callable instanceof PickleGlobal)) {
      throw corrupt("calls something that is not a whitelisted global");
    }
    if (!Array.isArray(args)) throw corrupt("the arguments are not a tuple");
    const fn = globals.get(callable.qualifiedName);
    if (typeof fn !== "function") {
      throw fail(
        "WEIGHTS_UNSUPPORTED",
        `pickle opcode ${opName} at byte ${opStart}: ${callable.qualifiedName} may appear as a value but is not called by this reader`,
        { key: callable.qualifiedName },
      );
    }
    try {
      return fn(args, context());
    } catch (cause) {
      if (cause instanceof WeightsError) throw cause;
      throw fail(
        "WEIGHTS_CORRUPT",
        `pickle opcode ${opName} at byte ${opStart}: bad arguments for ${callable.qualifiedName} (${
          cause instanceof Error ? cause.message : String(cause)
        })`,
        { key: callable.qualifiedName, cause },
      );
    }
  };
  const setItems = (target: unknown, items: unknown[]): void => {
    if (!(target instanceof Map)) throw corrupt("sets items on something that is not a dict");
    if (items.length % 2 !== 0) throw corrupt("an odd number of keys and values");
    for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
  };
  const persistent = (pid: unknown): unknown => {
    if (options.persistentLoad === undefined) throw corrupt("persistent ids are not expected in this pickle");
    return options.persistentLoad(pid, context());
  };
  const tuple = (items: unknown[]): readonly unknown[] => Object.freeze(items);

  for (;;) {
    opStart = pos;
    if (pos >= bytes.length) {
      opName = "(end of file)";
      throw corrupt("the pickle ends before its STOP opcode (truncated)");
    }
    const op = bytes[pos++]!;
    opName = OPCODE_NAMES[op] ?? `0x${op.toString(16).padStart(2, "0")}`;
    switch (op) {
      case 0x80: {
        const protocol = u8();
        if (protocol > 5) throw corrupt(`pickle protocol ${protocol} is newer than 5`);
        break;
      }
      case 0x95: {
        const length = u64();
        if (pos + length > bytes.length) throw corrupt(`the frame of ${length} bytes runs past the end`);
        break;
      }
      case 0x2e: {
        if (marks.length > 0) throw corrupt("STOP inside an open MARK");
        const value = pop();
        return { value, end: pos };
      }
      case 0x28:
        marks.push(stack.length);
        break;
      case 0x29:
        stack.push(tuple([]));
        break;
      case 0x5d:
        stack.push([]);
        break;
      case 0x7d:
        stack.push(new Map());
        break;
      case 0x8f:
        stack.push(new Set());
        break;
      case 0x90: {
        const items = popMark();
        const set = top();
        if (!(set instanceof Set)) throw corrupt("adds items to something that is not a set");
        for (const item of items) set.add(item);
        break;
      }
      case 0x91:
        stack.push(new Set(popMark()));
        break;
      case 0x4e:
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a:
        stack.push(i32());
        break;
      case 0x4b:
        stack.push(u8());
        break;
      case 0x4d:
        stack.push(u16());
        break;
      case 0x8a:
        stack.push(decodeLong(take(u8())));
        break;
      case 0x8b: {
        const length = i32();
        if (length < 0) throw corrupt("negative length");
        if (length > MAX_LONG_BYTES) {
          throw fail(
            "WEIGHTS_UNSUPPORTED",
            `pickle opcode LONG4 at byte ${opStart}: a ${length}-byte integer (more than ${MAX_LONG_BYTES} bytes)`,
          );
        }
        stack.push(decodeLong(take(length)));
        break;
      }
      case 0x47: {
        const at = need(8);
        stack.push(new DataView(bytes.buffer, bytes.byteOffset + at, 8).getFloat64(0, false));
        break;
      }
      case 0x58:
        stack.push(text(take(u32())));
        break;
      case 0x8c:
        stack.push(text(take(u8())));
        break;
      case 0x8d:
        stack.push(text(take(u64())));
        break;
      case 0x43:
        stack.push(take(u8()));
        break;
      case 0x42:
        stack.push(take(u32()));
        break;
      case 0x8e:
        stack.push(take(u64()));
        break;
      case 0x96:
        stack.push(new Uint8Array(take(u64())));
        break;
      case 0x54: {
        const length = i32();
        if (length < 0) throw corrupt("negative length");
        stack.push(text(take(length)));
        break;
      }
      case 0x55:
        stack.push(text(take(u8())));
        break;
      case 0x74:
        stack.push(tuple(popMark()));
        break;
      case 0x85:
        stack.push(tuple([pop()]));
        break;
      case 0x86: {
        const b = pop();
        stack.push(tuple([pop(), b]));
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push(tuple([pop(), b, c]));
        break;
      }
      case 0x61: {
        const value = pop();
        const list = top();
        if (!isList(list)) throw corrupt("appends to something that is not a list");
        list.push(value);
        break;
      }
      case 0x65: {
        const items = popMark();
        const list = top();
        if (!isList(list)) throw corrupt("appends to something that is not a list");
        for (const item of items) list.push(item);
        break;
      }
      case 0x73: {
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x6c:
        stack.push(popMark());
        break;
      case 0x64: {
        const map = new Map();
        setItems(map, popMark());
        stack.push(map);
        break;
      }
      case 0x71:
        memoPut(u8());
        break;
      case 0x72:
        memoPut(u32());
        break;
      case 0x94:
        memoPut(memo.size);
        break;
      case 0x68:
        stack.push(memoGet(u8()));
        break;
      case 0x6a:
        stack.push(memoGet(u32()));
        break;
      case 0x70: {
        const index = Number(line());
        if (!Number.isSafeInteger(index)) throw corrupt("bad memo index");
        memoPut(index);
        break;
      }
      case 0x67: {
        const index = Number(line());
        if (!Number.isSafeInteger(index)) throw corrupt("bad memo index");
        stack.push(memoGet(index));
        break;
      }
      case 0x63: {
        const module = line();
        const name = line();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x93: {
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") {
          throw corrupt("STACK_GLOBAL needs two strings");
        }
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x52: {
        const args = pop();
        const callable = pop();
        stack.push(call(callable, args));
        break;
      }
      case 0x81: {
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args));
        break;
      }
      case 0x92: {
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!(kwargs instanceof Map) || kwargs.size > 0) {
          throw fail("WEIGHTS_UNSUPPORTED", `pickle opcode NEWOBJ_EX at byte ${opStart}: keyword arguments`);
        }
        stack.push(call(cls, args));
        break;
      }
      case 0x69: {
        const module = line();
        const name = line();
        const cls = resolveGlobal(module, name);
        stack.push(call(cls, tuple(popMark())));
        break;
      }
      case 0x6f: {
        const [cls, ...args] = popMark();
        stack.push(call(cls, tuple(args)));
        break;
      }
      case 0x62: {
        // BUILD would set the state of the object below it (__setstate__ / __dict__.update). The objects
        // built here are plain data, so the state (e.g. an OrderedDict's `_metadata`) is dropped.
        pop();
        top();
        break;
      }
      case 0x51:
        stack.push(persistent(pop()));
        break;
      case 0x50:
        stack.push(persistent(line()));
        break;
      case 0x30:
        if (marks.length > 0 && stack.length === marks[marks.length - 1]) popMark();
        else pop();
        break;
      case 0x31:
        popMark();
        break;
      case 0x32:
        stack.push(top());
        break;
      case 0x49: {
        const value = line();
        if (value === "01" || value === "00") stack.push(value === "01");
        else if (/^[+-]?\d+$/.test(value)) stack.push(normalizeInt(BigInt(value)));
        else throw corrupt(`${JSON.stringify(value)} is not an integer`);
        break;
      }
      case 0x4c: {
        const value = line().replace(/L$/, "");
        if (!/^[+-]?\d+$/.test(value)) throw corrupt(`${JSON.stringify(value)} is not an integer`);
        stack.push(normalizeInt(BigInt(value)));
        break;
      }
      case 0x46: {
        const value = line().trim();
        const special: Record<string, number> = {
          inf: Number.POSITIVE_INFINITY,
          "-inf": Number.NEGATIVE_INFINITY,
          nan: Number.NaN,
        };
        const parsed = special[value.toLowerCase()] ?? Number(value);
        if (Number.isNaN(parsed) && value.toLowerCase() !== "nan") {
          throw corrupt(`${JSON.stringify(value)} is not a float`);
        }
        stack.push(parsed);
        break;
      }
      case 0x53: {
        let raw: Uint8Array;
        try {
          raw = pythonStringLiteral(line());
        } catch (cause) {
          throw corrupt((cause as Error).message, cause);
        }
        stack.push(text(raw));
        break;
      }
      case 0x56: {
        const end = bytes.indexOf(0x0a, pos);
        if (end < 0) throw corrupt("the text argument has no newline (truncated pickle)");
        stack.push(rawUnicodeEscape(bytes.subarray(pos, end)));
        pos = end + 1;
        break;
      }
      case 0x82:
      case 0x83:
      case 0x84: {
        const code = op === 0x82 ? u8() : op === 0x83 ? u16() : i32();
        throw fail(
          "WEIGHTS_UNSAFE_PICKLE",
          `the pickle refers to extension code ${code} (copyreg's registry of globals), which this reader refuses; reading stopped at byte ${opStart} and nothing was imported or executed`,
          { key: `extension ${code}` },
        );
      }
      case 0x97:
        throw fail(
          "WEIGHTS_UNSUPPORTED",
          `pickle opcode NEXT_BUFFER at byte ${opStart}: out-of-band buffers`,
        );
      case 0x98:
        top();
        break;
      default:
        throw corrupt("unknown opcode (not a pickle, or a damaged one)");
    }
  }
}
