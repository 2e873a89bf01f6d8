/**
 * Seeded generators and the outcome check shared by the `*.fuzz.test.ts` files. Every case is a pure
 * function of (seed, index), so a failure message's index reproduces it without the rest of the run.
 */

import { caseRng, Rng } from "@deberta/testing";
import { TokenizerError } from "../src/errors.js";

export { caseRng, Rng };

/** The case count each fuzz target runs; the issue asks for at least 10,000. */
export const FUZZ_CASES = 10_000;
/** Generous for a slow, loaded machine; each target takes a few seconds on an idle one. */
export const FUZZ_TIMEOUT_MS = 60_000;

const cp = (point: number) => String.fromCodePoint(point);

/** Pieces of text chosen to hit the tokenizer's edge cases; joined without separators. */
const PIECES: ((r: Rng) => string)[] = [
  (r) => r.pick(["lower", "newer", "Hello", "World", "the", "tokenizer", "DeBERTa", "x"]),
  (r) => r.pick([" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u0085", "\ufeff", "\u3000", "\u2028"]),
  (r) => cp(r.pick([r.int(0, 0x1f), r.int(0x7f, 0x9f)])),
  (r) => cp(r.int(0x300, 0x36f)) + (r.chance(0.3) ? cp(r.int(0x20d0, 0x20ff)) : ""),
  (r) => String.fromCharCode(r.chance(0.5) ? r.int(0xd800, 0xdbff) : r.int(0xdc00, 0xdfff)),
  (r) => cp(r.chance(0.5) ? r.int(0x1f300, 0x1faff) : r.int(0x10000, 0x10ffff)),
  (r) => {
    const c = r.int(0x80, 0xfffd);
    return c >= 0xd800 && c <= 0xdfff ? "\ufffd" : cp(c);
  },
  (r) => r.pick(["[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]", " [MASK]", "[MAS", "K]", "<unk>"]),
  (r) => r.pick(["'s", "'t", "'re", "'ll", "'d", "n't", "''"]),
  (r) => String(r.int(0, 1_000_000)),
  (r) => r.pick([".", ",", "!?", "...", "-", "—", "(", ")", "{}", "\\", '"', "#", "@", "%"]),
  (r) => cp(r.pick([0x4e00, 0x0410, 0x05d0, 0x0627, 0x0e01, 0xac00]) + r.int(0, 40)),
];

/** A word without whitespace of `length` UTF-16 units or a little more (the long-word heap merge path). */
function longWord(r: Rng, length: number): string {
  const alphabet = r.chance(0.5) ? "abcdefghijklmnopqrstuvwxyz" : "aé😀1,中";
  let out = "";
  while (out.length < length) {
    const chars = [...alphabet];
    out += r.chance(0.02) ? String.fromCharCode(0xd800) : chars[r.int(0, chars.length - 1)]!;
  }
  return out;
}

/** A random string: usually a few dozen edge-case pieces, one time in 100 a word thousands of units long. */
export function randomText(r: Rng): string {
  if (r.chance(0.01)) {
    const word = longWord(r, r.int(2000, 6000));
    return r.chance(0.5) ? word : `${r.pick(PIECES)(r)} ${word} ${r.pick(PIECES)(r)}`;
  }
  const n = r.chance(0.05) ? 0 : r.int(1, 40);
  let out = "";
  for (let i = 0; i < n; i++) out += r.pick(PIECES)(r);
  return out;
}

const GARBAGE_STRINGS = [
  "",
  "NaN",
  "Infinity",
  "-Infinity",
  "null",
  "undefined",
  "true",
  "1e309",
  "-1",
  "0x10",
  "768",
  "__proto__",
  "constructor",
  "[CLS]",
  "\u0000",
  "\ud800",
  "A".repeat(300),
];
const GARBAGE_NUMBERS = [
  0,
  -0,
  -1,
  1,
  2,
  0.5,
  -0.5,
  1.5,
  1e300,
  -1e300,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  1e30,
  4294967295,
  2147483647,
];

