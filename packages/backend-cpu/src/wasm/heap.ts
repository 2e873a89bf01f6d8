/** Byte alignment of every block (one cache line; also the f32x4 / f64 alignment). */
export const HEAP_ALIGN = 64;
/** Bytes of one WebAssembly page. */
export const WASM_PAGE = 65536;
/** Largest memory a wasm32 module can address: 65536 pages = 4 GiB. */
export const MAX_PAGES = 65536;
/**
 * First address the allocator hands out. Address 0 stays unused so that 0 can mean "no pointer" (for
 * example `biasPtr` of the GEMM); the kernels have no static data of their own.
 */
export const HEAP_BASE = 1024;

export interface WasmHeapOptions {
  /** Use a shared memory (needs SharedArrayBuffer + Atomics); default false. */
  shared?: boolean;
  /** Initial size in bytes (rounded up to whole pages); default 16 MiB. */
  initialBytes?: number;
  /** Maximum number of pages; default 65536 (4 GiB). Shared memories must declare one. */
  maximumPages?: number;
}

interface FreeBlock {
  ptr: number;
  size: number;
}

/** True when this realm can create a shared WebAssembly.Memory (SharedArrayBuffer + Atomics). */
export function sharedMemorySupported(): boolean {
  if (typeof SharedArrayBuffer === "undefined" || typeof Atomics === "undefined") return false;
  try {
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return m.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/**
 * A WebAssembly.Memory with a first-fit allocator (free list sorted by address, neighbours coalesced,
 * 64-byte aligned blocks). The memory grows on demand; for a non-shared memory every growth detaches the
 * previous ArrayBuffer, so never keep a view across an `alloc`: `f32()` / `i32()` always build a fresh
 * view over the current buffer.
 *
 * Pointers are byte offsets into the memory (numbers, up to 4 GiB).
 */
export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  readonly maximumPages: number;
  /** End of the highest block ever carved out of the top region. */
  private top = HEAP_BASE;
  private readonly used = new Map<number, number>();
  /** Free blocks below `top`, sorted by address, never adjacent to each other or to `top`. */
  private readonly freeList: FreeBlock[] = [];
  private inUse = 0;
  private peak = 0;

  constructor(options: WasmHeapOptions = {}) {
    const shared = options.shared ?? false;
    let maximumPages = Math.max(1, Math.min(options.maximumPages ?? MAX_PAGES, MAX_PAGES));
    const initialPages = Math.min(
      Math.max(1, Math.ceil((options.initialBytes ?? 16 * 1024 * 1024) / WASM_PAGE)),
      maximumPages,
    );
    let memory: WebAssembly.Memory | undefined;
    // A shared memory reserves its maximum up front; where 4 GiB of address space is refused (32-bit or
    // memory-constrained browsers) fall back to 2 GiB, 1 GiB, ... (the kernels import any maximum).
    for (;;) {
      try {
        memory = shared
          ? new WebAssembly.Memory({ initial: initialPages, maximum: maximumPages, shared: true })
          : new WebAssembly.Memory({ initial: initialPages, maximum: maximumPages });
        break;
      } catch (err) {
        if (maximumPages <= Math.max(initialPages, 4096)) throw err;
        maximumPages = Math.max(initialPages, maximumPages >> 1);
      }
    }
    this.shared = shared;
    this.maximumPages = maximumPages;
    this.memory = memory;
  }

  /** The current buffer (an ArrayBuffer, or a SharedArrayBuffer for a shared heap). */
  get buffer(): ArrayBuffer | SharedArrayBuffer {
    return this.memory.buffer;
  }

  /** Current size of the memory in bytes. */
  get capacity(): number {
    return this.memory.buffer.byteLength;
  }

  /** Bytes held by live blocks (sizes rounded up to 64). */
  get bytesInUse(): number {
    return this.inUse;
  }

  /** Highest `bytesInUse` seen so far. */
  get peakBytes(): number {
    return this.peak;
  }

  /** Number of live blocks. */
  get blockCount(): number {
    return this.used.size;
  }

  /** Allocates `bytes` bytes (at least one 64-byte line), 64-byte aligned; grows the memory if needed. */
  alloc(bytes: number): number {
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`WasmHeap.alloc: invalid size ${bytes}`);
    const size = Math.max(HEAP_ALIGN, Math.ceil(bytes / HEAP_ALIGN) * HEAP_ALIGN);
    let ptr = -1;
    for (let i = 0; i < this.freeList.length; i++) {
      const block = this.freeList[i]!;
      if (block.size >= size) {
        ptr = block.ptr;
        if (block.size === size) this.freeList.splice(i, 1);
        else {
          block.ptr += size;
          block.size -= size;
        }
        break;
      }
    }
    if (ptr < 0) {
      ptr = this.top;
      this.ensureCapacity(ptr + size);
      this.top = ptr + size;
    }
    this.used.set(ptr, size);
    this.inUse += size;
    if (this.inUse > this.peak) this.peak = this.inUse;
    return ptr;
  }

  /** Allocates room for `length` floats and copies `data` (when given) into it. */
  allocF32(length: number, data?: ArrayLike<number>): number {
    const ptr = this.alloc(length * 4);
    if (data) this.f32(ptr, length).set(data);
    return ptr;
  }

  /** Returns a block to the allocator. Throws on a pointer that is not a live block (double free). */
  free(ptr: number): void {
    const size = this.used.get(ptr);
    if (size === undefined) throw new Error(`WasmHeap.free: ${ptr} is not an allocated block`);
    this.used.delete(ptr);
    this.inUse -= size;
    const list = this.freeList;
    // Insertion point: first free block above ptr.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.ptr < ptr) lo = mid + 1;
      else hi = mid;
    }
    let start = ptr;
    let end = ptr + size;
    const prev = lo > 0 ? list[lo - 1] : undefined;
    const next = list[lo];
    if (next && next.ptr === end) {
      end += next.size;
      list.splice(lo, 1);
    }
    if (prev && prev.ptr + prev.size === start) {
      start = prev.ptr;
      list.splice(lo - 1, 1);
      lo--;
    }
    if (end === this.top) this.top = start;
    else list.splice(lo, 0, { ptr: start, size: end - start });
  }

  /** Size in bytes of a live block (as rounded by `alloc`), or undefined. */
  sizeOf(ptr: number): number | undefined {
    return this.used.get(ptr);
  }

  /** A fresh Float32Array view of `length` floats at byte offset `ptr`. */
  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }

  /** A fresh Int32Array view of `length` ints at byte offset `ptr`. */
  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, length);
  }

  /** A fresh Uint8Array view of `length` bytes at byte offset `ptr`. */
  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, length);
  }

  /** Grows the memory so that bytes [0, end) exist. */
  private ensureCapacity(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const havePages = have / WASM_PAGE;
    const needPages = Math.ceil(end / WASM_PAGE);
    if (needPages > this.maximumPages) {
      throw new RangeError(
        `WasmHeap: out of memory (need ${end} bytes, maximum ${this.maximumPages * WASM_PAGE} bytes)`,
      );
    }
    // Grow by at least 1/8 of the current size to keep the number of grow calls small.
    const want = Math.min(this.maximumPages, Math.max(needPages, havePages + Math.ceil(havePages / 8)));
    try {
      this.memory.grow(want - havePages);
    } catch {
      this.memory.grow(needPages - havePages);
    }
  }
}
