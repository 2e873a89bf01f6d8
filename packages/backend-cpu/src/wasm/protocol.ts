// Layout of the control block shared by the calling thread and the GEMM workers. It is sent to each
// worker in its init message, so src/wasm/gemm-worker.js holds no copy of these numbers.
//
// One slot per worker, SLOT_INTS int32 words (192 bytes, three cache lines):
//   line 0 (words 0-15):  SEQ (job sequence number, written last by the caller) and the job's arguments,
//   line 1 (words 16-31): arguments of the packing step and the GEMM's activation,
//   line 2 (words 32-47): DONE (sequence number of the last finished job) and STATUS, written by the worker.

/** int32 words per worker slot. */
export const SLOT_INTS = 48;

/** int32 index of each field within a slot. BETA holds float32 bits. */
export const SLOT_FIELDS = {
  SEQ: 0,
  CMD: 1,
  A: 2,
  LDA: 3,
  PB: 4,
  C: 5,
  LDC: 6,
  M: 7,
  N: 8,
  K: 9,
  BIAS: 10,
  BETA: 11,
  R0: 12,
  R1: 13,
  C0: 14,
  C1: 15,
  SRC: 16,
  LDB: 17,
  TRANS: 18,
  ACT: 19,
  DONE: 32,
  STATUS: 33,
} as const;

/**
 * Command bits. PACK packs columns [C0, C1) of B (from SRC, LDB, TRANS) into the panels at PB; GEMM runs
 * gemm over rows [R0, R1) and columns [C0, C1) with activation ACT (0: none); both bits: pack own panels,
 * then multiply them. SOFTMAX runs softmaxRows over rows [R0, R1) of the N-column rows at A (leading dimension
 * LDA). EXIT ends the worker's loop.
 */
export const COMMANDS = { PACK: 1, GEMM: 2, EXIT: 4, SOFTMAX: 8 } as const;

/** STATUS values. */
export const STATUS = { OK: 0, TRAPPED: 1, BAD_COMMAND: 2 } as const;
