// SentencePiece's precompiled normalization rules (`precompiled_charsmap`): a Darts double-array trie over
// UTF-8 byte sequences whose leaves point into a blob of NUL-terminated replacement strings. Layout:
// uint32 LE trie size in bytes, the trie units (uint32 LE each), then the replacement blob.
// A unit u: has_leaf = (u >> 8) & 1, value = u & 0x7fffffff, label = u & 0x800000ff,
// offset = (u >> 10) << ((u & 0x200) >> 6). Walking key byte c from node p: p ^= offset(units[p]) once at the
// root, then p ^= c, check label(units[p]) == c, p ^= offset(units[p]); a leaf at p has its value at units[p].
import { TokenizerError } from "./errors.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A parsed charsmap. Every index it follows is checked, so a malformed one is a typed error. */
export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly replacements: Uint8Array;
  /** Per replacement offset, its bytes (up to the NUL), decoded lazily. */
  private readonly cache = new Map<number, Uint8Array>();

  constructor(
    bytes: Uint8Array,
    readonly file: string,
    readonly key: string,
  ) {
    if (bytes.length === 0) {
      this.units = new Uint32Array(0);
      this.replacements = new Uint8Array(0);
      return;
    }
    if (bytes.length < 4) throw this.fail(`is ${bytes.length} bytes, shorter than its 4-byte header`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const trieSize = view.getUint32(0, true);
    if (trieSize % 4 !== 0 || trieSize > bytes.length - 4 || trieSize === 0) {
      throw this.fail(`declares a trie of ${trieSize} bytes, which does not fit its ${bytes.length} bytes`);
    }
    this.units = new Uint32Array(trieSize / 4);
    for (let i = 0; i < this.units.length; i++) this.units[i] = view.getUint32(4 + 4 * i, true);
    this.replacements = bytes.subarray(4 + trieSize);
  }

  private fail(message: string): TokenizerError {
    return new TokenizerError("TOKENIZER_FILE_INVALID", `${this.file}: \`${this.key}\` ${message}`, {
      file: this.file,
      key: this.key,
    });
  }

  get isEmpty(): boolean {
    return this.units.length === 0;
  }

  private unit(pos: number): number {
    if (pos >= this.units.length)
      throw this.fail(`trie points outside itself (unit ${pos} of ${this.units.length})`);
    return this.units[pos]!;
  }

  /**
   * Darts `commonPrefixSearch` of `input[from..to)`: calls `onMatch(length, value)` for every rule whose key
   * is a prefix, shortest first; stops early when `onMatch` returns false.
   */
  prefixSearch(
    input: Uint8Array,
    from: number,
    to: number,
    onMatch: (length: number, value: number) => boolean,
  ): void {
    if (this.units.length === 0) return;
    let u = this.unit(0);
    let pos = (u >>> 10) << ((u & 0x200) >>> 6);
    for (let i = from; i < to; i++) {
      const c = input[i]!;
      pos ^= c;
      u = this.unit(pos);
      if ((u & 0x800000ff) >>> 0 !== c) return;
      pos ^= (u >>> 10) << ((u & 0x200) >>> 6);
      if ((u >>> 8) & 1) {
        if (!onMatch(i + 1 - from, this.unit(pos) & 0x7fffffff)) return;
      }
    }
  }

  /** The replacement string stored at `value` (its UTF-8 bytes up to the NUL). */
  replacement(value: number): Uint8Array {
    let out = this.cache.get(value);
    if (out !== undefined) return out;
    if (value >= this.replacements.length) {
      throw this.fail(
        `rule points at replacement ${value}, past the end of the ${this.replacements.length}-byte table`,
      );
    }
    let end = value;
    while (end < this.replacements.length && this.replacements[end] !== 0) end++;
    if (end === this.replacements.length) throw this.fail(`replacement at ${value} is not NUL-terminated`);
    out = this.replacements.subarray(value, end);
    this.cache.set(value, out);
    return out;
  }

  private readonly firstRuleCache = new Map<string, string | null>();

  /**
   * tokenizers' `Precompiled::transform`: the replacement of the first (shortest) key that is a prefix of
   * `part`, or undefined. Results are cached per string (graphemes repeat).
   */
  firstRule(part: string): string | undefined {
    if (part.length === 1 && part.charCodeAt(0) < 0x80) return this.asciiRule(part.charCodeAt(0));
    const cached = this.firstRuleCache.get(part);
    if (cached !== undefined) return cached ?? undefined;
    const found = this.lookupFirstRule(part);
    if (this.firstRuleCache.size >= 65_536) this.firstRuleCache.clear();
    this.firstRuleCache.set(part, found);
    return found ?? undefined;
  }

  private asciiRules: (string | null)[] | undefined;

  /** {@link firstRule} of one ASCII character, from a table. */
  asciiRule(code: number): string | undefined {
    if (this.asciiRules === undefined) {
      this.asciiRules = [];
      for (let c = 0; c < 0x80; c++) this.asciiRules.push(this.lookupFirstRule(String.fromCharCode(c)));
    }
    return this.asciiRules[code] ?? undefined;
  }

  private lookupFirstRule(part: string): string | null {
    const bytes = encoder.encode(part);
    let found: string | null = null;
    this.prefixSearch(bytes, 0, bytes.length, (_, value) => {
      found = decoder.decode(this.replacement(value));
      return false;
    });
    return found;
  }

  /** SentencePiece's rule for a position: the longest matching key, as [length, replacement] (length 0: none). */
  longest(input: Uint8Array, from: number, to: number): [number, number] {
    let bestLength = 0;
    let bestValue = 0;
    this.prefixSearch(input, from, to, (length, value) => {
      if (length > bestLength) {
        bestLength = length;
        bestValue = value;
      }
      return true;
    });
    return [bestLength, bestValue];
  }
}

/** Bytes of one UTF-8 character from its lead byte (SentencePiece's `OneCharLen`). */
export function oneCharLen(lead: number): number {
  return [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4][lead >>> 4]!;
}

/** UTF-8 bytes of a JS string, with each byte's UTF-16 offset (lone surrogates become U+FFFD, as TextEncoder does). */
export interface Utf8Text {
  bytes: Uint8Array;
  /** `utf16[i]` is the UTF-16 offset of byte `i`; `utf16[bytes.length]` is the string length. */
  utf16: Int32Array;
}

export function toUtf8(text: string): Utf8Text {
  const bytes = new Uint8Array(text.length * 3);
  const utf16 = new Int32Array(text.length * 3 + 1);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const start = i;
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      } else cp = 0xfffd;
    } else if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) {
      utf16[n] = start;
      bytes[n++] = cp;
    } else if (cp < 0x800) {
      utf16[n] = start;
      bytes[n++] = 0xc0 | (cp >> 6);
      utf16[n] = start;
      bytes[n++] = 0x80 | (cp & 63);
    } else if (cp < 0x10000) {
      utf16[n] = start;
      bytes[n++] = 0xe0 | (cp >> 12);
      utf16[n] = start;
      bytes[n++] = 0x80 | ((cp >> 6) & 63);
      utf16[n] = start;
      bytes[n++] = 0x80 | (cp & 63);
    } else {
      for (let k = 0; k < 4; k++) utf16[n + k] = start;
      bytes[n++] = 0xf0 | (cp >> 18);
      bytes[n++] = 0x80 | ((cp >> 12) & 63);
      bytes[n++] = 0x80 | ((cp >> 6) & 63);
      bytes[n++] = 0x80 | (cp & 63);
    }
  }
  utf16[n] = text.length;
  return { bytes: bytes.subarray(0, n), utf16: utf16.subarray(0, n + 1) };
}
