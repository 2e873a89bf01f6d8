import { BYTE_TO_CHAR } from "./byte-level.js";
import { TokenizerError } from "./errors.js";

/** One pre-token after BPE: token ids and each token's UTF-16 span relative to the pre-token. */
export interface WordPieces {
  readonly ids: Int32Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

export interface BpeOptions {
  /**
   * Token for bytes that are missing from the vocabulary; `null` drops them, as tokenizers does. A token
   * that is not in the vocabulary either makes encoding such a byte fail (tokenizers'
   * `UnkTokenOutOfVocabulary`), unless `unkId` says which id it has.
   */
  unkToken?: string | null;
  /** The unk token's id when it lives outside `vocab` (an added token of the Hub layout). */
  unkId?: number;
  /** Consecutive unknown bytes become one unk token (tokenizers' `fuse_unk`). */
  fuseUnk?: boolean;
  /** A pre-token that is itself in the vocabulary becomes that one token without merging (tokenizers). */
  ignoreMerges?: boolean;
  /** Source named in error messages. */
  file?: string;
}

/**
 * The largest token id accepted. Ids index a dense id-to-token table and are packed in pairs into one
 * double (a * (maxId + 1) + b), so they must stay far below 2^26; real vocabularies have under 2^20.
 */
export const MAX_TOKEN_ID = 2 ** 24 - 1;

/** Words longer than this many bytes use the heap merge; shorter ones the cheaper quadratic scan. */
const HEAP_THRESHOLD = 48;
/** Bounded so that a stream of unique words cannot grow memory without limit. */
const CACHE_LIMIT = 50_000;
/** Long pre-tokens (whitespace runs, minified code) are rarely repeated; caching them only costs memory. */
const CACHE_MAX_WORD_LENGTH = 64;

/**
 * Byte-level byte-pair encoding: a pre-token's UTF-8 bytes start as single-byte symbols and the
 * lowest-ranked adjacent pair (leftmost on ties) is merged until no pair has a merge rule, which is the
 * algorithm of Hugging Face tokenizers' `BPE` model and of tiktoken.
 */
export class BpeModel {
  readonly vocab: ReadonlyMap<string, number>;
  readonly idToToken: readonly (string | undefined)[];
  private readonly pairKeyStride: number;
  private readonly mergeRank = new Map<number, number>();
  private readonly mergeResult: Int32Array;
  private readonly byteIds = new Int32Array(256);
  private readonly unkId: number;
  /** Set when the unk token is named but has no id: the first unknown byte is then an error. */
  private readonly missingUnk: string | undefined;
  private readonly file: string | undefined;
  private readonly fuseUnk: boolean;
  private readonly ignoreMerges: boolean;
  private readonly cache = new Map<string, WordPieces>();

  // Scratch buffers reused across words; grown on demand.
  private bytes = new Uint8Array(256);
  private byteCharStart = new Int32Array(256);
  private byteCharEnd = new Int32Array(256);

  constructor(
    vocab: Map<string, number>,
    merges: readonly (readonly [string, string])[],
    options: BpeOptions = {},
  ) {
    this.vocab = vocab;
    let maxId = -1;
    for (const [token, id] of vocab) {
      if (!Number.isInteger(id) || id < 0 || id > MAX_TOKEN_ID) {
        throw new TokenizerError(
          "TOKENIZER_FILE_INVALID",
          `${options.file ?? "BPE model"}: token "${token}" has id ${id}, which is not an integer in [0, ${MAX_TOKEN_ID}]`,
          { ...(options.file === undefined ? {} : { file: options.file }), key: "model.vocab" },
        );
      }
      if (id > maxId) maxId = id;
    }
    const idToToken: (string | undefined)[] = new Array(maxId + 1);
    for (const [token, id] of vocab) idToToken[id] = token;
    this.idToToken = idToToken;
    this.pairKeyStride = maxId + 1;

    this.mergeResult = new Int32Array(merges.length);
    merges.forEach(([left, right], rank) => {
      const a = vocab.get(left);
      const b = vocab.get(right);
      const merged = vocab.get(left + right);
      if (a === undefined || b === undefined || merged === undefined) {
        const missing = a === undefined ? left : b === undefined ? right : left + right;
        throw new TokenizerError(
          "TOKENIZER_FILE_INVALID",
          `${options.file ?? "BPE model"}: merge #${rank} "${left} ${right}" uses "${missing}", which is not in the vocabulary`,
          { ...(options.file === undefined ? {} : { file: options.file }), key: "model.merges" },
        );
      }
      const key = a * this.pairKeyStride + b;
      // The first (lowest-ranked) occurrence of a duplicated merge wins, as in tokenizers.
      if (!this.mergeRank.has(key)) {
        this.mergeRank.set(key, rank);
        this.mergeResult[rank] = merged;
      }
    });

    for (let b = 0; b < 256; b++) this.byteIds[b] = vocab.get(BYTE_TO_CHAR[b]!) ?? -1;
    const unk = options.unkToken;
    this.unkId = unk === null || unk === undefined ? -1 : (vocab.get(unk) ?? options.unkId ?? -1);
    this.missingUnk = unk !== null && unk !== undefined && this.unkId < 0 ? unk : undefined;
    this.file = options.file;
    this.fuseUnk = options.fuseUnk ?? false;
    this.ignoreMerges = options.ignoreMerges ?? false;
  }

