// float16 overflow detection. A backend that stores floats in float16 saturates its stores at ±65504 (so
// that masking with float32's lowest value stays finite): a value beyond float16's range does not become inf
// there, it quietly becomes 65504, and the LayerNorm after it returns finite, plausible, wrong numbers — the
// overflow mDeBERTa is known for in PyTorch's fp16, without even the NaN. So on such a backend every linear and
// LayerNorm output of a forward pass (the stores where values grow) is counted by the fused op overflowCount
// (values that reached 65504, or inf / NaN) into one small tally on the backend, read back once with the
// outputs; the first check that counted anything names its layer. float32 and bfloat16 have float32's range
// and are not checked unless asked.
import { type Backend, runFused, type TensorHandle } from "@deberta/tensor";
import { ModelError } from "./errors.js";

/** float16's largest finite value: where float16 stores saturate. */
export const FLOAT16_MAX = 65504;

/** What a checkpoint module path is, in words, for the error message. */
const ROLES: readonly [RegExp, string][] = [
  [/^embeddings\./, "embeddings"],
  [/\.attention\.self\./, "attention projections"],
  [/\.attention\.output\./, "attention output"],
  [/\.attention\b/, "attention"],
  [/\.intermediate\./, "feed-forward"],
  [/^encoder\.layer\.\d+\.output\./, "feed-forward output"],
  [/^encoder\.conv\b/, "convolution layer"],
  [/^encoder\.(LayerNorm|rel_embeddings)\b/, "relative position embeddings"],
  [/^encoder\.layer\.\d+/, "encoder layer"],
];

function role(site: string): string {
  return ROLES.find(([pattern]) => pattern.test(site))?.[1] ?? "task head";
}

/**
 * The float16 range checks of one forward pass: a tally of out-of-range values per checked output, on the
 * backend, and the layer each check belongs to. `verify()` reads it back (one small download) and throws
 * `ModelError` `MODEL_FP16_OVERFLOW` naming the first layer whose output overflowed.
 */
export class Fp16OverflowCheck {
  private tally: TensorHandle | undefined;
  private readonly sites: string[] = [];
  /** What verify() found ("passed", or the error it threw), or "disposed" when the tally was dropped unread. */
  private outcome: "passed" | "disposed" | ModelError | undefined;

  private constructor(
    readonly backend: Backend,
    private readonly onOverflow: (() => void) | undefined,
  ) {}

  /**
   * The checks of a forward pass on `backend`: by default only where it stores floats in float16; `enabled`
   * true checks on any backend (would float16 hold this model's values?), false never. `onOverflow` runs
   * when `verify` finds an overflow (a model drops caches computed with the overflowed values).
   */
  static create(
    backend: Backend,
    enabled: boolean | undefined,
    onOverflow?: () => void,
  ): Fp16OverflowCheck | undefined {
    const on = enabled ?? backend.floatStorage === "float16";
    return on ? new Fp16OverflowCheck(backend, onOverflow) : undefined;
  }

  /** The layers checked so far, in order. */
  get layers(): readonly string[] {
    return this.sites;
  }

  /** Counts the values of `x` out of float16's range as the check of `layer` (a module path). */
  record(x: TensorHandle, layer: string): void {
    const previous = this.tally;
    this.tally = runFused(
      this.backend,
      "overflowCount",
      previous === undefined ? { x } : { x, counts: previous },
      { limit: FLOAT16_MAX },
    );
    if (previous?.alive) this.backend.dispose(previous);
    this.sites.push(layer);
  }

  /**
   * Reads the tally back and frees it; throws MODEL_FP16_OVERFLOW naming the first layer whose output had
   * values out of float16's range. Call it before trusting (downloading) the forward pass's outputs; calling
   * it again gives the same answer.
   */
  async verify(): Promise<void> {
    if (this.outcome === "passed") return;
    if (this.outcome === "disposed")
      throw new ModelError(
        "MODEL_DISPOSED",
        "The float16 checks of this forward pass were disposed before they were read: nothing is known about its outputs",
      );
    if (this.outcome !== undefined) throw this.outcome;
    const tally = this.tally;
    this.tally = undefined;
    let counts: ArrayLike<number | bigint> = [];
    try {
      if (tally !== undefined)
        counts = (await this.backend.download(tally)).data as ArrayLike<number | bigint>;
    } finally {
      if (tally?.alive) this.backend.dispose(tally);
    }
    const failed = this.sites.flatMap((layer, i) =>
      Number(counts[i]) > 0 ? [{ layer, count: Number(counts[i]) }] : [],
    );
    const first = failed[0];
    if (first === undefined) {
      this.outcome = "passed";
      return;
    }
    this.onOverflow?.();
    const later = failed.length - 1;
    this.outcome = new ModelError(
      "MODEL_FP16_OVERFLOW",
      `fp16 overflow in ${first.layer} (${role(first.layer)}): ${first.count} value${first.count === 1 ? "" : "s"} of its output reached float16's limit ±${FLOAT16_MAX} or ${first.count === 1 ? "is" : "are"} not finite` +
        `${later > 0 ? ` (and ${later} later check${later === 1 ? "" : "s"})` : ""}` +
        ` — this model's activations do not fit float16 on this input: run it in float32 or bfloat16`,
      { layer: first.layer },
    );
    throw this.outcome;
  }

  /**
   * Frees the tally without reading it (a forward pass that failed or whose outputs are not used); a later
   * verify() then throws MODEL_DISPOSED. After verify() it changes nothing.
   */
  dispose(): void {
    if (this.tally?.alive) this.backend.dispose(this.tally);
    this.tally = undefined;
    this.outcome ??= "disposed";
  }
}
