// Throughput: ours vs @huggingface/tokenizers vs js-tiktoken on the corpus, one call per line and one per
// 64 KiB chunk, warm-up then interleaved timed repetitions, with the identical-ids check. Separate from the
// scaling tables (ours alone) and from the report in run.mjs.
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { getEncoding } from "js-tiktoken";
import { byteLength } from "./corpus.mjs";
import { firstDifference, MIB, median, round, sameIds, timed } from "./measure.mjs";
import { makeOurs, tokenizerJson } from "./tokenizers.mjs";

export const REPS = Math.max(3, Number.parseInt(process.env.BENCH_REPS ?? "5", 10) || 5);

export function runThroughput(corpus) {
  const t0 = performance.now();
  const ours = makeOurs();
  const oursBuildMs = performance.now() - t0;
  const t1 = performance.now();
  const hf = new HfTokenizer(structuredClone(tokenizerJson), {});
  const hfBuildMs = performance.now() - t1;
  const t2 = performance.now();
  const tiktoken = getEncoding("gpt2");
  const tiktokenBuildMs = performance.now() - t2;

  const encoders = {
    ours: { encode: (s) => ours.encode(s, { add_special_tokens: false }), buildMs: oursBuildMs },
    "@huggingface/tokenizers": {
      encode: (s) => hf.encode(s, { add_special_tokens: false }).ids,
      buildMs: hfBuildMs,
    },
    "js-tiktoken": { encode: (s) => tiktoken.encode(s), buildMs: tiktokenBuildMs },
  };
  const names = Object.keys(encoders);

  const modes = {
    lines: { inputs: corpus.lines, bytes: corpus.lines.reduce((n, l) => n + byteLength(l), 0) },
    chunks64k: { inputs: corpus.chunks, bytes: byteLength(corpus.text) },
  };

  const outputs = {}; // outputs[mode][name] = ids per input (from the warm-up run)
  const samples = {}; // samples[mode][name] = ms per repetition
  for (const [mode, { inputs }] of Object.entries(modes)) {
    outputs[mode] = {};
    samples[mode] = {};
    // Warm-up (JIT and every tokenizer's word cache), keeping the ids for the parity check.
    for (const name of names) {
      const { encode } = encoders[name];
      outputs[mode][name] = inputs.map((s) => encode(s));
      samples[mode][name] = [];
    }
    // Timed repetitions, interleaved so that drift (turbo, thermal, other load) hits all three alike.
    for (let rep = 0; rep < REPS; rep++) {
      for (const name of names) {
        const { encode } = encoders[name];
        const { ms, value } = timed(() => {
          let tokens = 0;
          for (let i = 0; i < inputs.length; i++) tokens += encode(inputs[i]).length;
          return tokens;
        });
        samples[mode][name].push(ms);
        const expected = outputs[mode][name].reduce((n, ids) => n + ids.length, 0);
        if (value !== expected) throw new Error(`${name} is not deterministic on ${mode}`);
      }
    }
  }

  const results = {};
  for (const name of names) {
    results[name] = { buildMs: round(encoders[name].buildMs, 1) };
    for (const [mode, { inputs, bytes }] of Object.entries(modes)) {
      const ms = median(samples[mode][name]);
      const tokens = outputs[mode][name].reduce((n, ids) => n + ids.length, 0);
      results[name][mode] = {
        calls: inputs.length,
        bytes,
        tokens,
        medianMs: round(ms, 1),
        samplesMs: samples[mode][name].map((x) => round(x, 1)),
        mibPerSec: round(bytes / MIB / (ms / 1000), 2),
        tokensPerSec: Math.round(tokens / (ms / 1000)),
      };
    }
  }

  const ratios = {};
  for (const other of names.slice(1)) {
    ratios[`ours/${other}`] = {};
    for (const mode of Object.keys(modes)) {
      ratios[`ours/${other}`][mode] = round(results.ours[mode].mibPerSec / results[other][mode].mibPerSec, 2);
    }
  }

  const identical = {};
  for (const other of names.slice(1)) {
    identical[other] = {};
    for (const [mode, { inputs }] of Object.entries(modes)) {
      const mine = outputs[mode].ours;
      const theirs = outputs[mode][other];
      let mismatches = 0;
      let first = null;
      for (let i = 0; i < inputs.length; i++) {
        if (sameIds(mine[i], theirs[i])) continue;
        mismatches++;
        if (first === null) {
          const at = firstDifference(mine[i], theirs[i]);
          first = {
            index: i,
            input: inputs[i].length > 300 ? inputs[i].slice(0, 300) + "…" : inputs[i],
            tokenIndex: at,
            ours: mine[i].slice(Math.max(0, at - 3), at + 8),
            [other]: Array.from(theirs[i].slice(Math.max(0, at - 3), at + 8)),
          };
        }
      }
      identical[other][mode] = { identical: mismatches === 0, mismatches, of: inputs.length, first };
    }
    identical[other].identical = Object.values(identical[other]).every((m) => m.identical !== false);
  }

  return { results, ratios, identical };
}
