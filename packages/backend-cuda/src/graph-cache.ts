// Which command lists run as CUDA graphs: a bounded LRU of captured lists, keyed by their exact bytes
// (kernels, launch shapes, parameters and device pointers: a replay is then the very same launches). A list
// is captured the second time it is seen (the first runs directly: pointers of a first forward often differ
// from the steady state), and replayed from then on while it stays in the cache.

export const SUBMIT_DIRECT = 0;
export const SUBMIT_CAPTURE = 1;
export const SUBMIT_REPLAY = 2;

export type GraphDecision =
  | { mode: typeof SUBMIT_DIRECT }
  | { mode: typeof SUBMIT_CAPTURE; key: string; id: number; evicted: number[] }
  | { mode: typeof SUBMIT_REPLAY; key: string; id: number };

export interface GraphCacheOptions {
  /** Graphs kept (instantiated) at most; the least recently used goes first (default 16). */
  capacity?: number;
  /** Sightings of a list before it is captured (default 2; 1 captures at once). */
  captureAfter?: number;
  /** Lists remembered as seen but not captured yet (default 64). */
  seenCapacity?: number;
}

interface Entry {
  id: number;
  bytes: Uint8Array;
}

/** Two 32-bit FNV-1a hashes (different bases) over the bytes, with the length: the cache key. */
export function commandKey(bytes: Uint8Array): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ bytes.length;
  const words = bytes.length >>> 2;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < words; i++) {
    const w = view.getUint32(i * 4, true);
    h1 = Math.imul(h1 ^ w, 0x01000193);
    h2 = Math.imul(h2 ^ w, 0x5bd1e995) ^ (h2 >>> 15);
  }
  for (let i = words * 4; i < bytes.length; i++) h1 = Math.imul(h1 ^ bytes[i]!, 0x01000193);
  return `${bytes.length}:${(h1 >>> 0).toString(36)}:${(h2 >>> 0).toString(36)}`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class GraphCache {
  readonly capacity: number;
  readonly captureAfter: number;
  private readonly seenCapacity: number;
  /** Insertion order is recency: a hit moves its entry to the end. */
  private readonly entries = new Map<string, Entry>();
  private readonly seen = new Map<string, number>();
  private nextId = 1;

  constructor(options: GraphCacheOptions = {}) {
    this.capacity = Math.max(1, options.capacity ?? 16);
    this.captureAfter = Math.max(1, options.captureAfter ?? 2);
    this.seenCapacity = Math.max(1, options.seenCapacity ?? 64);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The ids of the graphs held, least recently used first. */
  ids(): number[] {
    return [...this.entries.values()].map((e) => e.id);
  }

  /**
   * How to submit `bytes`: replay a cached graph of exactly these bytes, capture a new one (its id, and
   * the ids of the graphs evicted to make room, which the caller destroys), or run them directly.
   */
  decide(bytes: Uint8Array): GraphDecision {
    const key = commandKey(bytes);
    const hit = this.entries.get(key);
    if (hit !== undefined && sameBytes(hit.bytes, bytes)) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return { mode: SUBMIT_REPLAY, key, id: hit.id };
    }
    const sightings = (this.seen.get(key) ?? 0) + 1;
    this.seen.delete(key);
    if (sightings < this.captureAfter) {
      this.seen.set(key, sightings);
      while (this.seen.size > this.seenCapacity) this.seen.delete(this.seen.keys().next().value as string);
      return { mode: SUBMIT_DIRECT };
    }
    const evicted: number[] = [];
    if (hit !== undefined) {
      // A hash collision with different bytes: the new list takes the key.
      evicted.push(hit.id);
      this.entries.delete(key);
    }
    while (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      evicted.push(this.entries.get(oldest)!.id);
      this.entries.delete(oldest);
    }
    const id = this.nextId++;
    this.entries.set(key, { id, bytes: bytes.slice() });
    return { mode: SUBMIT_CAPTURE, key, id, evicted };
  }

  /** Drops the entry of `key` (its capture or replay failed); its id, if it was held. */
  forget(key: string): number | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    this.entries.delete(key);
    return e.id;
  }

  /** Empties the cache; the ids it held. */
  clear(): number[] {
    const ids = this.ids();
    this.entries.clear();
    this.seen.clear();
    return ids;
  }
}
