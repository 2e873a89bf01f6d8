// Linear-time scaling of ours. Every repetition uses a fresh tokenizer (cold BPE word cache) so no size
// profits from words cached by an earlier run; only the encode call is timed.
// Separate from the throughput run: ours alone, on inputs generated per size, with its own repetitions.
import { byteLength, makeGenerator, mulberry32, proseOfBytes, SEED } from "./corpus.mjs";
import { MIB, median, round, timed } from "./measure.mjs";
import { makeOurs } from "./tokenizers.mjs";

export const SCALING_REPS = 5;
export const LINEARITY_WARN = 2;

function scalingTable({ name, sizes, unit, perUnit, build, run }) {
  const rows = [];
  // One untimed pass on the smallest size so the first row does not pay for JIT compilation.
  run(makeOurs({ pad_token: "<|endoftext|>" }), build(sizes[0], -1));
  for (const [i, size] of sizes.entries()) {
    const input = build(size, i);
    const ms = [];
    let info = null;
    for (let rep = 0; rep < SCALING_REPS; rep++) {
      const tokenizer = makeOurs({ pad_token: "<|endoftext|>" });
      const r = timed(() => run(tokenizer, input));
      ms.push(r.ms);
      info = r.value;
    }
    const med = median(ms);
    rows.push({ size, ...info, medianMs: round(med, 2), samplesMs: ms.map((x) => round(x, 2)) });
  }
  for (const row of rows) row[`msPer${unit}`] = round(row.medianMs / (row.size / perUnit), 2);
  const key = `msPer${unit}`;
  const ratio = round(rows[rows.length - 1][key] / rows[0][key], 2);
  return { name, unit, rows, largestOverSmallest: ratio, linear: ratio <= LINEARITY_WARN };
}

export function runScaling() {
  const encodeOnce = (tokenizer, text) => {
    const ids = tokenizer.encode(text, { add_special_tokens: false });
    return { bytes: byteLength(text), tokens: ids.length };
  };

  const singleString = scalingTable({
    name: "single string, prose (one encode call)",
    sizes: [MIB / 8, MIB / 4, MIB / 2, MIB],
    unit: "MiB",
    perUnit: MIB,
    build: (size, i) => proseOfBytes(size, SEED + 1000 + i),
    run: encodeOnce,
  });

  const batch = scalingTable({
    name: "batch of sentences with padding (one call)",
    sizes: [1250, 2500, 5000, 10000],
    unit: "1kSentences",
    perUnit: 1000,
    build: (n, i) => {
      const gen = makeGenerator(SEED + 2000 + i);
      return Array.from({ length: n }, () => gen.sentence());
    },
    run: (tokenizer, batchTexts) => {
      const out = tokenizer(batchTexts, { padding: true, add_special_tokens: false });
      const ids = out.input_ids;
      const mask = out.attention_mask;
      let tokens = 0;
      for (const row of mask) for (const m of row) tokens += m;
      return { rows: ids.length, paddedLength: ids[0].length, tokens };
    },
  });

  const noSpace = scalingTable({
    name: "one pre-token: random lowercase letters, no space or punctuation",
    sizes: [64 * 1024, 128 * 1024, 256 * 1024],
    unit: "MiB",
    perUnit: MIB,
    build: (size, i) => {
      const rand = mulberry32(SEED + 3000 + i);
      let s = "";
      for (let k = 0; k < size; k++) s += String.fromCharCode(97 + Math.floor(rand() * 26));
      return s;
    },
    run: encodeOnce,
  });

  return { singleString, batch, noSpace };
}
