// The DeBERTa-base-sized synthetic checkpoint (../shared/tools/make-synthetic-base.mjs) and the input the
// fixture README describes, shared by the benchmark and the parity test.
// The checkpoint itself is @deberta/testing's (shared with the other benchmarks); the input and the FLOP count
// are this benchmark's.
export { ensureSynthetic, repoRoot, sharedDir, syntheticDir } from "@deberta/testing/synthetic";

/**
 * Row b, token t = 5 + ((b·1000003 + t·7919) mod 50000); first token 1, last real token 2; the second row
 * (and every odd row) has 100 real tokens then padding.
 */
export function syntheticInput(batch, length = 128) {
  const ids = new BigInt64Array(batch * length);
  const mask = new BigInt64Array(batch * length);
  for (let b = 0; b < batch; b++) {
    const real = b % 2 === 1 ? Math.min(100, length) : length;
    for (let t = 0; t < length; t++) {
      let id = 0;
      if (t < real) id = t === 0 ? 1 : t === real - 1 ? 2 : 5 + ((b * 1000003 + t * 7919) % 50000);
      ids[b * length + t] = BigInt(id);
      mask[b * length + t] = t < real ? 1n : 0n;
    }
  }
  return { ids, mask, dims: [batch, length] };
}

/** Multiply-adds ×2 of one forward of the synthetic model (GEMMs only; relative projections cached). */
export function forwardFlops(batch, length, config) {
  const h = config.hidden_size;
  const i = config.intermediate_size;
  const tokens = batch * length;
  const perLayer = 2 * tokens * h * (3 * h) + 2 * tokens * h * h + 2 * 2 * tokens * h * i;
  const span = Math.min(length, config.max_position_embeddings);
  const attention = 2 * batch * h * length * length * 2 + 2 * 2 * batch * h * length * 2 * span;
  return config.num_hidden_layers * (perLayer + attention) + 2 * batch * h * h;
}
