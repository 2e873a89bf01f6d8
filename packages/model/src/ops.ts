import { type Activation, type Backend, runFused, type TensorHandle } from "@deberta/tensor";
import type { Fp16OverflowCheck } from "./fp16-overflow.js";
import { weightModule } from "./weights.js";

/**
 * The few operations the model is written in, on one backend. `free` disposes intermediates as soon as
 * they are consumed, so a forward pass holds only what it still needs. Inside `checking`, every linear and
 * LayerNorm output is also counted for float16 overflow (fp16-overflow.ts), named after its weights' module.
 */
export class Ops {
  /** The float16 checks of the forward pass being recorded (forward passes record without awaiting). */
  private checks: Fp16OverflowCheck | undefined;
  /** The part of the model being recorded: the name of outputs whose weights are not checkpoint weights. */
  private block = "model";

  constructor(readonly backend: Backend) {}

  /**
   * Runs `run` with `checks` counting every linear and LayerNorm output it computes (nothing when undefined)
   * and `block` naming the part of the model for weights without a checkpoint name.
   */
  checking<T>(checks: Fp16OverflowCheck | undefined, block: string, run: () => T): T {
    const saved = { checks: this.checks, block: this.block };
    this.checks = checks;
    this.block = block;
    try {
      return run();
    } finally {
      this.checks = saved.checks;
      this.block = saved.block;
    }
  }

  /** Runs `run` as part `block` of the model, under the current checks. */
  within<T>(block: string, run: () => T): T {
    return this.checking(this.checks, block, run);
  }

  /** Checks an output computed outside linear / LayerNorm (attention score terms), as `what` of the block. */
  check(x: TensorHandle | undefined, what: string): void {
    if (x !== undefined) this.checks?.record(x, `${this.block} (${what})`);
  }

  /** Checks `out` under the module of the first named weight (a linear's bias first: a tied decoder's weight is the embeddings'). */
  private checkOutput(out: TensorHandle, op: string, ...weights: (TensorHandle | undefined)[]): void {
    if (this.checks === undefined) return;
    const named = weights.map(weightModule).find((m) => m !== undefined);
    this.checks.record(out, named ?? `${this.block} (${op})`);
  }

  free(...handles: (TensorHandle | undefined)[]): void {
    for (const h of handles) if (h?.alive) this.backend.dispose(h);
  }

  linear(x: TensorHandle, weight: TensorHandle, bias?: TensorHandle, activation?: Activation): TensorHandle {
    const out = runFused(
      this.backend,
      "linear",
      bias === undefined ? { x, weight } : { x, weight, bias },
      activation === undefined ? {} : { activation },
    );
    this.checkOutput(out, "linear", bias, weight);
    return out;
  }

  layerNorm(
    x: TensorHandle,
    gamma: TensorHandle,
    beta: TensorHandle,
    epsilon: number,
    residual?: TensorHandle,
  ): TensorHandle {
    const out = runFused(
      this.backend,
      "layerNorm",
      residual === undefined ? { x, gamma, beta } : { x, residual, gamma, beta },
      { epsilon },
    );
    this.checkOutput(out, "LayerNorm", gamma, beta);
    return out;
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
