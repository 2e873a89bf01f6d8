// Reads a SentencePiece model file (`spm.model`, the protobuf `sentencepiece.ModelProto`) with a small
// bounded decoder: only the fields tokenization needs are kept, unknown fields are skipped by wire type, and
// every length is checked against the bytes left, so a malformed file is a typed error, never a crash or
// an endless loop.
import { TokenizerError } from "./errors.js";

/** `ModelProto.SentencePiece.Type`. */
export type PieceType = "normal" | "unknown" | "control" | "user_defined" | "unused" | "byte";

const PIECE_TYPES: Record<number, PieceType> = {
  1: "normal",
  2: "unknown",
  3: "control",
  4: "user_defined",
  5: "unused",
  6: "byte",
};

export interface SentencePiece {
  piece: string;
  score: number;
  type: PieceType;
}

/** `NormalizerSpec`, with SentencePiece's defaults for fields the file leaves out. */
export interface NormalizerSpec {
  name: string;
  precompiledCharsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

/** The `TrainerSpec` fields that change how text is encoded. */
export interface TrainerSpec {
  /** 1 unigram, 2 BPE, 3 word, 4 char. */
  modelType: number;
  byteFallback: boolean;
  treatWhitespaceAsSuffix: boolean;
  unkId: number;
}

export interface SentencePieceModel {
  pieces: SentencePiece[];
  trainer: TrainerSpec;
  normalizer: NormalizerSpec;
}

function invalid(file: string, key: string, message: string): TokenizerError {
  return new TokenizerError("TOKENIZER_FILE_INVALID", `${file}: \`${key}\` ${message}`, { file, key });
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A protobuf wire-format cursor over `bytes[pos..end)`; every read is bounds-checked. */
class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    readonly end: number,
    readonly file: string,
    readonly path: string,
    start = 0,
  ) {
    this.pos = start;
  }

  fail(message: string): TokenizerError {
    return invalid(
      this.file,
      this.path,
      `${message} (byte ${this.pos}); the file is not a valid SentencePiece model`,
    );
  }

  varint(): number {
    // Up to 10 bytes; values above 2^53 lose precision, which no field read here can hold legitimately.
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw this.fail("truncated varint");
      const b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw this.fail("varint longer than 10 bytes");
  }

  /** An int32 field: varints of negative values are 10-byte two's complement. */
  int32(): number {
    const v = this.varint();
    return v >= 2 ** 31 ? Number(BigInt.asIntN(32, BigInt(v))) | 0 : v;
  }

  float(): number {
    if (this.pos + 4 > this.end) throw this.fail("truncated float");
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 4);
    this.pos += 4;
    return view.getFloat32(0, true);
  }

  bytesField(): Uint8Array {
    const length = this.varint();
    if (length > this.end - this.pos) throw this.fail(`length ${length} runs past the end of its message`);
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  string(): string {
    const raw = this.bytesField();
    try {
      return utf8.decode(raw);
    } catch {
      throw this.fail("string is not valid UTF-8");
    }
  }

  /** A nested message: a reader over its bytes. */
  message(path: string): Reader {
    const length = this.varint();
    if (length > this.end - this.pos) throw this.fail(`length ${length} runs past the end of its message`);
    const sub = new Reader(this.bytes, this.pos + length, this.file, path, this.pos);
    this.pos += length;
    return sub;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        if (this.pos + 8 > this.end) throw this.fail("truncated fixed64");
        this.pos += 8;
        return;
      case 2:
        this.bytesField();
        return;
      case 5:
        if (this.pos + 4 > this.end) throw this.fail("truncated fixed32");
        this.pos += 4;
        return;
      default:
        throw this.fail(`unsupported wire type ${wireType}`);
    }
  }

  /** Reads tags until the end, handing each (field, wire type) to `onField`, which returns false to skip. */
  fields(onField: (field: number, wireType: number) => boolean): void {
    while (this.pos < this.end) {
      const tag = this.varint();
      const field = Math.floor(tag / 8);
      const wireType = tag % 8;
      if (field === 0) throw this.fail("field number 0");
      if (!onField(field, wireType)) this.skip(wireType);
    }
  }

  expect(wireType: number, actual: number, field: string): void {
    if (wireType !== actual) throw this.fail(`field ${field} has wire type ${actual}, expected ${wireType}`);
  }
}

function readPiece(r: Reader, index: number): SentencePiece {
  let piece: string | undefined;
  let score = 0;
  let typeCode = 1;
  r.fields((field, wire) => {
    if (field === 1) {
      r.expect(2, wire, "piece");
      piece = r.string();
    } else if (field === 2) {
      r.expect(5, wire, "score");
      score = r.float();
    } else if (field === 3) {
      r.expect(0, wire, "type");
      typeCode = r.int32();
    } else return false;
    return true;
  });
  if (piece === undefined) throw invalid(r.file, `pieces[${index}].piece`, "is missing");
  const type = PIECE_TYPES[typeCode];
  if (type === undefined) throw invalid(r.file, `pieces[${index}].type`, `is ${typeCode}, not a piece type`);
  return { piece, score, type };
}

