// The benchmark's inputs: a deterministic text generator (mulberry32 PRNG, no Math.random) of prose, code,
// numbers, accented words, CJK and emoji, the fixed ~2 MiB corpus built from it (lines and 64 KiB chunks),
// and prose of a given size for the scaling tables. Separate from the runners so that the corpus, whose
// sha256 is in the results, is defined in one place and changes only on purpose.

export const SEED = 0x5eed2024;
const CORPUS_BYTES = 2 * 1024 * 1024;
export const CHUNK_BYTES = 64 * 1024;

const utf8 = new TextEncoder();
export const byteLength = (s) => utf8.encode(s).length;

// Deterministic corpus generator (mulberry32 PRNG; no Math.random).

export function mulberry32(seed) {
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

export function makeGenerator(seed) {
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

export function buildCorpus() {
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

export function proseOfBytes(bytes, seed) {
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
