// Which DeBERTa tokenizer a folder holds, decided as transformers' AutoTokenizer decides it (the
// tokenizer_config.json class first, then config.json's model_type), with the files themselves as the last
// word for tokenizer folders that have neither (a fixture's tokenizer folder, a hand-made one).
import { DebertaTokenizer, type DebertaTokenizerOptions } from "./deberta-tokenizer.js";
import {
  DEBERTA_V2_TOKENIZER_BRAND,
  DebertaV2Tokenizer,
  type DebertaV2TokenizerOptions,
} from "./deberta-v2-tokenizer.js";
import { TokenizerError } from "./errors.js";
import { joinLocation, parseJsonFile, readBinaryFile, readTextFile } from "./load.js";

/** Either DeBERTa tokenizer: byte-level BPE (v1) or SentencePiece Unigram (v2, v3, mDeBERTa-v3). */
export type AnyDebertaTokenizer = DebertaTokenizer | DebertaV2Tokenizer;

/** The tokenizer a folder needs, named by the `model_type` it goes with. */
export type DebertaTokenizerKind = "deberta" | "deberta-v2";

/** Options of {@link loadDebertaTokenizer}: those of either class (each takes the ones it knows). */
export type AnyDebertaTokenizerOptions = DebertaTokenizerOptions & DebertaV2TokenizerOptions;

/** What a folder says about its tokenizer; every field is optional (absent: the folder has no such file). */
export interface TokenizerFolderFacts {
  /** `tokenizer_config.json`, parsed. */
  readonly tokenizerConfig?: unknown;
  /** `config.json`, parsed. */
  readonly modelConfig?: unknown;
  /** `tokenizer.json`, parsed. */
  readonly tokenizerJson?: unknown;
  /** Whether the folder has `spm.model`. */
  readonly hasSpmModel?: boolean;
  /** Whether the folder has `vocab.json` and `merges.txt`. */
  readonly hasVocabAndMerges?: boolean;
}

const CLASS_KINDS: Readonly<Record<string, DebertaTokenizerKind>> = {
  DebertaTokenizer: "deberta",
  DebertaTokenizerFast: "deberta",
  DebertaV2Tokenizer: "deberta-v2",
  DebertaV2TokenizerFast: "deberta-v2",
};

const MODEL_TYPE_KINDS: Readonly<Record<string, DebertaTokenizerKind>> = {
  deberta: "deberta",
  "deberta-v2": "deberta-v2",
};

const TOKENIZER_JSON_KINDS: Readonly<Record<string, DebertaTokenizerKind>> = {
  BPE: "deberta",
  Unigram: "deberta-v2",
};

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function lookup(table: Readonly<Record<string, DebertaTokenizerKind>>, value: unknown) {
  return typeof value === "string" && Object.hasOwn(table, value) ? table[value] : undefined;
}

/**
 * The tokenizer a folder needs, first rule that decides:
 * 1. `tokenizer_config.json`'s `tokenizer_class` (`DebertaV2Tokenizer[Fast]` or `DebertaTokenizer[Fast]`);
 * 2. `config.json`'s `model_type` (`"deberta-v2"` or `"deberta"`);
 * 3. `tokenizer.json`'s `model.type` (`Unigram`: v2, `BPE`: v1);
 * 4. `spm.model` (v2), else `vocab.json` + `merges.txt` (v1).
 * Values the rules do not know (another tokenizer class, another model type) leave the decision to the
 * next rule. `undefined` when no rule decides (no tokenizer files at all).
 *
 * @example
 * ```ts
 * debertaTokenizerKind({ modelConfig: { model_type: "deberta-v2" } }); // "deberta-v2"
 * debertaTokenizerKind({ hasSpmModel: true }); // "deberta-v2"
 * ```
 */
