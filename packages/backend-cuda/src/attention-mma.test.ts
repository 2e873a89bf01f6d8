// The choice of attention kernel (`attention: "tiled" | "mma"`, DEBERTA_CUDA_ATTENTION) and which kernel the
// op launches, with a fake addon (test/fake-addon.ts): no GPU is needed, nothing is computed. The
// tensor-core kernel itself (kernels/disentangled_attention_mma.cu) is checked on a GPU by bench/gpu/checks.mjs.
import { BackendError, Tensor } from "@deberta/tensor";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeAddon } from "../test/fake-addon.js";
import { CudaBackend, type CudaBackendInit, resolveAttention } from "./cuda-backend.js";
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

/** The kernels and blocks one disentangledAttention launches (batch 2, length 100, 2 heads). */
async function attentionLaunches(
  init: Partial<CudaBackendInit>,
  { hs = 64, returnProbs = false, relative = true } = {},
): Promise<{ name: string; block: number[]; grid: number[] }[]> {
  const addon = new FakeAddon();
  const b = backendOn(addon, init);
  const [batch, length, heads, span] = [2, 100, 2, 16];
  const qkv = b.upload(ones([batch, length, 3 * heads * hs]));
  const qBias = b.upload(ones([heads * hs]));
  const vBias = b.upload(ones([heads * hs]));
  const mask = b.upload(ones([batch, length]));
  const posKey = relative ? b.upload(ones([heads, 2 * span, hs])) : undefined;
  const posQuery = relative ? b.upload(ones([heads, 2 * span, hs])) : undefined;
  await b.sync();
  const before = addon.submits.length;
  const out = b.fused.disentangledAttention!(
    { qkv, qBias, vBias, mask, ...(posKey === undefined ? {} : { posKey, posQuery }) },
    { numHeads: heads, scale: 0.125, span, returnProbs },
  );
  await b.download(out.context);
  const launches = addon.submits
    .slice(before)
    .flatMap((s) => s.commands)
    .filter((c) => c.fn !== undefined)
    .map((c) => ({ name: addon.functionNames[c.fn!]!, block: c.block!, grid: c.grid! }));
  b.close();
  return launches.filter((l) => l.name.startsWith("disentangled_attention"));
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
