// A command list: the launches of a forward (kernels, cuBLASLt matmuls, device memsets and copies) recorded
// on the JavaScript side and handed to the addon in one call (native/commands.h has the same layout and
// checks every command before anything is issued). Every command is 8-byte aligned: u32 opcode, u32 size.
import { BackendError } from "@deberta/tensor";

export const CMD_LAUNCH = 1;
export const CMD_BLASLT = 2;
export const CMD_MEMSET_D32 = 3;
export const CMD_COPY_DTOD = 4;

/** A launch's header: opcode, size, function, grid x y z, block x y z, shared bytes, parameter bytes, 0. */
export const LAUNCH_HEADER_BYTES = 48;
export const BLASLT_BYTES = 8 + 18 * 8;
export const MEMSET_BYTES = 32;
export const COPY_BYTES = 32;

/** cuBLASLt's arguments as blasLtMatmul takes them (native/device.h), in this order. */
export interface BlasLtCommand {
  transa: number;
  transb: number;
  m: number;
  n: number;
  k: number;
  a: number;
  lda: number;
  strideA: number;
  b: number;
  ldb: number;
  strideB: number;
  d: number;
  ldd: number;
  strideD: number;
  batch: number;
  bias: number;
  dataType: number;
  computeType: number;
}

const BLASLT_FIELDS: readonly (keyof BlasLtCommand)[] = [
  "transa",
  "transb",
  "m",
  "n",
  "k",
  "a",
  "lda",
  "strideA",
  "b",
  "ldb",
  "strideB",
  "d",
  "ldd",
  "strideD",
  "batch",
  "bias",
  "dataType",
  "computeType",
];

/** What a command did, for the error that names it when its submission fails. */
export interface CommandOrigin {
  op: string;
  what: string;
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

export class CommandList {
  private buffer: ArrayBuffer;
  private bytes: Uint8Array;
  private view: DataView;
  private used = 0;
  private readonly origins: (CommandOrigin | (() => CommandOrigin))[] = [];

  constructor(initialBytes = 64 * 1024) {
    this.buffer = new ArrayBuffer(initialBytes);
    this.bytes = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
  }

  /** Commands recorded since the last reset. */
  get count(): number {
    return this.origins.length;
  }

  get byteLength(): number {
    return this.used;
  }

  /** The recorded commands (a view, valid until the next command or reset). */
  encoded(): Uint8Array {
    return this.bytes.subarray(0, this.used);
  }

  /** The op and description of command `index` (for errors). */
  origin(index: number): CommandOrigin {
    const o = this.origins[index];
    if (o === undefined) return { op: "submit", what: `command ${index} of ${this.count}` };
    return typeof o === "function" ? o() : o;
  }

  reset(): void {
    this.used = 0;
    this.origins.length = 0;
  }

  private reserve(size: number): number {
    if (this.used + size > this.buffer.byteLength) {
      let capacity = this.buffer.byteLength * 2;
      while (capacity < this.used + size) capacity *= 2;
      const next = new ArrayBuffer(capacity);
      new Uint8Array(next).set(this.bytes.subarray(0, this.used));
      this.buffer = next;
      this.bytes = new Uint8Array(next);
      this.view = new DataView(next);
    }
    const at = this.used;
    this.used += size;
    return at;
  }

  private header(at: number, opcode: number, size: number): void {
    this.view.setUint32(at, opcode, true);
    this.view.setUint32(at + 4, size, true);
  }

  private integer(at: number, v: number, what: string): void {
    if (!Number.isSafeInteger(v))
      throw new BackendError("BACKEND_UNAVAILABLE", `command list: ${what} ${v} is not a safe integer`);
    this.view.setFloat64(at, v, true);
  }

  /**
   * A kernel launch: `fn` is the index the addon registered the function under, `params` the packed
   * parameters (exactly up to the last one: Params.finish()).
   */
  launch(
    fn: number,
    grid: readonly [number, number, number],
    block: readonly [number, number, number],
    shared: number,
    params: Uint8Array,
    origin: CommandOrigin | (() => CommandOrigin),
  ): void {
    const size = LAUNCH_HEADER_BYTES + align8(params.length);
    const at = this.reserve(size);
    this.header(at, CMD_LAUNCH, size);
    const words = [fn, grid[0], grid[1], grid[2], block[0], block[1], block[2], shared, params.length, 0];
    for (let i = 0; i < words.length; i++) this.view.setUint32(at + 8 + 4 * i, words[i]!, true);
    this.bytes.set(params, at + LAUNCH_HEADER_BYTES);
    // Zero padding: the bytes of a list are its identity in the graph cache.
    this.bytes.fill(0, at + LAUNCH_HEADER_BYTES + params.length, at + size);
    this.origins.push(origin);
  }

  blasLt(g: BlasLtCommand, origin: CommandOrigin | (() => CommandOrigin)): void {
    const at = this.reserve(BLASLT_BYTES);
    this.header(at, CMD_BLASLT, BLASLT_BYTES);
    for (let i = 0; i < BLASLT_FIELDS.length; i++) {
      const field = BLASLT_FIELDS[i]!;
      this.integer(at + 8 + 8 * i, g[field], field);
    }
    this.origins.push(origin);
  }

  memsetD32(ptr: number, value: number, count: number, origin: CommandOrigin): void {
    const at = this.reserve(MEMSET_BYTES);
    this.header(at, CMD_MEMSET_D32, MEMSET_BYTES);
    this.view.setUint32(at + 8, value >>> 0, true);
    this.view.setUint32(at + 12, 0, true);
    this.integer(at + 16, ptr, "pointer");
    this.integer(at + 24, count, "count");
    this.origins.push(origin);
  }

  copyDtoD(dst: number, src: number, bytes: number, origin: CommandOrigin): void {
    const at = this.reserve(COPY_BYTES);
    this.header(at, CMD_COPY_DTOD, COPY_BYTES);
    this.integer(at + 8, dst, "destination");
    this.integer(at + 16, src, "source");
    this.integer(at + 24, bytes, "bytes");
    this.origins.push(origin);
  }
}