function readTrainer(r: Reader): TrainerSpec {
  const spec: TrainerSpec = { modelType: 1, byteFallback: false, treatWhitespaceAsSuffix: false, unkId: 0 };
  r.fields((field, wire) => {
    if (field === 3) {
      r.expect(0, wire, "model_type");
      spec.modelType = r.int32();
    } else if (field === 35) {
      r.expect(0, wire, "byte_fallback");
      spec.byteFallback = r.varint() !== 0;
    } else if (field === 24) {
      r.expect(0, wire, "treat_whitespace_as_suffix");
      spec.treatWhitespaceAsSuffix = r.varint() !== 0;
    } else if (field === 40) {
      r.expect(0, wire, "unk_id");
      spec.unkId = r.int32();
    } else return false;
    return true;
  });
  return spec;
}

function readNormalizer(r: Reader): NormalizerSpec {
  const spec: NormalizerSpec = {
    name: "",
    precompiledCharsmap: new Uint8Array(0),
    addDummyPrefix: true,
    removeExtraWhitespaces: true,
    escapeWhitespaces: true,
  };
  r.fields((field, wire) => {
    if (field === 1) {
      r.expect(2, wire, "name");
      spec.name = r.string();
    } else if (field === 2) {
      r.expect(2, wire, "precompiled_charsmap");
      spec.precompiledCharsmap = r.bytesField();
    } else if (field === 3) {
      r.expect(0, wire, "add_dummy_prefix");
      spec.addDummyPrefix = r.varint() !== 0;
    } else if (field === 4) {
      r.expect(0, wire, "remove_extra_whitespaces");
      spec.removeExtraWhitespaces = r.varint() !== 0;
    } else if (field === 5) {
      r.expect(0, wire, "escape_whitespaces");
      spec.escapeWhitespaces = r.varint() !== 0;
    } else return false;
    return true;
  });
  return spec;
}

/**
 * Parses the bytes of a SentencePiece model file. Throws a `TokenizerError` (`TOKENIZER_FILE_INVALID`,
 * naming the file and field) for malformed bytes, and `TOKENIZER_UNSUPPORTED` for models other than
 * Unigram.
 *
 * @example
 * ```ts
 * const model = parseSentencePieceModel(await readFile("spm.model"), "spm.model");
 * model.pieces[5]; // { piece: "▁the", score: -3.2, type: "normal" }
 * ```
 */
export function parseSentencePieceModel(bytes: Uint8Array, file = "spm.model"): SentencePieceModel {
  const root = new Reader(bytes, bytes.length, file, "ModelProto");
  const pieces: SentencePiece[] = [];
  let trainer: TrainerSpec | undefined;
  let normalizer: NormalizerSpec | undefined;
  root.fields((field, wire) => {
    if (field === 1) {
      root.expect(2, wire, "pieces");
      pieces.push(readPiece(root.message(`pieces[${pieces.length}]`), pieces.length));
    } else if (field === 2) {
      root.expect(2, wire, "trainer_spec");
      trainer = readTrainer(root.message("trainer_spec"));
    } else if (field === 3) {
      root.expect(2, wire, "normalizer_spec");
      normalizer = readNormalizer(root.message("normalizer_spec"));
    } else return false;
    return true;
  });
  if (pieces.length === 0) throw invalid(file, "pieces", "is empty: the file is not a SentencePiece model");
  trainer ??= readTrainer(new Reader(bytes, 0, file, "trainer_spec"));
  normalizer ??= readNormalizer(new Reader(bytes, 0, file, "normalizer_spec"));
  if (trainer.modelType !== 1) {
    throw new TokenizerError(
      "TOKENIZER_UNSUPPORTED",
      `${file}: \`trainer_spec.model_type\` is ${trainer.modelType}; only Unigram (1) models are implemented`,
      { file, key: "trainer_spec.model_type" },
    );
  }
  const seen = new Set<string>();
  let unk = -1;
  pieces.forEach((p, i) => {
    if (seen.has(p.piece)) throw invalid(file, `pieces[${i}].piece`, `repeats "${p.piece}"`);
    seen.add(p.piece);
    if (p.type === "unknown") {
      if (unk !== -1) throw invalid(file, `pieces[${i}].type`, "is a second unknown piece");
      unk = i;
    }
    if (!Number.isFinite(p.score)) throw invalid(file, `pieces[${i}].score`, `is ${p.score}`);
  });
  if (unk === -1) throw invalid(file, "pieces", "has no piece of type UNKNOWN");
  if (trainer.unkId !== unk) {
    throw invalid(file, "trainer_spec.unk_id", `is ${trainer.unkId} but the UNKNOWN piece is ${unk}`);
  }
  return { pieces, trainer, normalizer };
}