  get vocabSize(): number {
    return this.idToToken.length;
  }

  /** Encodes one pre-token (a regex piece of the input, not yet byte-mapped). */
  tokenizeWord(word: string): WordPieces {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    const pieces = this.encodeUncached(word);
    if (word.length <= CACHE_MAX_WORD_LENGTH) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(word, pieces);
    }
    return pieces;
  }

  private encodeUncached(word: string): WordPieces {
    const byteCount = this.toUtf8(word);
    if (this.ignoreMerges) {
      let mapped = "";
      for (let i = 0; i < byteCount; i++) mapped += BYTE_TO_CHAR[this.bytes[i]!];
      const whole = this.vocab.get(mapped);
      if (whole !== undefined) {
        return { ids: Int32Array.of(whole), starts: Int32Array.of(0), ends: Int32Array.of(word.length) };
      }
    }
    const symIds = new Int32Array(byteCount);
    const symStart = new Int32Array(byteCount);
    const symEnd = new Int32Array(byteCount);
    let n = 0;
    const bytes = this.bytes;
    for (let i = 0; i < byteCount; i++) {
      const id = this.byteIds[bytes[i]!]!;
      if (id >= 0) {
        symIds[n] = id;
        symStart[n] = i;
        symEnd[n] = i + 1;
        n++;
      } else if (this.missingUnk !== undefined) {
        throw this.unkOutOfVocabulary(bytes[i]!);
      } else if (this.unkId >= 0) {
        if (this.fuseUnk && n > 0 && symIds[n - 1] === this.unkId) {
          symEnd[n - 1] = i + 1;
        } else {
          symIds[n] = this.unkId;
          symStart[n] = i;
          symEnd[n] = i + 1;
          n++;
        }
      }
    }
    const count =
      n <= HEAP_THRESHOLD
        ? this.mergeByScan(symIds, symStart, symEnd, n)
        : this.mergeByHeap(symIds, symStart, symEnd, n);
    const ids = new Int32Array(count);
    const starts = new Int32Array(count);
    const ends = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      ids[i] = symIds[i]!;
      starts[i] = this.byteCharStart[symStart[i]!]!;
      ends[i] = this.byteCharEnd[symEnd[i]! - 1]!;
    }
    return { ids, starts, ends };
  }

  private unkOutOfVocabulary(byte: number): TokenizerError {
    const where = this.file ?? "BPE model";
    return new TokenizerError(
      "TOKENIZER_FILE_INVALID",
      `${where}: \`model.unk_token\` "${this.missingUnk}" is not in the vocabulary, so byte 0x${byte
        .toString(16)
        .padStart(2, "0")}, which the vocabulary lacks, cannot be encoded`,
      { ...(this.file === undefined ? {} : { file: this.file }), key: "model.unk_token" },
    );
  }

  /** Quadratic in the symbol count but allocation-free: the common case of short words. */
  private mergeByScan(ids: Int32Array, starts: Int32Array, ends: Int32Array, n: number): number {
    const stride = this.pairKeyStride;
    const ranks = this.mergeRank;
    while (n > 1) {
      let bestRank = Number.MAX_SAFE_INTEGER;
      let bestAt = -1;
      for (let i = 0; i < n - 1; i++) {
        const rank = ranks.get(ids[i]! * stride + ids[i + 1]!);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          bestAt = i;
        }
      }
      if (bestAt < 0) break;
      ids[bestAt] = this.mergeResult[bestRank]!;
      ends[bestAt] = ends[bestAt + 1]!;
      ids.copyWithin(bestAt + 1, bestAt + 2, n);
      starts.copyWithin(bestAt + 1, bestAt + 2, n);
      ends.copyWithin(bestAt + 1, bestAt + 2, n);
      n--;
    }
    return n;
  }

  /**
   * O(n log n) merge for long words (a 1 MiB run without spaces must stay linear-ish): a min-heap of
   * candidate pairs keyed by (rank, position) over a linked list of symbols; stale entries are skipped.
   */
  private mergeByHeap(ids: Int32Array, starts: Int32Array, ends: Int32Array, n: number): number {
    const stride = this.pairKeyStride;
    const ranks = this.mergeRank;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    // Keys pack rank and position into one double: rank * 2^26 + position (positions < 64 Mi symbols).
    const POS = 67108864;
    const heap: number[] = [];
    const push = (key: number) => {
      let i = heap.length;
      heap.push(key);
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (heap[parent]! <= key) break;
        heap[i] = heap[parent]!;
        i = parent;
      }
      heap[i] = key;
    };
    const pop = (): number => {
      const top = heap[0]!;
      const last = heap.pop()!;
      if (heap.length > 0) {
        let i = 0;
        const size = heap.length;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= size) break;
          const r = l + 1;
          const c = r < size && heap[r]! < heap[l]! ? r : l;
          if (heap[c]! >= last) break;
          heap[i] = heap[c]!;
          i = c;
        }
        heap[i] = last;
      }
      return top;
    };
    const consider = (i: number) => {
      const j = next[i]!;
      if (i < 0 || j < 0) return;
      const rank = ranks.get(ids[i]! * stride + ids[j]!);
      if (rank !== undefined) push(rank * POS + i);
    };
    for (let i = 0; i < n - 1; i++) consider(i);
    const alive = new Uint8Array(n).fill(1);
    while (heap.length > 0) {
      const key = pop();
      const rank = Math.floor(key / POS);
      const i = key - rank * POS;
      const j = next[i]!;
      if (!alive[i] || j < 0) continue;
      if (ranks.get(ids[i]! * stride + ids[j]!) !== rank) continue;
      ids[i] = this.mergeResult[rank]!;
      ends[i] = ends[j]!;
      alive[j] = 0;
      const k = next[j]!;
      next[i] = k;
      if (k >= 0) prev[k] = i;
      if (prev[i]! >= 0) consider(prev[i]!);
      consider(i);
    }
    let count = 0;
    for (let i = 0; i >= 0 && i < n; i = next[i]!) {
      ids[count] = ids[i]!;
      starts[count] = starts[i]!;
      ends[count] = ends[i]!;
      count++;
    }
    return count;
  }

  /**
   * Writes `word` as UTF-8 into the scratch buffer and records, for each byte, the UTF-16 span of the
   * character it came from. Lone surrogates become U+FFFD, as TextEncoder does.
   */
  private toUtf8(word: string): number {
    const max = word.length * 3;
    if (this.bytes.length < max) {
      this.bytes = new Uint8Array(max);
      this.byteCharStart = new Int32Array(max);
      this.byteCharEnd = new Int32Array(max);
    }
    const bytes = this.bytes;
    const cs = this.byteCharStart;
    const ce = this.byteCharEnd;
    let p = 0;
    for (let i = 0; i < word.length; i++) {
      let c = word.charCodeAt(i);
      const start = i;
      if (c < 0x80) {
        bytes[p] = c;
        cs[p] = start;
        ce[p] = start + 1;
        p++;
        continue;
      }
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < word.length) {
        const low = word.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      const end = i + 1;
      if (c < 0x800) {
        bytes[p] = 0xc0 | (c >> 6);
        bytes[p + 1] = 0x80 | (c & 0x3f);
        cs[p] = cs[p + 1] = start;
        ce[p] = ce[p + 1] = end;
        p += 2;
      } else if (c < 0x10000) {
        bytes[p] = 0xe0 | (c >> 12);
        bytes[p + 1] = 0x80 | ((c >> 6) & 0x3f);
        bytes[p + 2] = 0x80 | (c & 0x3f);
        cs[p] = cs[p + 1] = cs[p + 2] = start;
        ce[p] = ce[p + 1] = ce[p + 2] = end;
        p += 3;
      } else {
        bytes[p] = 0xf0 | (c >> 18);
        bytes[p + 1] = 0x80 | ((c >> 12) & 0x3f);
        bytes[p + 2] = 0x80 | ((c >> 6) & 0x3f);
        bytes[p + 3] = 0x80 | (c & 0x3f);
        cs[p] = cs[p + 1] = cs[p + 2] = cs[p + 3] = start;
        ce[p] = ce[p + 1] = ce[p + 2] = ce[p + 3] = end;
        p += 4;
      }
    }
    return p;
  }
}
