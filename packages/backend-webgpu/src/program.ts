/** WGSL element types of tensor bindings: F is the backend's float type (f32, or f16 in the fp16 mode). */
export type ElementType = "F" | "i32";

/**
 * A kernel program: its name, the cache key of its pipeline (everything the WGSL source depends on), and
 * the source itself, generated only when the key is not cached yet.
 */
export interface Program {
  readonly name: string;
  readonly key: string;
  source(): string;
}

/** Up to 64 scalar parameters per dispatch, passed as one 256-byte uniform block. */
export class Params {
  static readonly MAX = 64;
  readonly words: number[] = [];
  private readonly view = new DataView(new ArrayBuffer(4));

  u32(...values: number[]): this {
    for (const v of values) this.words.push(v >>> 0);
    return this;
  }

  i32(...values: number[]): this {
    for (const v of values) this.words.push(v | 0);
    return this;
  }

  f32(...values: number[]): this {
    for (const v of values) {
      this.view.setFloat32(0, v, true);
      this.words.push(this.view.getUint32(0, true));
    }
    return this;
  }
}

/**
 * One recorded dispatch: the program, its tensors' buffers in binding order (1, 2, ...), params, workgroup
 * counts. Buffers, not handles: a tensor may be disposed before the dispatch is submitted (its buffer is
 * then only pooled, and reused by later dispatches, which the queue orders after this one).
 */
export interface Dispatch {
  program: Program;
  buffers: { buffer: GPUBuffer; size: number }[];
  params: Params;
  workgroups: [number, number, number];
}

/** The uniform block and its accessors, shared by every kernel (binding 0). */
export const PARAMS_WGSL = /* wgsl */ `
struct Params { v: array<vec4<u32>, 16> }
@group(0) @binding(0) var<uniform> P: Params;
fn pu(i: u32) -> u32 { return P.v[i >> 2u][i & 3u]; }
fn pi(i: u32) -> i32 { return bitcast<i32>(pu(i)); }
fn pf(i: u32) -> f32 { return bitcast<f32>(pu(i)); }
`;

/** The declaration of storage binding `index` named `name`. */
export function binding(index: number, name: string, type: ElementType, write = false): string {
  return `@group(0) @binding(${index}) var<storage, ${write ? "read_write" : "read"}> ${name}: array<${type}>;`;
}

/**
 * A linear invocation index over a 2-D grid of 256-wide workgroups (a dimension holds at most 65,535
 * workgroups, fewer than some tensors need).
 */
export const LINEAR_INDEX_WGSL = /* wgsl */ `
fn linearIndex(gid: vec3<u32>, nwg: vec3<u32>) -> u32 { return gid.x + gid.y * nwg.x * 256u; }
`;

/** Workgroup counts for `n` invocations of 256-wide workgroups, as a 2-D grid. */
export function grid(n: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / 256));
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x), 1];
}

/** Rank used by the generic strided kernels (shapes are left-padded with 1s up to it). */
export const MAX_RANK = 6;

/** Row-major strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** `shape` left-padded with 1s to MAX_RANK. */
export function padShape(shape: readonly number[]): number[] {
  return [...new Array<number>(MAX_RANK - shape.length).fill(1), ...shape];
}

/**
 * Strides of `shape` (right-aligned against an output of rank MAX_RANK) with 0 on broadcast axes, for
 * numpy broadcasting in the generic kernels.
 */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const padded = padShape(shape);
  const out = padShape(outShape);
  const strides = stridesOf(padded);
  return strides.map((s, i) => (padded[i] === 1 && out[i] !== 1 ? 0 : s));
}
