// The WebGPU backend's own behaviour: device loss, out-of-memory and disposal as typed errors, the buffer
// pool, pipeline caching and batched submits, dtype handling at the boundaries.
import path from "node:path";
import { DebertaConfig } from "@deberta/config";
import { DebertaForSequenceClassification } from "@deberta/heads";
import { BackendError, Tensor } from "@deberta/tensor";
import { describe, expect, it } from "vitest";
import { gpuTitle, hasF16, skipNoGpu } from "../test/adapter.js";
import { fixturesDir } from "../test/fixtures.js";
import { createWebGpuBackend } from "./create.js";
import { findGpu } from "./device.js";
import type { WebGpuBackend } from "./webgpu-backend.js";

const f32 = (values: number[], dims: number[]) => new Tensor("float32", Float32Array.from(values), dims);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BackendError);
    return (e as BackendError).code;
  }
  return undefined;
}

async function seqcls() {
  const dir = path.join(fixturesDir(), "models", "base-like", "seqcls");
  return { dir, config: await DebertaConfig.from_pretrained(dir) };
}

/** Seeded values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let x = seed;
  return Float32Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 30 - 1;
  });
}

/**
 * A DeBERTa-v2 attention call (key bias, relative index table, both relative terms, probabilities): uploads
 * its inputs and returns the call.
 */
function v2Attention(backend: WebGpuBackend, table = [3, 0, 5, 1, 7, 2, 6, 4, 5]) {
  const [batch, length, heads, hs, span] = [1, 5, 2, 4, 4];
  const up = (dims: number[], seed: number) =>
    backend.upload(
      new Tensor(
        "float32",
        values(
          dims.reduce((x, y) => x * y),
          seed,
        ),
        dims,
      ),
    );
  const inputs = {
    qkv: up([batch, length, 3 * heads * hs], 1),
    qBias: up([heads * hs], 2),
    vBias: up([heads * hs], 3),
    kBias: up([heads * hs], 4),
    mask: backend.upload(new Tensor("int32", new Int32Array(batch * length).fill(1), [batch, length])),
    posKey: up([heads, 2 * span, hs], 5),
    posQuery: up([heads, 2 * span, hs], 6),
    relativeIndex: backend.upload(new Tensor("int32", Int32Array.from(table), [table.length])),
  };
  return () =>
    backend.fused.disentangledAttention!(inputs, { numHeads: heads, scale: 0.5, span, returnProbs: true });
}

const inputs = {
  input_ids: new Tensor("int64", BigInt64Array.from([1n, 5n, 7n, 2n]), [1, 4]),
  attention_mask: new Tensor("int64", BigInt64Array.from([1n, 1n, 1n, 1n]), [1, 4]),
};

