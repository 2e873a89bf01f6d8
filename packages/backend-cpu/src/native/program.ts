// A program for the native engine: the ops of a forward, recorded one after another (src/native/ops/) and run
// by the addon in one call (native/program.h has the opcodes and their argument lists; binding_program.cc
// checks every one against the arrays' real lengths before anything runs). Arrays are named by index into
// `buffers`, packed weights by index into `packed`; -1 is "none".
import type { NativePackedHandle } from "./addon.js";

export const OPCODES = {
  linearPacked: 1,
  linear: 2,
  layerNorm: 3,
  attention: 4,
  activate: 5,
  maskedSoftmax: 6,
  gather: 7,
  binary: 8,
  affine: 9,
  copy: 10,
} as const;

/** The most dimensions a strided op (binary, copy, masked softmax) takes natively. */
export const MAX_NATIVE_RANK = 6;

export type NativeArray = Float32Array | Int32Array;

/** An input read through element strides over the output's shape (0 repeats it: broadcasting). */
export interface StridedInput {
  offset: number;
  strides: readonly number[];
}

export class NativeProgram {
  readonly buffers: NativeArray[] = [];
  readonly packed: NativePackedHandle[] = [];
  /** The op name of each command, for error messages. */
  readonly ops: string[] = [];
  /** The arrays its commands write (their contents are pending until the program has run). */
  readonly writes: ArrayBufferLike[] = [];
  private readonly code: number[] = [];
  private readonly bufferIndex = new Map<NativeArray, number>();
  private readonly packedIndex = new Map<NativePackedHandle, number>();

  /** Its place in the engine's order of programs (NativeExecutor). */
  constructor(readonly seq: number) {}

  get empty(): boolean {
    return this.ops.length === 0;
  }

  /** The index of an array in this program (-1 for none). */
  buffer(array: NativeArray | null | undefined): number {
    if (array === null || array === undefined) return -1;
    let i = this.bufferIndex.get(array);
    if (i === undefined) {
      i = this.buffers.length;
      this.buffers.push(array);
      this.bufferIndex.set(array, i);
    }
    return i;
  }

  packedWeight(handle: NativePackedHandle): number {
    let i = this.packedIndex.get(handle);
    if (i === undefined) {
      i = this.packed.length;
      this.packed.push(handle);
      this.packedIndex.set(handle, i);
    }
    return i;
  }

  /** Appends one command: its opcode, then its arguments (numbers, or arrays given by buffer()). */
  emit(op: string, opcode: number, args: readonly number[], writes: readonly NativeArray[]): void {
    this.ops.push(op);
    this.code.push(opcode, ...args);
    for (const w of writes) this.writes.push(w.buffer);
  }

  /** rank, dims padded to MAX_NATIVE_RANK, then per input its offset and strides (padded). */
  static strided(dims: readonly number[], inputs: readonly StridedInput[]): number[] {
    const pad = (xs: readonly number[]) => [
      ...xs,
      ...new Array<number>(MAX_NATIVE_RANK - xs.length).fill(xs === dims ? 1 : 0),
    ];
    const out = [dims.length, ...pad(dims)];
    for (const input of inputs) out.push(input.offset, ...pad(input.strides));
    return out;
  }

  encode(): Float64Array {
    return Float64Array.from(this.code);
  }
}
