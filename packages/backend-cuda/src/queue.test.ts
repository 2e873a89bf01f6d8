import { describe, expect, it } from "vitest";
import { FakeAddon } from "../test/fake-addon.js";
import type { CommandOrigin } from "./commands.js";
import type { ContextHandle } from "./native/addon.js";
import { Params } from "./params.js";
import { CommandQueue } from "./queue.js";

const ctx = {} as ContextHandle;
const failures: [number, CommandOrigin][] = [];
const fail = (status: number, origin: CommandOrigin): never => {
  failures.push([status, origin]);
  throw new Error(`failed ${status} at ${origin.op}`);
};

function record(q: CommandQueue, addon: FakeAddon, tag: number): void {
  while (addon.functions < 1) addon.registerFunction();
  q.launch(0, [1, 1, 1], [32, 1, 1], 0, new Params().i32(tag).finish(), { op: `op${tag}`, what: "launch" });
}

describe("CommandQueue", () => {
  it("does nothing on an empty flush and submits once per flush", () => {
    const addon = new FakeAddon();
    const q = new CommandQueue(addon, ctx, fail, { graphs: false });
    q.flush();
    expect(addon.submits).toHaveLength(0);
    record(q, addon, 1);
    record(q, addon, 2);
    expect(q.pending).toBe(2);
    q.flush();
    expect(addon.submits.map((s) => s.commands.length)).toEqual([2]);
    expect(q.pending).toBe(0);
    expect(q.stats()).toMatchObject({ submits: 1, commands: 2, direct: 1, graphsOff: "graphs: false" });
  });

  it("destroys the graphs it evicts (LRU of graphCache.capacity) and those it holds when graphs are turned off", () => {
    const addon = new FakeAddon();
    const q = new CommandQueue(addon, ctx, fail, { graphCache: { capacity: 2, captureAfter: 1 } });
    for (const tag of [1, 2, 3]) {
      record(q, addon, tag);
      q.flush();
    }
    expect(addon.submits.map((s) => [s.mode, s.graphId])).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    expect(addon.destroyed).toEqual([1]);
    record(q, addon, 2);
    q.flush();
    expect(addon.submits.at(-1)).toMatchObject({ mode: 2, graphId: 2 });
    q.disableGraphs("test");
    expect(addon.destroyed.sort()).toEqual([1, 2, 3]);
    expect(q.stats()).toMatchObject({ captures: 3, replays: 1, graphs: 0, graphsOff: "test" });
  });

  it("runs a list directly when its replay fails, forgetting the graph", () => {
    const addon = new FakeAddon();
    const q = new CommandQueue(addon, ctx, fail, { graphCache: { captureAfter: 1 } });
    record(q, addon, 1);
    q.flush();
    addon.failNext = { mode: 2, status: 901 };
    record(q, addon, 1);
    q.flush();
    expect(addon.submits.map((s) => s.mode)).toEqual([1, 2, 0]);
    expect(addon.destroyed).toEqual([1]);
    expect(q.stats().graphs).toBe(0);
  });

  it("reports a failed direct submission through `fail` with the failing command's origin, and resets", () => {
    const addon = new FakeAddon();
    const q = new CommandQueue(addon, ctx, fail, { graphs: false });
    record(q, addon, 1);
    record(q, addon, 2);
    addon.failNext = { mode: 0, status: 719, at: 1 };
    expect(() => q.flush()).toThrow("failed 719 at op2");
    expect(failures.at(-1)).toEqual([719, { op: "op2", what: "launch" }]);
    expect(q.pending).toBe(0);
  });

  it("discard() drops pending commands without submitting them", () => {
    const addon = new FakeAddon();
    const q = new CommandQueue(addon, ctx, fail);
    record(q, addon, 1);
    q.discard();
    q.flush();
    expect(addon.submits).toHaveLength(0);
  });
});