describe.skipIf(skipNoGpu)(gpuTitle("webgpu backend"), () => {
  it("round-trips float32, int32 and int64 tensors", async () => {
    const backend = await createWebGpuBackend();
    const x = f32([1.5, -2, 3.25], [3]);
    expect(Array.from((await backend.download(backend.upload(x))).data as Float32Array)).toEqual([
      1.5, -2, 3.25,
    ]);
    const i = new Tensor("int32", Int32Array.from([7, -1]), [2]);
    expect(Array.from((await backend.download(backend.upload(i))).data as Int32Array)).toEqual([7, -1]);
    const l = new Tensor("int64", BigInt64Array.from([3n, 9n]), [1, 2]);
    const back = await backend.download(backend.upload(l));
    expect(back.type).toBe("int64");
    expect(Array.from(back.data as BigInt64Array)).toEqual([3n, 9n]);
    backend.close();
  });

  it("pools buffers of the sizes in use after stale sizes filled the pool (evicting those)", async () => {
    const backend = await createWebGpuBackend();
    // 2 x 256 MiB of outputs of one size: the pool's whole 512 MiB.
    const big = backend.upload(new Tensor("float32", new Float32Array(64 * 2 ** 20), [64 * 2 ** 20]));
    const stale = [0, 1].map(() => backend.run("affine", { x: big }, { scale: 2, shift: 0 }));
    await backend.sync();
    backend.dispose(big);
    for (const t of stale) backend.dispose(t);
    const small = backend.upload(f32([1, 2, 3, 4], [4]));
    backend.dispose(backend.run("affine", { x: small }, { scale: 2, shift: 1 }));
    const before = backend.stats().pooledBytes;
    const second = backend.run("affine", { x: small }, { scale: 3, shift: 0 });
    expect(backend.stats().pooledBytes).toBeLessThan(before);
    expect(Array.from((await backend.download(second)).data as Float32Array)).toEqual([3, 6, 9, 12]);
    backend.close();
  });

  it("rejects int64 values beyond int32 and indices out of range, naming the op", async () => {
    const backend = await createWebGpuBackend();
    expect(codeOf(() => backend.upload(new Tensor("int64", BigInt64Array.from([2n ** 40n]), [1])))).toBe(
      "BACKEND_DTYPE",
    );
    const table = backend.upload(f32([1, 2, 3, 4], [2, 2]));
    const ids = backend.upload(new Tensor("int32", Int32Array.from([0, 2]), [2]));
    expect(() => backend.run("gather", { table, indices: ids }, {})).toThrow(/gather: index 2 at position 1/);
    backend.close();
  });

  it("reports a tensor larger than the device's largest buffer as BACKEND_OUT_OF_MEMORY", async () => {
    const backend = await createWebGpuBackend();
    const limit = backend.device.limits.maxStorageBufferBindingSize;
    const rows = Math.ceil(Math.sqrt(limit / 4)) * 2;
    const a = backend.upload(new Tensor("float32", new Float32Array(rows), [rows, 1]));
    const b = backend.upload(new Tensor("float32", new Float32Array(rows), [1, rows]));
    let error: unknown;
    try {
      backend.run("binary", { a, b }, { op: "add" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).code).toBe("BACKEND_OUT_OF_MEMORY");
    expect((error as BackendError).message).toMatch(
      new RegExp(`binary: a tensor of shape \\[${rows}, ${rows}\\]`),
    );
    backend.close();
  });

  it("turns device loss into BACKEND_DEVICE_LOST for ops and for a model's forward", async () => {
    const backend = await createWebGpuBackend();
    const { dir, config } = await seqcls();
    const model = await DebertaForSequenceClassification.from_pretrained(dir, { backend, config });
    const x = backend.upload(f32([1, 2], [2]));
    backend.device.destroy();
    await backend.device.lost;
    expect(codeOf(() => backend.run("unary", { x }, { op: "exp" }))).toBe("BACKEND_DEVICE_LOST");
    await expect(model(inputs)).rejects.toMatchObject({ code: "BACKEND_DEVICE_LOST" });
    backend.close();
  });

  it("frees everything on close; later use fails with BACKEND_DISPOSED", async () => {
    const backend = await createWebGpuBackend();
    const { dir, config } = await seqcls();
    const model = await DebertaForSequenceClassification.from_pretrained(dir, { backend, config });
    expect((await model(inputs)).logits?.dims).toEqual([1, 3]);
    expect(backend.memory().tensors).toBeGreaterThan(0);
    backend.close();
    expect(backend.memory()).toMatchObject({ bytesInUse: 0, tensors: 0 });
    expect(backend.stats()).toMatchObject({ pipelines: 0, pooledBytes: 0 });
    await expect(model(inputs)).rejects.toMatchObject({ code: "BACKEND_DISPOSED" });
    expect(codeOf(() => backend.upload(f32([1], [1])))).toBe("BACKEND_DISPOSED");
  });

  it("disposing a model gives its GPU memory back", async () => {
    const backend = await createWebGpuBackend();
    const { dir, config } = await seqcls();
    const model = await DebertaForSequenceClassification.from_pretrained(dir, { backend, config });
    await model(inputs);
    expect(backend.memory().bytesInUse).toBeGreaterThan(0);
    model.dispose();
    expect(backend.memory()).toMatchObject({ bytesInUse: 0, tensors: 0 });
    backend.close();
  });

  it("a disposed model fails clearly", async () => {
    const backend = await createWebGpuBackend();
    const { dir, config } = await seqcls();
    const model = await DebertaForSequenceClassification.from_pretrained(dir, { backend, config });
    model.dispose();
    await expect(model(inputs)).rejects.toThrow(/disposed/);
    backend.close();
  });

  it("a disposed tensor cannot be used", async () => {
    const backend = await createWebGpuBackend();
    const x = backend.upload(f32([1, 2], [2]));
    backend.dispose(x);
    expect(codeOf(() => backend.run("unary", { x }, { op: "exp" }))).toBe("BACKEND_DISPOSED");
    backend.close();
  });

  it("reuses pooled buffers, caches pipelines by key, and submits a forward pass at once", async () => {
    const backend = await createWebGpuBackend();
    const { dir, config } = await seqcls();
    const model = await DebertaForSequenceClassification.from_pretrained(dir, { backend, config });
    await model(inputs);
    const first = backend.stats();
    const held = backend.memory().bytesInUse;
    await model(inputs);
    const second = backend.stats();
    // Same shapes, same programs: nothing compiled the second time.
    expect(second.pipelines).toBe(first.pipelines);
    // The whole forward (hundreds of dispatches) goes in one submit, plus one for the read of the logits.
    expect(second.submits - first.submits).toBeLessThanOrEqual(2);
    expect(second.dispatches - first.dispatches).toBeGreaterThan(10);
    // Intermediates went back to the pool and nothing leaked between calls.
    expect(backend.memory().bytesInUse).toBe(held);
    expect(second.pooledBytes).toBeGreaterThan(0);
    backend.close();
  });

  it.skipIf(hasF16)(
    hasF16
      ? "asking for fp16 without shader-f16 is BACKEND_UNAVAILABLE — skipped: this adapter has shader-f16"
      : "asking for fp16 without shader-f16 is BACKEND_UNAVAILABLE",
    async () => {
      await expect(createWebGpuBackend({ dtype: "fp16" })).rejects.toMatchObject({
        code: "BACKEND_UNAVAILABLE",
      });
    },
  );

  it("runs v2 attention in one dispatch, or as the reference on a device with 8 storage bindings", async () => {
    const backend = await createWebGpuBackend();
    const adapter = await (await findGpu()).requestAdapter();
    const plain = await adapter!.requestDevice();
    expect(plain.limits.maxStorageBuffersPerShaderStage).toBeLessThan(10);
    const limited = await createWebGpuBackend({ device: plain });
    const outputs = [];
    const dispatches = [];
    for (const b of [backend, limited]) {
      const call = v2Attention(b);
      await b.sync();
      const before = b.stats().dispatches;
      const out = call();
      await b.sync();
      dispatches.push(b.stats().dispatches - before);
      outputs.push([await b.download(out.context), await b.download(out.probs!)]);
    }
    expect(dispatches[0]).toBe(1);
    expect(dispatches[1]).toBeGreaterThan(1);
    for (let k = 0; k < 2; k++) {
      const [a, r] = [outputs[0]![k]!.data as Float32Array, outputs[1]![k]!.data as Float32Array];
      expect(Math.max(...a.map((v, e) => Math.abs(v - r[e]!)))).toBeLessThan(1e-5);
    }
    backend.close();
    limited.close();
    plain.destroy();
  });

  it("rejects a relative index table of the wrong length or out of [0, 2 span), naming it", async () => {
    const backend = await createWebGpuBackend();
    expect(() => v2Attention(backend, [0, 1, 2])()).toThrow(
      /relativeIndex must be \[2 \* length - 1\] = \[9\]/,
    );
    expect(() => v2Attention(backend, [3, 0, 5, 1, 8, 2, 6, 4, 5])()).toThrow(
      /disentangledAttention relativeIndex: index 8 at position 4 is outside \[0, 8\)/,
    );
    backend.close();
  });

  it("takes a device the caller owns and leaves it usable after close", async () => {
    const owner = await createWebGpuBackend();
    const backend = await createWebGpuBackend({ device: owner.device });
    backend.close();
    const x = owner.upload(f32([2], [1]));
    expect(
      Array.from((await owner.download(owner.run("unary", { x }, { op: "neg" }))).data as Float32Array),
    ).toEqual([-2]);
    owner.close();
  });
});
