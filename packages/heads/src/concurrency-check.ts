// Overlapping calls of one model (a server calling it from many requests) must each return exactly what the
// call returns alone: these build seeded random calls and compare, bit for bit, every output of the calls
// run together against the same calls run one after another. Shared by the backends' tests (no Node APIs).
import type { DebertaConfig } from "@deberta/config";
import { Tensor } from "@deberta/tensor";
import type { DebertaPreTrainedModel, HeadCallInputs, HeadCallOutputs } from "./pretrained.js";

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomCallsOptions {
  seed?: number;
  /** Largest batch (default 4); each call draws its batch in [1, maxBatch]. */
  maxBatch?: number;
  /** Longest sequence (default min(64, max_position_embeddings)); each call draws its length in [1, it]. */
  maxLength?: number;
  /** Class labels [batch] in [0, num_labels) on every other call (sequence classification). */
  classLabels?: boolean;
}

/**
 * `count` calls with different batch sizes and lengths: ids drawn within the vocabulary, rows padded
 * after a random number of real tokens, token types where the config has them, hidden states asked for on
 * every third call.
 */
export function randomCalls(
  config: DebertaConfig,
  count: number,
  options: RandomCallsOptions = {},
): HeadCallInputs[] {
  const random = seededRandom(options.seed ?? 1);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const maxBatch = options.maxBatch ?? 4;
  const maxLength = options.maxLength ?? Math.min(64, config.max_position_embeddings);
  return Array.from({ length: count }, (_, call) => {
    const batch = int(1, maxBatch);
    const length = int(1, maxLength);
    const ids = new BigInt64Array(batch * length);
    const mask = new BigInt64Array(batch * length);
    const types = new BigInt64Array(batch * length);
    for (let b = 0; b < batch; b++) {
      const real = int(1, length);
      for (let t = 0; t < length; t++) {
        const i = b * length + t;
        ids[i] = t < real ? BigInt(int(0, config.vocab_size - 1)) : BigInt(config.pad_token_id ?? 0);
        mask[i] = t < real ? 1n : 0n;
        types[i] = config.type_vocab_size > 0 ? BigInt(int(0, config.type_vocab_size - 1)) : 0n;
      }
    }
    const inputs: HeadCallInputs = {
      input_ids: new Tensor("int64", ids, [batch, length]),
      attention_mask: new Tensor("int64", mask, [batch, length]),
      token_type_ids: new Tensor("int64", types, [batch, length]),
    };
    if (call % 3 === 0) inputs.output_hidden_states = true;
    if (options.classLabels && call % 2 === 0) {
      const labels = BigInt64Array.from({ length: batch }, () => BigInt(int(0, config.num_labels - 1)));
      inputs.labels = new Tensor("int64", labels, [batch]);
    }
    return inputs;
  });
}

/** Every output tensor of a call, by name ("logits", "loss", "hidden_states.2", ...). */
function outputTensors(out: HeadCallOutputs): Map<string, Tensor> {
  const named = new Map<string, Tensor>();
  for (const [name, value] of Object.entries(out)) {
    if (Array.isArray(value)) {
      value.forEach((t, i) => {
        named.set(`${name}.${i}`, t as Tensor);
      });
    } else if (value !== undefined) named.set(name, value as Tensor);
  }
  return named;
}

/** Where two outputs differ bit for bit (undefined when they are identical). */
function bitwiseDifference(alone: Tensor, together: Tensor): string | undefined {
  if (alone.dims.join() !== together.dims.join())
    return `dims [${together.dims.join(", ")}] instead of [${alone.dims.join(", ")}]`;
  const a = alone.data as ArrayLike<number | bigint>;
  const b = together.data as ArrayLike<number | bigint>;
  const bits = (d: ArrayLike<number | bigint>) =>
    d instanceof Float32Array ? new Uint32Array(d.buffer, d.byteOffset, d.length) : d;
  const [x, y] = [bits(a), bits(b)];
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) return `element ${i} is ${b[i]} instead of ${a[i]}`;
  }
  return undefined;
}

export interface ConcurrentCallsCheck {
  /** "call 7: logits element 3 is ... instead of ..." for every call whose outputs differ; empty when none. */
  mismatches: string[];
  /** Outputs compared in all (a check that compared nothing proves nothing). */
  compared: number;
}

/**
 * Runs `calls` one after another, then all at once (started together, awaited together), and compares
 * every output of each call bit for bit.
 */
export async function checkConcurrentCalls(
  model: DebertaPreTrainedModel,
  calls: readonly HeadCallInputs[],
): Promise<ConcurrentCallsCheck> {
  const alone: HeadCallOutputs[] = [];
  for (const inputs of calls) alone.push(await model(inputs));
  const together = await Promise.all(calls.map((inputs) => model(inputs)));
  const mismatches: string[] = [];
  let compared = 0;
  together.forEach((out, call) => {
    const expected = outputTensors(alone[call]!);
    const got = outputTensors(out);
    for (const name of new Set([...expected.keys(), ...got.keys()])) {
      const a = expected.get(name);
      const b = got.get(name);
      if (a === undefined || b === undefined) {
        mismatches.push(`call ${call}: ${name} ${a === undefined ? "only together" : "only alone"}`);
        continue;
      }
      compared++;
      const difference = bitwiseDifference(a, b);
      if (difference !== undefined) mismatches.push(`call ${call}: ${name} ${difference}`);
    }
  });
  return { mismatches, compared };
}