/** A JSON value of any type: scalars chosen to break parsers, and nested arrays/objects up to `depth`. */
export function randomJson(r: Rng, depth = 3): unknown {
  const kind = r.int(0, depth > 0 ? 7 : 5);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick(GARBAGE_NUMBERS);
    case 3:
      return r.chance(0.5) ? r.int(-5, 5000) : r.next() * 10 ** r.int(-10, 30);
    case 4:
      return r.pick(GARBAGE_STRINGS);
    case 5:
      return randomText(r).slice(0, 50);
    case 6:
      return Array.from({ length: r.int(0, 4) }, () => randomJson(r, depth - 1));
    default: {
      const obj: Record<string, unknown> = {};
      for (let i = r.int(0, 4); i > 0; i--) obj[r.pick(GARBAGE_STRINGS) || "k"] = randomJson(r, depth - 1);
      return obj;
    }
  }
}

/** Arrays nested `depth` deep: what recursive code overflows the stack on. */
export function deeplyNested(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

type Container = Record<string, unknown> | unknown[];

function containers(root: unknown): { parent: Container; key: string | number }[] {
  const out: { parent: Container; key: string | number }[] = [];
  const visit = (value: unknown, depth: number) => {
    if (depth > 6 || value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      // Long arrays (a vocabulary's merges) would swamp the choice: a few positions stand for the rest.
      const positions = value.length <= 8 ? value.map((_, i) => i) : [0, 1, value.length - 1];
      for (const i of positions) {
        out.push({ parent: value, key: i });
        visit(value[i], depth + 1);
      }
      return;
    }
    const entries = Object.entries(value as Record<string, unknown>);
    for (const [key, child] of entries.length <= 12 ? entries : entries.slice(0, 12)) {
      out.push({ parent: value as Container, key });
      visit(child, depth + 1);
    }
  };
  visit(root, 0);
  return out;
}

/**
 * Applies 1-3 random mutations to a deep copy of `base`: a value replaced by garbage, a key removed, an
 * unknown key added, an array emptied or given a garbage item, a value moved to another place.
 */
export function mutateJson(r: Rng, base: unknown): unknown {
  const doc = structuredClone(base);
  for (let m = r.int(1, 3); m > 0; m--) {
    const spots = containers(doc);
    if (spots.length === 0) return randomJson(r);
    const { parent, key } = r.pick(spots);
    const action = r.int(0, 5);
    const write = (value: unknown) => {
      (parent as Record<string | number, unknown>)[key] = value;
    };
    const current = (parent as Record<string | number, unknown>)[key];
    if (action === 0) write(randomJson(r));
    else if (action === 1) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
    } else if (action === 2 && !Array.isArray(parent)) parent[r.pick(GARBAGE_STRINGS) || "x"] = randomJson(r);
    else if (action === 3 && Array.isArray(current)) {
      if (r.chance(0.5)) current.length = 0;
      else current.splice(r.int(0, current.length), 0, randomJson(r));
    } else if (action === 4) write(structuredClone(r.pick(spots).parent));
    else write(r.pick(GARBAGE_NUMBERS));
  }
  return doc;
}

/**
 * Runs `fn` and says what happened: `"ok"`, or the TokenizerError's code. Anything else thrown (a
 * TypeError, RangeError, SyntaxError, a plain Error) is rethrown, with `describe()` of the case in front.
 */
export function outcome(fn: () => void, describe: () => string): string {
  try {
    fn();
    return "ok";
  } catch (error) {
    if (error instanceof TokenizerError && typeof error.code === "string") return error.code;
    throw untyped(error, describe);
  }
}

export async function outcomeAsync(fn: () => Promise<void>, describe: () => string): Promise<string> {
  try {
    await fn();
    return "ok";
  } catch (error) {
    if (error instanceof TokenizerError && typeof error.code === "string") return error.code;
    throw untyped(error, describe);
  }
}

/** Where it was thrown matters as much as what: the top of the stack goes into the message. */
function untyped(error: unknown, describe: () => string): Error {
  const where = error instanceof Error ? (error.stack ?? "").split("\n").slice(1, 4).join("\n") : "";
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new Error(`untyped exception ${message}\n${where}\n  for ${describe()}`, { cause: error });
}

/** A short, printable rendering of a case for failure messages. */
export function show(value: unknown, max = 400): string {
  let text: string | undefined;
  try {
    text =
      typeof value === "string"
        ? JSON.stringify(value)
        : JSON.stringify(value, (_, v) => (v === undefined ? "<undefined>" : v));
  } catch {
    text = `<${Array.isArray(value) ? "array" : typeof value} too deep to print>`;
  }
  return text === undefined
    ? String(value)
    : text.length > max
      ? `${text.slice(0, max)}…(${text.length})`
      : text;
}
