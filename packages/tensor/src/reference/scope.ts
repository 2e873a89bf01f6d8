import type { Backend } from "../backend.js";
import type { TensorHandle } from "../handle.js";

/**
 * Tracks the intermediate tensors of a reference kernel so that they are disposed when it returns,
 * keeping the result.
 */
export class Scope {
  private readonly owned: TensorHandle[] = [];
  constructor(readonly backend: Backend) {}

  keep<T extends TensorHandle>(h: T): T {
    this.owned.push(h);
    return h;
  }

  disposeExcept(...results: (TensorHandle | undefined)[]): void {
    for (const h of this.owned) if (!results.includes(h) && h.alive) this.backend.dispose(h);
  }
}
