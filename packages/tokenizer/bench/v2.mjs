// DeBERTa-v2/v3 (SentencePiece Unigram) throughput: DebertaV2Tokenizer (ours, from ../dist) against
// @huggingface/tokenizers on the same tokenizer.json (the fixture's 4.x layout: Precompiled NFKC charsmap,
// Metaspace, Unigram), in one process, on the deterministic corpus of corpus.mjs, one encode call per line
// without special tokens, for the 4.x layout (Precompiled) and the 5.x layout (NFC). Also compares the ids
// of every line. @huggingface/tokenizers does not read the precompiled charsmap (it approximates it with
// String.prototype.normalize("NFKC") and regexes that, e.g., turn U+200D ZERO WIDTH JOINER into a space,
// which the charsmap keeps): lines with U+200D are counted apart as `explainedMismatches`; any other
// mismatch fails the run. Prints a summary and writes bench-results/tokenizer-v2.json.
// Usage: `npx tsup && node bench/v2.mjs` (BENCH_REPS, default 5).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { DebertaV2Tokenizer } from "../dist/index.js";
import { buildCorpus, byteLength } from "./corpus.mjs";
import { firstDifference, log, MIB, median, round, sameIds } from "./measure.mjs";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const FIXTURES = process.env.DEBERTA_FIXTURES ?? path.resolve(PACKAGE_DIR, "../../../shared/fixtures");
const REPS = Math.max(3, Number(process.env.BENCH_REPS ?? 5));

function runLayout(layout) {
  const dir = path.join(FIXTURES, "deberta-v2", layout);
  const json = JSON.parse(readFileSync(path.join(dir, "tokenizer.json"), "utf8"));
  const config = JSON.parse(readFileSync(path.join(dir, "tokenizer_config.json"), "utf8"));
  let t = performance.now();
  const ours = DebertaV2Tokenizer.from_tokenizer_json(structuredClone(json), config);
  const oursBuildMs = performance.now() - t;
  t = performance.now();
  const hf = new HfTokenizer(structuredClone(json), config);
  const hfBuildMs = performance.now() - t;
  const contenders = {
    ours: (s) => ours.encode(s, { add_special_tokens: false }),
    "@huggingface/tokenizers": (s) => hf.encode(s, { add_special_tokens: false }).ids,
  };
  const { lines } = buildCorpus();
  const bytes = lines.reduce((n, l) => n + byteLength(l), 0);

  // Identical output, line by line.
  let mismatches = 0;
  let explainedMismatches = 0;
  let firstMismatch = null;
  for (const line of lines) {
    const a = contenders.ours(line);
    const b = contenders["@huggingface/tokenizers"](line);
    if (!sameIds(a, b)) {
      if (line.includes("\u200d")) explainedMismatches++;
      else {
        mismatches++;
        firstMismatch ??= { line, ...firstDifference(a, b) };
      }
    }
  }

  const times = { ours: [], "@huggingface/tokenizers": [] };
  let tokens = 0;
  for (let rep = -1; rep < REPS; rep++) {
    for (const [name, encode] of Object.entries(contenders)) {
      const start = performance.now();
      let n = 0;
      for (const line of lines) n += encode(line).length;
      const seconds = (performance.now() - start) / 1000;
      if (rep >= 0) times[name].push(seconds);
      tokens = n;
    }
  }
  const results = {};
  for (const [name, ts] of Object.entries(times)) {
    const s = median(ts);
    results[name] = {
      medianSeconds: round(s, 4),
      mibPerSecond: round(bytes / MIB / s),
      tokensPerSecond: Math.round(tokens / s),
    };
  }
  const ratio = round(results.ours.mibPerSecond / results["@huggingface/tokenizers"].mibPerSecond);
  const report = {
    layout: path.basename(dir),
    node: process.version,
    cpu: os.cpus()[0]?.model,
    reps: REPS,
    lines: lines.length,
    bytes,
    buildMs: { ours: round(oursBuildMs), "@huggingface/tokenizers": round(hfBuildMs) },
    results,
    oursOverHf: ratio,
    goal: 4,
    mismatches,
    explainedMismatches,
    firstMismatch,
  };
  log(
    `DebertaV2Tokenizer vs @huggingface/tokenizers on ${report.layout}, ${lines.length} lines (${round(bytes / MIB)} MiB), median of ${REPS}`,
  );
  for (const [name, r] of Object.entries(results))
    log(`  ${name.padEnd(26)} ${String(r.mibPerSecond).padStart(8)} MiB/s  ${r.tokensPerSecond} tokens/s`);
  log(
    `  ours / @huggingface/tokenizers: ${ratio}x (goal 4x); id mismatches: ${mismatches} ` +
      `(+ ${explainedMismatches} lines with U+200D) of ${lines.length} lines`,
  );
  if (firstMismatch) log(`  first mismatch: ${JSON.stringify(firstMismatch).slice(0, 400)}`);
  if (mismatches > 0) process.exitCode = 1;
  return report;
}

const layouts = (process.env.BENCH_LAYOUT ?? "tokenizer-json-v4,tokenizer-json-v5").split(",");
const reports = layouts.map(runLayout);
mkdirSync(path.join(PACKAGE_DIR, "bench-results"), { recursive: true });
writeFileSync(
  path.join(PACKAGE_DIR, "bench-results", "tokenizer-v2.json"),
  `${JSON.stringify(reports, null, 2)}\n`,
);
