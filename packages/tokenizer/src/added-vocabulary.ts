/** A token that is matched in the raw text before BPE, with Hugging Face tokenizers' `AddedToken` flags. */
export interface AddedToken {
  id: number;
  content: string;
  /** Only match when not glued to word characters on either side. */
  single_word: boolean;
  /** Absorb the whitespace to the left of the match. */
  lstrip: boolean;
  /** Absorb the whitespace to the right of the match. */
  rstrip: boolean;
  /** Matched on normalised text (a second pass) rather than on the raw text. */
  normalized: boolean;
  special: boolean;
}

/** A piece of the input: either an added token (with its id) or text for the pre-tokenizer and BPE. */
export interface Segment {
  start: number;
  end: number;
  /** Set when the segment is an added token. */
  id?: number;
}

const WHITESPACE = /\p{White_Space}/u;
const WORD_CHAR = /[\p{L}\p{N}_]/u;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Alternation sorted longest first: JavaScript picks the first alternative, so this is leftmost-longest. */
function buildMatcher(tokens: readonly AddedToken[]): RegExp | undefined {
  if (tokens.length === 0) return undefined;
  const sorted = [...tokens].sort((a, b) => b.content.length - a.content.length);
  return new RegExp(sorted.map((t) => escapeRegExp(t.content)).join("|"), "gu");
}

function charBefore(text: string, index: number): string | undefined {
  if (index <= 0) return undefined;
  const cp = text.codePointAt(index - 1)!;
  if (cp >= 0xdc00 && cp <= 0xdfff && index >= 2) return String.fromCodePoint(text.codePointAt(index - 2)!);
  return String.fromCodePoint(cp);
}

function charAt(text: string, index: number): string | undefined {
  if (index >= text.length) return undefined;
  return String.fromCodePoint(text.codePointAt(index)!);
}

/**
 * Splits text on added tokens the way tokenizers' `AddedVocabulary` does: raw-text tokens first, then
 * normalised ones inside what is left (this package supports no normaliser, so normalised text is the
 * raw text), each pass taking leftmost-longest matches and applying single_word / lstrip / rstrip.
 */
export class AddedVocabulary {
  readonly tokens: readonly AddedToken[];
  private readonly byContent = new Map<string, AddedToken>();
  private readonly rawMatcher: RegExp | undefined;
  private readonly normalizedMatcher: RegExp | undefined;

  constructor(tokens: readonly AddedToken[]) {
    this.tokens = tokens;
    for (const token of tokens) this.byContent.set(token.content, token);
    this.rawMatcher = buildMatcher(tokens.filter((t) => !t.normalized && t.content.length > 0));
    this.normalizedMatcher = buildMatcher(tokens.filter((t) => t.normalized && t.content.length > 0));
  }

  get(content: string): AddedToken | undefined {
    return this.byContent.get(content);
  }

  split(text: string): Segment[] {
    const first = this.splitWith(text, 0, text.length, this.rawMatcher);
    if (this.normalizedMatcher === undefined) return first;
    const out: Segment[] = [];
    for (const segment of first) {
      if (segment.id !== undefined) out.push(segment);
      else out.push(...this.splitWith(text, segment.start, segment.end, this.normalizedMatcher));
    }
    return out;
  }

  private splitWith(text: string, from: number, to: number, matcher: RegExp | undefined): Segment[] {
    if (matcher === undefined || from === to) return [{ start: from, end: to }];
    const window = from === 0 && to === text.length ? text : text.slice(from, to);
    const out: Segment[] = [];
    let cursor = 0;
    matcher.lastIndex = 0;
    for (let m = matcher.exec(window); m !== null; m = matcher.exec(window)) {
      const token = this.byContent.get(m[0])!;
      let start = m.index;
      let stop = start + m[0].length;
      if (start < cursor) continue;
      if (token.single_word) {
        const before = charBefore(window, start);
        const after = charAt(window, stop);
        if (
          (before !== undefined && WORD_CHAR.test(before)) ||
          (after !== undefined && WORD_CHAR.test(after))
        ) {
          continue;
        }
      }
      if (token.lstrip) {
        while (start > cursor) {
          const before = charBefore(window, start)!;
          if (!WHITESPACE.test(before)) break;
          start -= before.length;
        }
      }
      if (token.rstrip) {
        while (stop < window.length) {
          const after = charAt(window, stop)!;
          if (!WHITESPACE.test(after)) break;
          stop += after.length;
        }
        matcher.lastIndex = stop;
      }
      if (start > cursor) out.push({ start: from + cursor, end: from + start });
      out.push({ start: from + start, end: from + stop, id: token.id });
      cursor = stop;
    }
    if (cursor < window.length) out.push({ start: from + cursor, end: to });
    return out;
  }
}
