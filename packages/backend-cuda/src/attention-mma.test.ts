// The choice of attention kernel (`attention: "tiled" | "mma"`, DEBERTA_CUDA_ATTENTION), which kernel the op
// launches, and what it passes for DeBERTa-v2's key bias and relative index table (parameters packed to the
// PTX entry's exact size), with a fake addon (test/fake-addon.ts): no GPU is needed, nothing is computed. The
// kernels themselves are checked on the CPU by attention-emulation.test.ts and on a GPU by bench/gpu/checks.mjs.
import { BackendError, Tensor } from "@deberta/tensor";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeAddon } from "../test/fake-addon.js";
import { CudaBackend, type CudaBackendInit, resolveAttention } from "./cuda-backend.js";
import { KERNEL_FILES } from "./kernels/context.js";
import { PTX } from "./kernels/generated/ptx.js";
import type { ContextHandle } from "./native/addon.js";

afterEach(() => vi.unstubAllEnvs());

function backendOn(addon: FakeAddon, init: Partial<CudaBackendInit> = {}): CudaBackend {
  return new CudaBackend({
    addon,
    context: addon.createContext() as ContextHandle,
    ordinal: 0,
    name: "cuda",
    gemm: "cublaslt",
    deviceName: "fake",
    graphs: false,
    ...init,
  });
}

const ones = (dims: number[]) =>
  new Tensor("float32", new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(1), dims);

interface Launch {
  name: string;
  block: number[];
  grid: number[];
}

/**
 * The kernels and blocks one disentangledAttention launches (batch 2, length 100, 2 heads); with `v2`, a key
 * bias and a relative index table too, and `onLaunch` sees each launch's parameters and the inputs' pointers.
 */
async function attentionLaunches(
  init: Partial<CudaBackendInit>,
  { hs = 64, returnProbs = false, relative = true, v2 = false } = {},
  onLaunch?: (name: string, params: Uint8Array, ptrs: { kBias: number; relativeIndex: number }) => void,
): Promise<Launch[]> {
  const addon = new FakeAddon();
  const b = backendOn(addon, init);
  const [batch, length, heads, span] = [2, 100, 2, 16];
  const qkv = b.upload(ones([batch, length, 3 * heads * hs]));
  const qBias = b.upload(ones([heads * hs]));
  const vBias = b.upload(ones([heads * hs]));
  const mask = b.upload(ones([batch, length]));
  const posKey = relative ? b.upload(ones([heads, 2 * span, hs])) : undefined;
  const posQuery = relative ? b.upload(ones([heads, 2 * span, hs])) : undefined;
  const table = Int32Array.from({ length: 2 * length - 1 }, (_, k) => (k * 7) % (2 * span));
  const kBias = v2 ? b.upload(ones([heads * hs])) : undefined;
  const relativeIndex = v2 ? b.upload(new Tensor("int32", table, [table.length])) : undefined;
  await b.sync();
  const before = addon.submits.length;
  const out = b.fused.disentangledAttention!(
    {
      qkv,
      qBias,
      vBias,
      mask,
      ...(posKey === undefined ? {} : { posKey, posQuery }),
      ...(v2 ? { kBias, relativeIndex } : {}),
    },
    { numHeads: heads, scale: 0.125, span, returnProbs },
  );
  await b.download(out.context);
  const launches = addon.submits
    .slice(before)
    .flatMap((s) => s.commands)
    .filter((c) => c.fn !== undefined && addon.functionNames[c.fn]!.startsWith("disentangled_attention"));
  const ptr = (t: unknown) => (t === undefined ? 0 : (t as { ptr: number }).ptr);
  for (const c of launches)
    onLaunch?.(addon.functionNames[c.fn!]!, c.params!, {
      kBias: ptr(kBias),
      relativeIndex: ptr(relativeIndex),
    });
  b.close();
  return launches.map((c) => ({ name: addon.functionNames[c.fn!]!, block: c.block!, grid: c.grid! }));
}

