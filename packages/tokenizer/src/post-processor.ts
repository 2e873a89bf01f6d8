import { CHAR_TO_BYTE } from "./byte-level.js";
import { concatEncodings, type Encoding, specialEncoding, withTypeId } from "./encoding.js";

/** A template piece: a special token (by name, resolved to ids) or one of the two input sequences. */
export type TemplatePiece =
  | { kind: "special"; name: string; typeId: number }
  | { kind: "sequence"; sequence: 0 | 1; typeId: number };

export interface SpecialTokenIds {
  ids: number[];
}

/**
 * What a post-processor does, reduced to data: templates for one and two sequences, the ids of the special
 * tokens they name, whether offsets are trimmed of spaces (ByteLevel / RobertaProcessing `trim_offsets`)
 * and whether all type ids are forced to 0 (RobertaProcessing).
 */
export interface PostProcessorSpec {
  single: TemplatePiece[];
  pair: TemplatePiece[];
  specialTokens: Map<string, SpecialTokenIds>;
  trimOffsets: boolean;
  addPrefixSpace: boolean;
  zeroTypeIds: boolean;
}

export function addedTokenCount(spec: PostProcessorSpec, isPair: boolean): number {
  let n = 0;
  for (const piece of isPair ? spec.pair : spec.single) {
    if (piece.kind === "special") n += spec.specialTokens.get(piece.name)?.ids.length ?? 0;
  }
  return n;
}

const SPACE_CHAR = "\u0120";

/**
 * tokenizers' `process_offsets`: drop the spaces a byte-level token starts or ends with from its span,
 * except the one space `add_prefix_space` put in front of the first token.
 */
function trimOffsets(e: Encoding, tokens: readonly string[], addPrefixSpace: boolean): void {
  for (let i = 0; i < e.ids.length; i++) {
    const token = tokens[i] ?? "";
    let leading = 0;
    while (leading < token.length && isSpaceChar(token[leading]!)) leading++;
    let trailing = 0;
    while (trailing < token.length && isSpaceChar(token[token.length - 1 - trailing]!)) trailing++;
    if (leading > 0) {
      const isFirst = i === 0 || e.starts[i] === 0;
      if (isFirst && addPrefixSpace && leading === 1) leading = 0;
      e.starts[i] = Math.min(e.starts[i]! + leading, e.ends[i]!);
    }
    if (trailing > 0 && e.ends[i]! >= trailing) e.ends[i] = Math.max(e.ends[i]! - trailing, e.starts[i]!);
  }
}

function isSpaceChar(ch: string): boolean {
  return ch === SPACE_CHAR || (CHAR_TO_BYTE.get(ch) === undefined && /\p{White_Space}/u.test(ch));
}

function applyTemplate(
  spec: PostProcessorSpec,
  a: Encoding,
  b: Encoding | undefined,
  addSpecialTokens: boolean,
): Encoding {
  const template = b === undefined ? spec.single : spec.pair;
  const parts: Encoding[] = [];
  for (const piece of template) {
    if (piece.kind === "sequence") {
      const source = piece.sequence === 0 ? a : b;
      if (source !== undefined) parts.push(withTypeId(source, spec.zeroTypeIds ? 0 : piece.typeId));
    } else if (addSpecialTokens) {
      const ids = spec.specialTokens.get(piece.name)?.ids ?? [];
      parts.push(specialEncoding(ids, spec.zeroTypeIds ? 0 : piece.typeId));
    }
  }
  return concatEncodings(parts);
}

/**
 * Adds special tokens around one sequence or a pair. Overflowing windows are combined as tokenizers does:
 * each window of the first sequence with the (truncated) second, then with each of its windows, then the
 * first sequence with each window of the second.
 */
export function postProcess(
  spec: PostProcessorSpec,
  a: Encoding,
  b: Encoding | undefined,
  addSpecialTokens: boolean,
  idToToken: (id: number) => string,
): Encoding {
  if (spec.trimOffsets) {
    for (const e of [a, ...a.overflowing, ...(b === undefined ? [] : [b, ...b.overflowing])]) {
      trimOffsets(e, e.ids.map(idToToken), spec.addPrefixSpace);
    }
  }
  const main = applyTemplate(spec, a, b, addSpecialTokens);
  const overflowing: Encoding[] = [];
  for (const ao of a.overflowing) {
    overflowing.push(applyTemplate(spec, ao, b, addSpecialTokens));
    for (const bo of b?.overflowing ?? []) overflowing.push(applyTemplate(spec, ao, bo, addSpecialTokens));
  }
  if (b !== undefined) {
    for (const bo of b.overflowing) overflowing.push(applyTemplate(spec, a, bo, addSpecialTokens));
  }
  main.overflowing = overflowing;
  return main;
}
