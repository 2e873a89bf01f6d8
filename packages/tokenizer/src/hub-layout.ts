import type { AddedToken } from "./added-vocabulary.js";
import { BpeModel } from "./bpe.js";
import type { PostProcessorSpec } from "./post-processor.js";
import type { SpecialTokenKey, SpecialTokenSpec, TokenizerConfig } from "./tokenizer-config.js";
import type { TokenizerSpec } from "./tokenizer-json.js";

/** The special tokens of the original DeBERTa tokenizer; `[MASK]` absorbs the whitespace before it. */
export const DEBERTA_SPECIAL_TOKENS: Record<SpecialTokenKey, SpecialTokenSpec> = {
  bos_token: { content: "[CLS]" },
  eos_token: { content: "[SEP]" },
  unk_token: { content: "[UNK]" },
  sep_token: { content: "[SEP]" },
  pad_token: { content: "[PAD]" },
  cls_token: { content: "[CLS]" },
  mask_token: { content: "[MASK]", lstrip: true },
};

/** Parses `merges.txt`: an optional `#version` line, then one "left right" merge per line. */
export function parseMergesText(text: string): [string, string][] {
  const merges: [string, string][] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    const trimmed = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (trimmed.length === 0 || (i === 0 && trimmed.startsWith("#version"))) return;
    const space = trimmed.indexOf(" ", 1);
    if (space > 0) merges.push([trimmed.slice(0, space), trimmed.slice(space + 1)]);
  });
  return merges;
}

/**
 * Builds the tokenizer that `vocab.json` + `merges.txt` describe with the semantics of the original
 * DeBERTa code (and of transformers 4.x): `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]` with token type
 * ids 0 for the first part and 1 for `B [SEP]`, and `[MASK]` with lstrip.
 */
export function buildHubLayoutSpec(
  vocab: Map<string, number>,
  merges: [string, string][],
  config: TokenizerConfig,
  file: string,
): TokenizerSpec {
  const specials = { ...DEBERTA_SPECIAL_TOKENS, ...config.specialTokens };
  // The config's mask token keeps DeBERTa's lstrip unless the config spells the flag out.
  if (config.specialTokens.mask_token !== undefined && config.specialTokens.mask_token.lstrip === undefined) {
    specials.mask_token = { ...config.specialTokens.mask_token, lstrip: true };
  }
  let nextId = 0;
  for (const id of vocab.values()) if (id >= nextId) nextId = id + 1;
  const added = new Map<string, AddedToken>();
  for (const spec of Object.values(specials)) {
    if (added.has(spec.content)) continue;
    const id = vocab.get(spec.content) ?? nextId++;
    added.set(spec.content, {
      id,
      content: spec.content,
      single_word: spec.single_word ?? false,
      lstrip: spec.lstrip ?? false,
      rstrip: spec.rstrip ?? false,
      normalized: false,
      special: true,
    });
  }
  // transformers' slow DebertaTokenizer maps every BPE token the vocabulary lacks to the unk token, one per
  // unknown byte-level symbol (its merges cannot join symbols that are not in the vocabulary).
  const unk = specials.unk_token.content;
  const model = new BpeModel(vocab, merges, { unkToken: unk, unkId: added.get(unk)!.id, file });
  const cls = specials.cls_token.content;
  const sep = specials.sep_token.content;
  const postProcessor: PostProcessorSpec = {
    single: [
      { kind: "special", name: cls, typeId: 0 },
      { kind: "sequence", sequence: 0, typeId: 0 },
      { kind: "special", name: sep, typeId: 0 },
    ],
    pair: [
      { kind: "special", name: cls, typeId: 0 },
      { kind: "sequence", sequence: 0, typeId: 0 },
      { kind: "special", name: sep, typeId: 0 },
      { kind: "sequence", sequence: 1, typeId: 1 },
      { kind: "special", name: sep, typeId: 1 },
    ],
    specialTokens: new Map([
      [cls, { ids: [added.get(cls)!.id] }],
      [sep, { ids: [added.get(sep)!.id] }],
    ]),
    trimOffsets: false,
    addPrefixSpace: config.add_prefix_space ?? false,
    zeroTypeIds: false,
  };
  return {
    model,
    addedTokens: [...added.values()],
    preTokenizer: { addPrefixSpace: config.add_prefix_space ?? false, useRegex: true },
    postProcessor,
    byteLevelDecoder: true,
  };
}
