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

  /**
   * `replace(pattern, content)`: every match becomes `content`, each new character spanning the last unit of
   * the match (tokenizers inserts them after removing the match). One pass, linear in the text.
   */
  replace(pattern: RegExp, content: string): void {
    pattern.lastIndex = 0;
    if (!pattern.test(this.text)) return;
    pattern.lastIndex = 0;
    let text = "";
    const starts: number[] = [];
    const ends: number[] = [];
    let copied = 0;
    for (const m of this.text.matchAll(pattern)) {
      if (m[0].length === 0) continue;
      const at = m.index;
      text += this.text.slice(copied, at) + content;
      for (let i = copied; i < at; i++) {
        starts.push(this.starts[i]!);
        ends.push(this.ends[i]!);
      }
      const last = at + m[0].length - 1;
      for (let k = 0; k < content.length; k++) {
        starts.push(this.starts[last]!);
        ends.push(this.ends[last]!);
      }
      copied = at + m[0].length;
    }
    text += this.text.slice(copied);
    for (let i = copied; i < this.text.length; i++) {
      starts.push(this.starts[i]!);
      ends.push(this.ends[i]!);
    }
    this.text = text;
    this.starts = starts;
    this.ends = ends;
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
    const text = this.text;
    // Edits are only written from the first change on: `at` is the text position being looked at, and the
    // unchanged characters before the first change are filled in when it happens.
    let at = 0;
    const change = (part: string, norm: string) => {
      if (!modified) {
        modified = true;
        for (const c of text.slice(0, at)) edits.push([c, 0]);
      }
      replaceRun(edits, part, norm);
    };
    const rule = (part: string) => charsmap.firstRule(part);
    const perChar = (segment: string) => {
      for (const c of segment) {
        const norm = rule(c);
        if (norm !== undefined) change(c, norm);
        else if (modified) edits.push([c, 0]);
        at += c.length;
      }
    };
    const grapheme = (segment: string) => {
      if (utf8Length(segment) < 6) {
        const norm = rule(segment);
        if (norm !== undefined) {
          change(segment, norm);
          at += segment.length;
          return;
        }
      }
      perChar(segment);
    };
    // Printable ASCII next to printable ASCII is a grapheme of its own, so only the windows around other
    // characters (with one ASCII character on each side, which they may join) go through Intl.Segmenter.
    // Grapheme rules only look inside such a window (regional-indicator pairs, emoji ZWJ sequences, marks).
    const n = text.length;
    let i = 0;
    while (i < n) {
      const code = text.charCodeAt(i);
      if (isPlainAscii(code) && (i + 1 >= n || isPlainAscii(text.charCodeAt(i + 1)))) {
        const norm = charsmap.asciiRule(code);
        if (norm !== undefined) change(text[i]!, norm);
        else if (modified) edits.push([text[i]!, 0]);
        at++;
        i++;
        continue;
      }
      let end = i + 1;
      while (
        end < n &&
        !(isPlainAscii(text.charCodeAt(end)) && (end + 1 >= n || isPlainAscii(text.charCodeAt(end + 1))))
      )
        end++;
      for (const { segment } of graphemes().segment(text.slice(i, end))) grapheme(segment);
      i = end;
    }
    if (modified) this.transform(edits);
  }
}

/** Printable ASCII (space to tilde): never joins a grapheme with a neighbour (CR LF and controls may). */
function isPlainAscii(c: number): boolean {
  return c >= 0x20 && c < 0x7f;
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
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
