// The CPU backend's pool of disposed output arrays: a pool filled by arrays of lengths that later passes no
// longer ask for (a server's batches change shape) must still take and hand back the arrays of the lengths in
// use, by evicting the stale ones; else every later pass allocates all its intermediates afresh.
import { Tensor } from "@deberta/tensor";
import { describe, expect, it } from "vitest";
import { CpuBackend } from "./cpu-backend.js";
import { jsGemm } from "./gemm.js";

describe("cpu backend output pool", () => {
  it("reuses arrays of the lengths in use after stale lengths filled it", () => {
    const backend = new CpuBackend({ gemm: jsGemm });
    // 2 x 128 MiB of outputs of one length: the pool's whole 256 MiB.
    const big = backend.upload(new Tensor("float32", new Float32Array(32 * 2 ** 20), [32 * 2 ** 20]));
    const stale = [0, 1].map(() => backend.run("affine", { x: big }, { scale: 2, shift: 0 }));
    backend.dispose(big);
    for (const t of stale) backend.dispose(t);

    const small = backend.upload(
      new Tensor(
        "float32",
        Float32Array.from({ length: 1000 }, (_, i) => i),
        [1000],
      ),
    );
    const first = backend.run("affine", { x: small }, { scale: 2, shift: 1 });
    const array = backend.read(first);
    backend.dispose(first);
    const second = backend.run("affine", { x: small }, { scale: 3, shift: 0 });
    expect(backend.read(second)).toBe(array);
    expect(backend.read(second)[10]).toBe(30);
    backend.dispose(second);
    backend.dispose(small);
    backend.close();
  });
});
