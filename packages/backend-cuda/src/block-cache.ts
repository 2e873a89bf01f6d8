// Device blocks kept for reuse by exact size; an allocation takes the free block of its size with the lowest
// address. What a forward gets then depends only on the set of free blocks, not on the order they were freed
// in: once a forward of one batch shape allocates nothing new, it returns the set as it found it, and every
// later forward of that shape gets the very same pointers, which is what lets its command list match a
// captured CUDA graph (last-freed-first reuse alternates between two assignments when a forward frees in
// allocation order). Most allocations no longer cross into the addon. Safe on the one
// stream: a block is reused only by commands recorded after the ones that read it (and uploads, the one
// write issued outside the command list, submit the pending commands first).

export class BlockCache {
  private readonly free = new Map<number, number[]>();
  private bytes = 0;
  private blocks = 0;

  /** Bytes held for reuse. */
  get cachedBytes(): number {
    return this.bytes;
  }

  get cachedBlocks(): number {
    return this.blocks;
  }

  /** The free block of exactly `size` bytes with the lowest address, or undefined. */
  take(size: number): number | undefined {
    const stack = this.free.get(size);
    const ptr = stack?.pop();
    if (ptr === undefined) return undefined;
    this.bytes -= size;
    this.blocks -= 1;
    return ptr;
  }

  give(ptr: number, size: number): void {
    let stack = this.free.get(size);
    if (stack === undefined) {
      stack = [];
      this.free.set(size, stack);
    }
    // Kept in descending order: pop() takes the lowest address.
    let lo = 0;
    let hi = stack.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (stack[mid]! > ptr) lo = mid + 1;
      else hi = mid;
    }
    stack.splice(lo, 0, ptr);
    this.bytes += size;
    this.blocks += 1;
  }

  /** Empties the cache; every block it held (to free in the addon). */
  drain(): number[] {
    const out: number[] = [];
    for (const stack of this.free.values()) out.push(...stack);
    this.free.clear();
    this.bytes = 0;
    this.blocks = 0;
    return out;
  }
}