export function debertaTokenizerKind(facts: TokenizerFolderFacts): DebertaTokenizerKind | undefined {
  return (
    lookup(CLASS_KINDS, field(facts.tokenizerConfig, "tokenizer_class")) ??
    lookup(MODEL_TYPE_KINDS, field(facts.modelConfig, "model_type")) ??
    lookup(TOKENIZER_JSON_KINDS, field(field(facts.tokenizerJson, "model"), "type")) ??
    (facts.hasSpmModel ? "deberta-v2" : facts.hasVocabAndMerges ? "deberta" : undefined)
  );
}

async function readJson(location: string, name: string): Promise<unknown> {
  const file = joinLocation(location, name);
  const text = await readTextFile(file);
  return text === undefined ? undefined : parseJsonFile(text, file);
}

async function exists(location: string, name: string): Promise<boolean> {
  return (await readBinaryFile(joinLocation(location, name))) !== undefined;
}

/**
 * Reads only as much of a folder (path or URL) as {@link debertaTokenizerKind} needs to decide, rule by
 * rule: a folder with `config.json` is never asked for `tokenizer.json`, `spm.model` or the BPE files here.
 */
export async function detectDebertaTokenizerKind(
  location: string,
): Promise<DebertaTokenizerKind | undefined> {
  const tokenizerConfig = await readJson(location, "tokenizer_config.json");
  const modelConfig = await readJson(location, "config.json");
  const decided = debertaTokenizerKind({ tokenizerConfig, modelConfig });
  if (decided !== undefined) return decided;
  const tokenizerJson = await readJson(location, "tokenizer.json");
  if (tokenizerJson !== undefined) return debertaTokenizerKind({ tokenizerJson });
  if (await exists(location, "spm.model")) return "deberta-v2";
  const [vocab, merges] = await Promise.all([exists(location, "vocab.json"), exists(location, "merges.txt")]);
  return debertaTokenizerKind({ hasVocabAndMerges: vocab && merges });
}

/**
 * Loads the DeBERTa tokenizer of a folder or URL, whichever it is ({@link debertaTokenizerKind}):
 * `DebertaV2Tokenizer.from_pretrained` for DeBERTa-v2 / v3 / mDeBERTa-v3, `DebertaTokenizer.from_pretrained`
 * for DeBERTa v1.
 *
 * @throws {@link TokenizerError} `TOKENIZER_FILE_MISSING` naming the folder when it holds no tokenizer
 * files, and the errors of the class chosen (a file named, malformed, ...).
 *
 * @example
 * ```ts
 * import { loadDebertaTokenizer } from "@deberta/tokenizer";
 *
 * const tokenizer = await loadDebertaTokenizer("./mdeberta-v3-base"); // a DebertaV2Tokenizer
 * tokenizer("Hello world").input_ids;
 * ```
 */
export async function loadDebertaTokenizer(
  location: string,
  options: AnyDebertaTokenizerOptions = {},
): Promise<AnyDebertaTokenizer> {
  const kind = await detectDebertaTokenizerKind(location);
  if (kind === undefined) {
    throw new TokenizerError(
      "TOKENIZER_FILE_MISSING",
      `${location} holds no tokenizer: none of tokenizer.json, spm.model, vocab.json + merges.txt, and no config.json model_type or tokenizer_config.json tokenizer_class to say which`,
      { file: location },
    );
  }
  return kind === "deberta-v2"
    ? DebertaV2Tokenizer.from_pretrained(location, options)
    : DebertaTokenizer.from_pretrained(location, options);
}

/**
 * Whether `value` is a {@link DebertaV2Tokenizer}, also one made by another copy of this package (its ESM
 * and CommonJS builds side by side), where `instanceof` says no.
 */
export function isDebertaV2Tokenizer(value: unknown): value is DebertaV2Tokenizer {
  return (
    value instanceof DebertaV2Tokenizer ||
    (typeof value === "function" &&
      (value as unknown as Record<symbol, unknown>)[DEBERTA_V2_TOKENIZER_BRAND] === true)
  );
}
