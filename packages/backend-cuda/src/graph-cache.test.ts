import { describe, expect, it } from "vitest";
import { commandKey, GraphCache, SUBMIT_CAPTURE, SUBMIT_DIRECT, SUBMIT_REPLAY } from "./graph-cache.js";

const list = (...values: number[]): Uint8Array => new Uint8Array(new Uint32Array(values).buffer);

describe("GraphCache", () => {
  it("runs a list directly when first seen, captures it the second time, replays it afterwards", () => {
    const cache = new GraphCache();
    const a = list(1, 2, 3);
    expect(cache.decide(a).mode).toBe(SUBMIT_DIRECT);
    const captured = cache.decide(a);
    expect(captured.mode).toBe(SUBMIT_CAPTURE);
    const replayed = cache.decide(list(1, 2, 3));
    expect(replayed).toEqual({
      mode: SUBMIT_REPLAY,
      key: commandKey(a),
      id: (captured as { id: number }).id,
    });
    expect(cache.size).toBe(1);
  });

  it("keys on the exact bytes: one different pointer or parameter is another list", () => {
    const cache = new GraphCache({ captureAfter: 1 });
    const first = cache.decide(list(1, 2, 3));
    const other = cache.decide(list(1, 2, 4));
    expect(first.mode).toBe(SUBMIT_CAPTURE);
    expect(other.mode).toBe(SUBMIT_CAPTURE);
    expect((other as { id: number }).id).not.toBe((first as { id: number }).id);
    expect(commandKey(list(1, 2, 3))).not.toBe(commandKey(list(1, 2, 4)));
    expect(commandKey(list(1, 2, 3))).not.toBe(commandKey(list(1, 2, 3, 0)));
  });

  it("holds at most `capacity` graphs and evicts the least recently used", () => {
    const cache = new GraphCache({ capacity: 2, captureAfter: 1 });
    const id = (d: ReturnType<GraphCache["decide"]>) => (d as { id: number }).id;
    const a = id(cache.decide(list(1)));
    const b = id(cache.decide(list(2)));
    expect(cache.decide(list(1)).mode).toBe(SUBMIT_REPLAY); // a is now the most recent
    const c = cache.decide(list(3));
    expect(c).toMatchObject({ mode: SUBMIT_CAPTURE, evicted: [b] });
    expect(cache.ids()).toEqual([a, id(c)]);
    expect(cache.decide(list(2)).mode).toBe(SUBMIT_CAPTURE); // b was evicted: captured anew
    expect(cache.size).toBe(2);
  });

  it("a hash collision with different bytes never replays the other list", () => {
    const cache = new GraphCache({ captureAfter: 1 });
    const a = list(9, 9);
    const d = cache.decide(a) as { key: string; id: number };
    // Forge the collision: the stored entry under a's key holds other bytes.
    (cache as unknown as { entries: Map<string, { id: number; bytes: Uint8Array }> }).entries.set(d.key, {
      id: d.id,
      bytes: list(1, 1),
    });
    expect(cache.decide(a)).toMatchObject({ mode: SUBMIT_CAPTURE, evicted: [d.id] });
  });

  it("forgets a failed entry and bounds the lists remembered as seen", () => {
    const cache = new GraphCache({ captureAfter: 2, seenCapacity: 2 });
    cache.decide(list(1));
    cache.decide(list(2));
    cache.decide(list(3)); // list(1) is forgotten as seen
    expect(cache.decide(list(1)).mode).toBe(SUBMIT_DIRECT);
    const captured = cache.decide(list(3)) as { mode: number; key: string; id: number };
    expect(captured.mode).toBe(SUBMIT_CAPTURE);
    expect(cache.forget(captured.key)).toBe(captured.id);
    expect(cache.forget(captured.key)).toBeUndefined();
    expect(cache.size).toBe(0);
    cache.decide(list(4));
    cache.decide(list(4));
    expect(cache.clear()).toHaveLength(1);
    expect(cache.size).toBe(0);
  });
});