/** Bytes of a PTX entry's parameter list (each parameter naturally aligned, as the driver packs them). */
function ptxParamBytes(name: string): number {
  const ptx = PTX[KERNEL_FILES[name as keyof typeof KERNEL_FILES]]!;
  const list = new RegExp(`\\.entry ${name}\\(([^)]*)\\)`).exec(ptx)![1]!;
  let bytes = 0;
  for (const [, type] of list.matchAll(/\.param \.([a-z]\d+)/g)) {
    const size = Number(type!.slice(1)) / 8;
    bytes = Math.ceil(bytes / size) * size + size;
  }
  return bytes;
}

describe("attention kernel choice", () => {
  it("resolves the option, then DEBERTA_CUDA_ATTENTION, then mma", () => {
    expect(resolveAttention(undefined)).toBe("mma");
    expect(resolveAttention("mma")).toBe("mma");
    vi.stubEnv("DEBERTA_CUDA_ATTENTION", " MMA ");
    expect(resolveAttention(undefined)).toBe("mma");
    expect(resolveAttention("tiled")).toBe("tiled");
    vi.stubEnv("DEBERTA_CUDA_ATTENTION", "wmma");
    expect(() => resolveAttention(undefined)).toThrow(BackendError);
    expect(() => resolveAttention(undefined)).toThrow(
      /DEBERTA_CUDA_ATTENTION="wmma" must be "tiled" or "mma"/,
    );
    expect(() => resolveAttention("fast")).toThrow(/attention must be "tiled" or "mma", got "fast"/);
  });

  it("launches the tensor-core kernel for half storage with attention mma (128 threads per 64 rows)", async () => {
    for (const [dtype, name] of [
      ["float16", "disentangled_attention_mma_f16"],
      ["bfloat16", "disentangled_attention_mma_bf16"],
    ] as const) {
      expect(await attentionLaunches({ dtype, attention: "mma" })).toEqual([
        { name, block: [128, 1, 1], grid: [2, 2, 2] },
      ]);
      expect(await attentionLaunches({ dtype, attention: "mma" }, { relative: false, hs: 32 })).toEqual([
        { name, block: [128, 1, 1], grid: [2, 2, 2] },
      ]);
    }
    expect((await attentionLaunches({ dtype: "float16" }))[0]!.name).toBe("disentangled_attention_mma_f16");
  });

  it("runs the tiled kernel when asked, for float32, with probabilities and for other head sizes", async () => {
    const tiled = (s: string) => [
      { name: `disentangled_attention_${s}`, block: [256, 1, 1], grid: [2, 2, 2] },
    ];
    expect(await attentionLaunches({ dtype: "float16", attention: "tiled" })).toEqual(tiled("f16"));
    vi.stubEnv("DEBERTA_CUDA_ATTENTION", "tiled");
    expect(await attentionLaunches({ dtype: "float16" })).toEqual(tiled("f16"));
    vi.unstubAllEnvs();
    expect(await attentionLaunches({ dtype: "float32", attention: "mma" })).toEqual(tiled("f32"));
    expect(await attentionLaunches({ dtype: "float16", attention: "mma" }, { returnProbs: true })).toEqual(
      tiled("f16"),
    );
    expect(await attentionLaunches({ dtype: "bfloat16", attention: "mma" }, { hs: 48 })).toEqual(
      tiled("bf16"),
    );
  });
});

describe("warmUp and the tensor-core kernel", () => {
  const loaded = (init: Partial<CudaBackendInit>) => {
    const addon = new FakeAddon();
    const names: string[] = [];
    const getFunction = addon.getFunction.bind(addon);
    addon.getFunction = (m, name) => {
      names.push(name);
      return getFunction(m, name);
    };
    const b = backendOn(addon, init);
    b.warmUp();
    b.close();
    return names.filter((n) => n.startsWith("disentangled_attention_mma"));
  };

  it("loads (JIT-compiles) it only for half storage with attention mma (the default)", () => {
    expect(loaded({ dtype: "float16" })).toEqual(["disentangled_attention_mma_f16"]);
    expect(loaded({ dtype: "float16", attention: "tiled" })).toEqual([]);
    expect(loaded({ dtype: "float32", attention: "mma" })).toEqual([]);
    expect(loaded({ dtype: "float16", attention: "mma" })).toEqual(["disentangled_attention_mma_f16"]);
    expect(loaded({ dtype: "bfloat16", attention: "mma" })).toEqual(["disentangled_attention_mma_bf16"]);
  });
});

