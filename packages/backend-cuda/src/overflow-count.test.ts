// The overflowCount op's launches and checks on the JavaScript side, with a fake addon (test/fake-addon.ts):
// no GPU is needed, nothing is computed. The kernels themselves are checked by emulation on the CPU
// (overflow-count-emulation.test.ts) and on a GPU by the conformance suite and fp16-overflow.test.ts.
import { Tensor } from "@deberta/tensor";
import { describe, expect, it } from "vitest";
import { FakeAddon } from "../test/fake-addon.js";
import { CudaBackend, type CudaDtype } from "./cuda-backend.js";
import type { ContextHandle } from "./native/addon.js";

function backendOn(addon: FakeAddon, dtype: CudaDtype): CudaBackend {
  return new CudaBackend({
    addon,
    context: addon.createContext() as ContextHandle,
    ordinal: 0,
    name: "cuda",
    gemm: "cublaslt",
    deviceName: "fake",
    graphs: false,
    dtype,
  });
}

/** The kernels `run` launches, by name, in order. */
async function launchesOf(dtype: CudaDtype) {
  const addon = new FakeAddon();
  const b = backendOn(addon, dtype);
  const x = b.upload(new Tensor("float32", Float32Array.of(1, 70000, Number.NaN, 2, 3), [5]));
  const counts = b.upload(new Tensor("int32", Int32Array.of(4, 0, 1), [3]));
  await b.sync();
  const before = addon.submits.length;
  const out = b.fused.overflowCount!({ x, counts }, { limit: 65504 });
  await b.download(out);
  const names = addon.submits
    .slice(before)
    .flatMap((s) => s.commands)
    .filter((c) => c.fn !== undefined)
    .map((c) => addon.functionNames[c.fn!]!)
    .filter((n) => n.startsWith("overflow_count"));
  const result = { names, shape: out.shape, dtype: out.dtype, floatStorage: b.floatStorage };
  b.close();
  return result;
}

describe("overflowCount on cuda (fake addon)", () => {
  it.each([
    ["float32", "overflow_count_32"],
    ["float16", "overflow_count_16"],
    ["bfloat16", "overflow_count_16"],
  ] as const)("%s storage: prepares the tally, then counts with %s", async (dtype, kernel) => {
    const r = await launchesOf(dtype);
    expect(r.names).toEqual(["overflow_count_prepare", kernel]);
    expect(r.shape).toEqual([4]);
    expect(r.dtype).toBe("int32");
    expect(r.floatStorage).toBe(dtype);
  });

  it("launches no count for an empty x, and rejects bad inputs with typed errors naming the op", async () => {
    const addon = new FakeAddon();
    const b = backendOn(addon, "float16");
    const empty = b.fused.overflowCount!(
      { x: b.upload(new Tensor("float32", new Float32Array(0), [0])) },
      { limit: 1 },
    );
    expect(empty.shape).toEqual([1]);
    const ints = b.upload(new Tensor("int32", Int32Array.of(1, 2), [2]));
    const floats = b.upload(new Tensor("float32", Float32Array.of(1, 2), [2]));
    expect(() => b.fused.overflowCount!({ x: ints }, { limit: 1 })).toThrow(
      expect.objectContaining({ code: "BACKEND_DTYPE", message: expect.stringMatching(/^overflowCount: x/) }),
    );
    expect(() => b.fused.overflowCount!({ x: floats, counts: floats }, { limit: 1 })).toThrow(
      expect.objectContaining({ code: "BACKEND_SHAPE", message: expect.stringMatching(/counts must be/) }),
    );
    expect(() => b.fused.overflowCount!({ x: floats }, { limit: Number.NaN })).toThrow(
      expect.objectContaining({
        code: "BACKEND_SHAPE",
        message: expect.stringMatching(/limit must be a number/),
      }),
    );
    await b.sync();
    const launched = addon.submits
      .flatMap((s) => s.commands)
      .filter((c) => c.fn !== undefined)
      .map((c) => addon.functionNames[c.fn!]!);
    expect(launched.filter((n) => n.startsWith("overflow_count"))).toEqual(["overflow_count_prepare"]);
    b.close();
  });
});
