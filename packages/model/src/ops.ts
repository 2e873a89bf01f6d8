import { type Activation, type Backend, runFused, type TensorHandle } from "@deberta/tensor";

/**
 * The few operations the model is written in, on one backend. `free` disposes intermediates as soon as
 * they are consumed, so a forward pass holds only what it still needs.
 */
export class Ops {
  constructor(readonly backend: Backend) {}

  free(...handles: (TensorHandle | undefined)[]): void {
    for (const h of handles) if (h?.alive) this.backend.dispose(h);
  }

  linear(x: TensorHandle, weight: TensorHandle, bias?: TensorHandle, activation?: Activation): TensorHandle {
    return runFused(
      this.backend,
      "linear",
      bias === undefined ? { x, weight } : { x, weight, bias },
      activation === undefined ? {} : { activation },
    );
  }

  layerNorm(
    x: TensorHandle,
    gamma: TensorHandle,
    beta: TensorHandle,
    epsilon: number,
    residual?: TensorHandle,
  ): TensorHandle {
    return runFused(
      this.backend,
      "layerNorm",
      residual === undefined ? { x, gamma, beta } : { x, residual, gamma, beta },
      { epsilon },
    );
  }

  add(a: TensorHandle, b: TensorHandle): TensorHandle {
    return this.backend.run("binary", { a, b }, { op: "add" });
  }

  mul(a: TensorHandle, b: TensorHandle): TensorHandle {
    return this.backend.run("binary", { a, b }, { op: "mul" });
  }

  scale(x: TensorHandle, factor: number): TensorHandle {
    return this.backend.run("affine", { x }, { scale: factor, shift: 0 });
  }

  gather(table: TensorHandle, indices: TensorHandle): TensorHandle {
    return this.backend.run("gather", { table, indices }, {});
  }

  reshape(x: TensorHandle, shape: readonly number[]): TensorHandle {
    return this.backend.run("reshape", { x }, { shape });
  }

  transpose(x: TensorHandle, perm: readonly number[]): TensorHandle {
    return this.backend.run("transpose", { x }, { perm });
  }

  slice(
    x: TensorHandle,
    starts: readonly number[],
    ends: readonly number[],
    axes: readonly number[],
  ): TensorHandle {
    return this.backend.run("slice", { x }, { starts, ends, axes });
  }
}