describe("DeBERTa-v2 inputs (key bias, relative index table)", () => {
  // Kernel parameters: context, [probs,] qkv, qBias, vBias, mask, posKey, posQuery, kBias, relIndex, then ints.
  const pointerAt = (params: Uint8Array, slot: number) =>
    Number(new DataView(params.buffer, params.byteOffset).getBigUint64(8 * slot, true));

  it("pass both pointers to every attention kernel, whose parameters end where the PTX entry's do", async () => {
    const runs: [Partial<CudaBackendInit>, { returnProbs?: boolean; relative?: boolean }, string][] = [
      [{ dtype: "float32" }, {}, "disentangled_attention_f32"],
      [{ dtype: "float32" }, { returnProbs: true }, "disentangled_attention_f32"],
      [{ dtype: "float16", attention: "mma" }, {}, "disentangled_attention_mma_f16"],
      [{ dtype: "bfloat16", attention: "mma" }, {}, "disentangled_attention_mma_bf16"],
      [{ dtype: "float16", attention: "mma" }, { returnProbs: true }, "disentangled_attention_f16"],
      [{ dtype: "bfloat16", attention: "tiled" }, {}, "disentangled_attention_bf16"],
    ];
    for (const [init, options, kernel] of runs) {
      const seen: string[] = [];
      const launches = await attentionLaunches(init, { ...options, v2: true }, (name, params, ptrs) => {
        seen.push(name);
        expect(params.byteLength, name).toBe(ptxParamBytes(name));
        const first = name.includes("_mma_") ? 5 : 6;
        expect(pointerAt(params, first + 2), `${name} kBias`).toBe(ptrs.kBias);
        expect(pointerAt(params, first + 3), `${name} relIndex`).toBe(ptrs.relativeIndex);
        expect(ptrs.kBias * ptrs.relativeIndex).toBeGreaterThan(0);
      });
      expect(launches.map((l) => l.name)).toEqual([kernel]);
      expect(seen).toEqual([kernel]);
    }
  });

  it("pass null pointers without them, and no table where no relative term reads it", async () => {
    for (const [options, table] of [
      [{ v2: false }, false],
      [{ v2: true, relative: false }, false],
    ] as const) {
      let checked = 0;
      await attentionLaunches({ dtype: "float16", attention: "mma" }, options, (name, params, ptrs) => {
        expect(params.byteLength).toBe(ptxParamBytes(name));
        expect(pointerAt(params, 7)).toBe(options.v2 ? ptrs.kBias : 0);
        expect(pointerAt(params, 8)).toBe(table ? ptrs.relativeIndex : 0);
        checked++;
      });
      expect(checked).toBe(1);
    }
  });

  it("reject a table of the wrong length, out of [0, 2 span) or not integer, naming relativeIndex", async () => {
    const addon = new FakeAddon();
    const b = backendOn(addon, { dtype: "float16", attention: "mma" });
    const [length, heads, hs, span] = [5, 2, 32, 4];
    const base = {
      qkv: b.upload(ones([1, length, 3 * heads * hs])),
      qBias: b.upload(ones([heads * hs])),
      vBias: b.upload(ones([heads * hs])),
      mask: b.upload(ones([1, length])),
      posKey: b.upload(ones([heads, 2 * span, hs])),
    };
    const attrs = { numHeads: heads, scale: 0.125, span, returnProbs: false };
    const call = (table: Tensor) =>
      b.fused.disentangledAttention!({ ...base, relativeIndex: b.upload(table) }, attrs);
    const ints = (values: number[]) => new Tensor("int32", Int32Array.from(values), [values.length]);
    expect(() => call(ints([0, 1, 2]))).toThrow(
      /disentangledAttention: relativeIndex must be \[2 \* length - 1\] = \[9\]/,
    );
    expect(() => call(ints([0, 1, 2, 3, 8, 5, 6, 7, 0]))).toThrow(
      /disentangledAttention relativeIndex: index 8 at position 4 is outside \[0, 8\)/,
    );
    expect(() => call(ints([0, 1, 2, 3, -1, 5, 6, 7, 0]))).toThrow(BackendError);
    expect(() => call(ones([9]))).toThrow(/relativeIndex: indices must be int32 or int64, got float16/);
    b.close();
  });
});
