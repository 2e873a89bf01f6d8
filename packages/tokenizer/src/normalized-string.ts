// tokenizers' `NormalizedString`, reduced to what the DeBERTa-v2 normalizers and Metaspace need: the
// normalized text plus, per UTF-16 unit, the [start, end) span of the original text it came from. Edits are
// lists of (character, change) as in tokenizers' `transform`: change 0 replaces one original character (and
// takes its span), -n replaces one and removes the n after it, +1 inserts (taking the span of the character
// before it).
import type { PrecompiledCharsmap } from "./precompiled-charsmap.js";

export class NormalizedString {
  constructor(
    public text: string,
    /** starts[i], ends[i]: the original span of UTF-16 unit i of `text`. */
    public starts: number[],
    public ends: number[],
  ) {}

  static from(text: string, offset = 0): NormalizedString {
    const starts = new Array<number>(text.length);
    const ends = new Array<number>(text.length);
    for (let i = 0; i < text.length; i++) {
      const cp = text.codePointAt(i)!;
      if (cp > 0xffff) {
        starts[i] = starts[i + 1] = offset + i;
        ends[i] = ends[i + 1] = offset + i + 2;
        i++;
      } else {
        starts[i] = offset + i;
        ends[i] = offset + i + 1;
      }
    }
    return new NormalizedString(text, starts, ends);
  }

  /** Applies (char, change) edits to units [from, to) of the text; `removedFirst` characters are dropped first. */
  transform(
    edits: readonly (readonly [string, number])[],
    from = 0,
    to = this.text.length,
    removedFirst = 0,
  ): void {
    let text = this.text.slice(0, from);
    const starts = this.starts.slice(0, from);
    const ends = this.ends.slice(0, from);
    let pos = from;
    const skipChar = () => {
      pos += this.text.codePointAt(pos)! > 0xffff ? 2 : 1;
    };
    for (let i = 0; i < removedFirst && pos < to; i++) skipChar();
    for (const [c, change] of edits) {
      let start: number;
      let end: number;
      if (change > 0) {
        start = pos > 0 ? this.starts[pos - 1]! : 0;
        end = pos > 0 ? this.ends[pos - 1]! : 0;
      } else {
        start = this.starts[pos] ?? 0;
        end = this.ends[pos] ?? 0;
        if (pos < to) skipChar();
        for (let k = 0; k < -change && pos < to; k++) skipChar();
      }
      text += c;
      for (let k = 0; k < c.length; k++) {
        starts.push(start);
        ends.push(end);
      }
    }
    this.text = text + this.text.slice(to);
    this.starts = starts.concat(this.starts.slice(to));
    this.ends = ends.concat(this.ends.slice(to));
  }

  /** `replace(pattern, content)`: every match becomes `content`, each new character spanning the match's last. */
  replace(pattern: RegExp, content: string): void {
    const matches = [...this.text.matchAll(pattern)].filter((m) => m[0].length > 0);
    const contentChars = [...content];
    for (let i = matches.length - 1; i >= 0; i--) {
      const m = matches[i]!;
      const removed = [...m[0]].length;
      this.transform(
        contentChars.map((c) => [c, 1] as const),
        m.index,
        m.index + m[0].length,
        removed,
      );
    }
  }

  /** Removes leading and/or trailing whitespace. */
  strip(left: boolean, right: boolean): void {
    let start = 0;
    let end = this.text.length;
    if (left) while (start < end && WHITESPACE.test(this.text[start]!)) start++;
    if (right) while (end > start && WHITESPACE.test(this.text[end - 1]!)) end--;
    this.text = this.text.slice(start, end);
    this.starts = this.starts.slice(start, end);
    this.ends = this.ends.slice(start, end);
  }

  /** Prepends `s`: its first character takes the span of the current first character, as tokenizers does. */
  prepend(s: string): void {
    if (this.text.length === 0) return;
    const first = String.fromCodePoint(this.text.codePointAt(0)!);
    const edits = [...s].map((c, i) => [c, i === 0 ? 0 : 1] as const);
    this.transform([...edits, [first, 1]], 0, first.length);
  }

  /** NFC, one canonical-composition run at a time (a starter and the marks after it). */
  nfc(): void {
    if (this.text.normalize("NFC") === this.text) return;
    const edits: [string, number][] = [];
    const runs = this.text.match(/\P{M}\p{M}*|\p{M}+/gsu) ?? [];
    for (const run of runs) {
      const composed = run.normalize("NFC");
      if (composed === run) for (const c of run) edits.push([c, 0]);
      else replaceRun(edits, run, composed);
    }
    this.transform(edits);
  }

  /**
   * tokenizers' `Precompiled` normalizer: per grapheme cluster (shorter than 6 UTF-8 bytes) the first rule
   * matching a prefix of it replaces the whole cluster; otherwise each character on its own.
   */
  precompiled(charsmap: PrecompiledCharsmap): void {
    if (charsmap.isEmpty) return;
    const edits: [string, number][] = [];
    let modified = false;
    const encoder = new TextEncoder();
    const decoder = new TextDecoder();
    const rule = (part: string): string | undefined => {
      const bytes = encoder.encode(part);
      let found: string | undefined;
      charsmap.prefixSearch(bytes, 0, bytes.length, (_, value) => {
        found = decoder.decode(charsmap.replacement(value));
        return false;
      });
      return found;
    };
    for (const { segment } of graphemes().segment(this.text)) {
      if (encoder.encode(segment).length < 6) {
        const norm = rule(segment);
        if (norm !== undefined) {
          modified = true;
          replaceRun(edits, segment, norm);
          continue;
        }
      }
      for (const c of segment) {
        const norm = rule(c);
        if (norm !== undefined) {
          modified = true;
          replaceRun(edits, c, norm);
        } else edits.push([c, 0]);
      }
    }
    if (modified) this.transform(edits);
  }
}

const WHITESPACE = /\p{White_Space}/u;

let segmenter: Intl.Segmenter | undefined;
function graphemes(): Intl.Segmenter {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
  return segmenter;
}

/** spm_precompiled's `replace`: new characters as changes 0, the last ones +1 if longer, the last one -n if shorter. */
function replaceRun(edits: [string, number][], oldPart: string, newPart: string): void {
  const diff = [...newPart].length - [...oldPart].length;
  for (const c of newPart) edits.push([c, 0]);
  if (diff > 0) for (let i = 0; i < diff; i++) edits[edits.length - 1 - i]![1] = 1;
  else if (diff < 0 && edits.length > 0) edits[edits.length - 1]![1] += diff;
}
