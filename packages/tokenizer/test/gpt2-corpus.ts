/**
 * A deterministic corpus of varied text lines for differential tests of the GPT-2 byte-level BPE against
 * a reference implementation. Every line comes from a seeded PRNG (never `Math.random`), so a failure
 * reproduces from the seed and the line index alone.
 *
 * Lines never contain U+0085 (NEL) or U+FEFF (BOM): Unicode White_Space (what Hugging Face tokenizers,
 * Rust tiktoken and this package use for `\s` in the GPT-2 split pattern) and JavaScript's `\s` (what
 * js-tiktoken uses) disagree on exactly these two code points, so a differential test against js-tiktoken
 * must leave them out. Nor do lines contain the literal `<|endoftext|>`, which js-tiktoken refuses to encode.
 */

/** The kinds of line the corpus cycles through, in order. */
import { Rng as TestRng } from "@deberta/testing";

export const CORPUS_CATEGORIES = [
  "prose",
  "code",
  "numbers",
  "whitespace",
  "accents",
  "cjk",
  "emoji",
  "contractions",
  "control",
  "random-code-points",
  "rtl",
  "cyrillic-greek",
  "mixed",
] as const;
export type CorpusCategory = (typeof CORPUS_CATEGORIES)[number];

export interface CorpusLine {
  category: CorpusCategory;
  text: string;
}

/** Code points that the differential corpus must not contain (see the file comment). */
export const EXCLUDED_CODE_POINTS: readonly number[] = [0x85, 0xfeff];

/** The tests' seeded generator (@deberta/testing), plus what the corpus generators need on top of it. */
export class Rng extends TestRng {
  /** `count` results of `make`, joined by `sep` (a string, or a function called between items). */
  repeat(count: number, make: () => string, sep: string | (() => string) = ""): string {
    let out = "";
    for (let i = 0; i < count; i++) {
      if (i > 0) out += typeof sep === "string" ? sep : sep();
      out += make();
    }
    return out;
  }
}

const cp = (...points: number[]): string => String.fromCodePoint(...points);

// ---------------------------------------------------------------------------------------------------------
// Prose

const WORDS = (
  "the of and to in is was that for it with as his on be at by had are but from or have an they which one " +
  "you were her all she there would their we him been has when who will more no if out so said what up its " +
  "about into than them can only other new some could time these two may then do first any my now such like " +
  "our over man me even most made after also did many before must through back years where much your way " +
  "well down should because each just those people how too little state good very make world still own see " +
  "men work long get here between both life being under never day same another know while last might us " +
  "great old year off come since against go came right used take three tokenizer byte pair encoding model " +
  "vocabulary sentence paragraph question answer quickly slowly brown fox jumps lazy dog antidisestablishment " +
  "internationalization Mississippi London Paris Tokyo Alice Bob Charlie GPT BERT DeBERTa JavaScript Python"
).split(" ");

function word(r: Rng): string {
  const w = r.pick(WORDS);
  if (r.chance(0.08)) return w.toUpperCase();
  if (r.chance(0.1)) return w[0]!.toUpperCase() + w.slice(1);
  if (r.chance(0.04)) return `${w}-${r.pick(WORDS)}`;
  return w;
}

function sentence(r: Rng, minWords = 4, maxWords = 22): string {
  const n = r.int(minWords, maxWords);
  let s = "";
  for (let i = 0; i < n; i++) {
    let w = word(r);
    if (i === 0) w = w[0]!.toUpperCase() + w.slice(1);
    const quote = r.next();
    if (quote < 0.04) w = `"${w}"`;
    else if (quote < 0.07) w = `\u201c${w}\u201d`;
    else if (quote < 0.1) w = `(${w})`;
    s += (i === 0 ? "" : r.chance(0.05) ? " \u2014 " : " ") + w;
    if (i < n - 1 && r.chance(0.08)) s += r.pick([",", ",", ";", ":"]);
  }
  return s + r.pick([".", ".", ".", "!", "?", "...", "?!", "\u2026", ""]);
}

function prose(r: Rng): string {
  return r.repeat(
    r.int(1, 3),
    () => sentence(r),
    () => r.pick([" ", " ", "  ", "\n", " "]),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Code

function identifier(r: Rng): string {
  const a =
    r
      .pick(WORDS)
      .toLowerCase()
      .replace(/[^a-z]/g, "") || "x";
  const b =
    r
      .pick(WORDS)
      .toLowerCase()
      .replace(/[^a-z]/g, "") || "y";
  switch (r.int(0, 5)) {
    case 0:
      return a;
    case 1:
      return a + b[0]!.toUpperCase() + b.slice(1);
    case 2:
      return `${a}_${b}`;
    case 3:
      return `${a}${r.int(0, 99)}`;
    case 4:
      return `_${a}`;
    default:
      return a.toUpperCase() + "_" + b.toUpperCase();
  }
}

function expression(r: Rng, depth = 0): string {
  if (depth > 2 || r.chance(0.35)) {
    return r.pick([
      () => identifier(r),
      () => String(r.int(0, 1000)),
      () => `"${word(r)}"`,
      () => `'${word(r)}'`,
      () => `${identifier(r)}[${r.int(0, 9)}]`,
      () => `${identifier(r)}.${identifier(r)}`,
      () => `0x${r.int(0, 0xffff).toString(16)}`,
    ])();
  }
  const op = r.pick([
    "+",
    "-",
    "*",
    "/",
    "%",
    "**",
    "==",
    "===",
    "!=",
    "!==",
    "<=",
    ">=",
    "<<",
    ">>",
    ">>>",
    "&&",
    "||",
    "??",
    "&",
    "|",
    "^",
    "<",
    ">",
  ]);
  const left = expression(r, depth + 1);
  const right = expression(r, depth + 1);
  return r.chance(0.3) ? `(${left} ${op} ${right})` : `${left} ${op} ${right}`;
}

function indent(r: Rng, level: number): string {
  const unit = r.pick(["\t", "  ", "    ", " \t", "\t  "]);
  return unit.repeat(level);
}

const CODE_TEMPLATES: ((r: Rng) => string)[] = [
  (r) => `const ${identifier(r)} = ${expression(r)};`,
  (r) => `let ${identifier(r)}=${expression(r)};${r.chance(0.5) ? " // " + sentence(r, 2, 6) : ""}`,
  (r) =>
    `function ${identifier(r)}(${identifier(r)}, ${identifier(r)}) {\n${indent(r, 1)}return ${expression(r)};\n}`,
  (r) => `const ${identifier(r)} = (${identifier(r)}) => ${expression(r)};`,
  (r) =>
    `if (${expression(r)}) {\n${indent(r, 1)}${identifier(r)}++;\n} else {\n${indent(r, 1)}${identifier(r)}--;\n}`,
  (r) => `${identifier(r)} ??= ${expression(r)}; ${identifier(r)} >>>= ${r.int(1, 31)};`,
  (r) => `console.log(\`${word(r)}: \${${identifier(r)}}\`);`,
  (r) => `const re = /^[a-z]+\\d{2,4}(?:\\.\\w+)?$/gi; re.test(${identifier(r)});`,
  (r) =>
    `export default { ${identifier(r)}: [${r.int(0, 9)}, ${r.int(10, 99)}, ${r.int(100, 999)}], "k": null };`,
  (r) => `/* ${sentence(r, 3, 8)} */`,
  (r) => `def ${identifier(r)}(${identifier(r)}, *args, **kwargs):\n${indent(r, 1)}return ${expression(r)}`,
  (r) => `for i in range(${r.int(1, 100)}):\n${indent(r, 1)}print(f"{i:>4} {${identifier(r)}!r}")`,
  (r) => `${identifier(r)} = [x ** 2 for x in ${identifier(r)} if x % 2 == 0]`,
  (r) => `@property\ndef ${identifier(r)}(self) -> int:\n${indent(r, 1)}"""${sentence(r, 3, 8)}"""`,
  (r) => `if __name__ == "__main__":\n${indent(r, 1)}main()`,
  (r) => `lambda ${identifier(r)}: ${expression(r)}  # ${sentence(r, 2, 5)}`,
  (r) => `#include <stdio.h>\nint main(int argc, char **argv) {\n${indent(r, 1)}printf("%d\\n", argc);\n}`,
  (r) => `for (int i = 0; i < n; ++i) ${identifier(r)}[i] += ${identifier(r)}[i] * ${r.int(2, 9)};`,
  (r) => `${identifier(r)}->next = NULL; x <<= ${r.int(1, 7)}; y |= 0xFF; z &= ~MASK;`,
  (r) => `static inline uint32_t ${identifier(r)}(const void *p) { return *(const uint32_t *)p; }`,
  (r) => `}}]);\n${indent(r, r.int(0, 3))}})();`,
  (r) => `${indent(r, r.int(1, 4))}${identifier(r)}(${expression(r)}, ${expression(r)});`,
];

function code(r: Rng): string {
  const n = r.int(1, 3);
  return r.repeat(n, () => indent(r, r.int(0, 2)) + r.pick(CODE_TEMPLATES)(r), "\n");
}

// ---------------------------------------------------------------------------------------------------------
// Numbers

function groupThousands(n: number, sep: string): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, sep);
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September"];

const NUMBER_FORMATS: ((r: Rng) => string)[] = [
  (r) => String(r.int(0, 9)),
  (r) => String(r.int(0, 1_000_000_000_000)),
  (r) => `-${r.int(1, 100_000)}`,
  (r) => `${r.int(0, 9999)}.${r.int(0, 99999)}`,
  (r) => groupThousands(r.int(1000, 2_000_000_000), ","),
  (r) => `${groupThousands(r.int(1000, 9_999_999), ",")}.${String(r.int(0, 99)).padStart(2, "0")}`,
  (r) => groupThousands(r.int(1000, 9_999_999), ".") + "," + r.int(10, 99),
  (r) => groupThousands(r.int(1000, 9_999_999), r.pick(["\u00a0", "\u202f", " ", "'", "_"])),
  (r) =>
    `${r.int(1900, 2099)}-${String(r.int(1, 12)).padStart(2, "0")}-${String(r.int(1, 28)).padStart(2, "0")}`,
  (r) => `${r.int(1, 28)}/${r.int(1, 12)}/${r.int(1900, 2099)}`,
  (r) => `${r.pick(MONTHS)} ${r.int(1, 28)}, ${r.int(1900, 2099)}`,
  (r) =>
    `${r.int(1900, 2099)}-0${r.int(1, 9)}-1${r.int(0, 9)}T${String(r.int(0, 23)).padStart(2, "0")}:${r.int(10, 59)}:${r.int(10, 59)}.${r.int(100, 999)}Z`,
  (r) => `${r.int(0, 23)}:${String(r.int(0, 59)).padStart(2, "0")}${r.pick(["", " am", " PM", ":00"])}`,
  (r) => `0x${r.int(0, 0x7fffffff).toString(16).toUpperCase()}`,
  (r) => `0x${r.int(0, 0xffff).toString(16)}${r.int(0, 0xffff).toString(16)}`,
  (r) => `#${r.int(0, 0xffffff).toString(16).padStart(6, "0")}`,
  (r) => `0b${r.int(0, 1023).toString(2)}`,
  (r) => `0o${r.int(0, 4095).toString(8)}`,
  (r) => `${r.int(1, 9)}.${r.int(0, 999)}e${r.pick(["", "+", "-"])}${r.int(0, 308)}`,
  (r) => `${r.int(1, 9)}.${r.int(0, 99)}E-${r.int(1, 45)}`,
  (r) => `${r.int(0, 100)}%`,
  (r) =>
    `${r.pick(["$", "\u20ac", "\u00a3", "\u00a5", "\u20b9"])}${groupThousands(r.int(1, 99999), ",")}.${r.int(10, 99)}`,
  (r) => `+${r.int(1, 99)} (${r.int(100, 999)}) ${r.int(100, 999)}-${r.int(1000, 9999)}`,
  (r) => `v${r.int(0, 20)}.${r.int(0, 99)}.${r.int(0, 999)}${r.pick(["", "-beta.1", "-rc.2", "+build.77"])}`,
  (r) => `${r.int(1, 255)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(0, 255)}`,
  (r) => r.repeat(r.int(10, 60), () => String(r.int(0, 9))),
  (r) => `${r.int(1, 9)}/${r.int(2, 16)}`,
  (r) => `${r.int(1, 99)}${r.pick(["st", "nd", "rd", "th"])}`,
  (r) => r.repeat(r.int(1, 6), () => cp(0x660 + r.int(0, 9))),
  (r) => r.repeat(r.int(1, 6), () => cp(0x966 + r.int(0, 9))),
  (r) => r.repeat(r.int(1, 6), () => cp(0xff10 + r.int(0, 9))),
  (r) => `x\u00b2 + y\u00b3 = ${r.pick(["\u2167", "\u216b", "\u00bd", "\u2153", "\u2460"])}`,
  (r) => `${r.int(-50, 50)}\u00b0C`,
];

function numbers(r: Rng): string {
  return r.repeat(
    r.int(1, 6),
    () => (r.chance(0.4) ? `${word(r)} ` : "") + r.pick(NUMBER_FORMATS)(r),
    () => r.pick([" ", ", ", "; ", " - ", "\t", "|", "", " / "]),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Whitespace

// Unicode White_Space, which JavaScript's \s also matches: everything but U+0085 (excluded, see above).
const SPACES = [
  " ",
  " ",
  " ",
  "\t",
  "\n",
  "\r\n",
  "\r",
  "\u000b",
  "\u000c",
  "\u00a0",
  "\u1680",
  "\u2000",
  "\u2003",
  "\u2009",
  "\u200a",
  "\u2028",
  "\u2029",
  "\u202f",
  "\u205f",
  "\u3000",
];

function spaceRun(r: Rng, max = 8): string {
  if (r.chance(0.4)) return " ".repeat(r.int(1, max));
  return r.repeat(r.int(1, max), () => r.pick(SPACES));
}

function whitespace(r: Rng): string {
  switch (r.int(0, 5)) {
    case 0:
      return spaceRun(r, 12); // a line that is only whitespace
    case 1:
      return r.chance(0.5) ? "" : r.pick(["\n", "\r\n", "\t", " ", "\n\n\n", " \n \n"]);
    case 2:
      return spaceRun(r) + sentence(r, 2, 8) + spaceRun(r);
    case 3:
      return r.repeat(
        r.int(2, 10),
        () => word(r),
        () => spaceRun(r, 5),
      );
    case 4:
      return r.repeat(
        r.int(2, 6),
        () => indent(r, r.int(0, 3)) + sentence(r, 1, 5),
        () => r.pick(["\n", "\r\n"]),
      );
    default:
      return `${word(r)}${" ".repeat(r.int(2, 40))}${word(r)}\t\t${word(r)}${spaceRun(r)}`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Accents

const PRECOMPOSED =
  "\u00e0\u00e1\u00e2\u00e3\u00e4\u00e5\u00e6\u00e7\u00e8\u00e9\u00ea\u00eb\u00ec\u00ed\u00ee\u00ef\u00f1\u00f2" +
  "\u00f3\u00f4\u00f5\u00f6\u00f8\u00f9\u00fa\u00fb\u00fc\u00fd\u00ff\u0153\u0161\u017e\u00c0\u00c9\u00ce\u00d5" +
  "\u00dc\u00df\u0142\u0151\u0171\u0105\u0119\u0107\u0144\u015b\u017a\u017c\u011f\u015f\u0131\u0130\u0159\u011b" +
  "\u016f\u0111\u1ea1\u1ec7\u01b0\u01a1";
const ACCENTED_WORDS = [
  "caf\u00e9",
  "na\u00efve",
  "r\u00e9sum\u00e9",
  "Stra\u00dfe",
  "\u00fcber",
  "se\u00f1or",
  "fa\u00e7ade",
  "cr\u00e8me br\u00fbl\u00e9e",
  "S\u00e3o Paulo",
  "\u0141\u00f3d\u017a",
  "Z\u00fcrich",
  "\u00c5ngstr\u00f6m",
  "Ti\u1ebfng Vi\u1ec7t",
  "\u0130stanbul",
  "\u010cesk\u00e1 republika",
  "d\u00e9j\u00e0 vu",
];

function combiningMarks(r: Rng, min: number, max: number): string {
  return r.repeat(r.int(min, max), () => cp(r.int(0x300, 0x36f)));
}

function accents(r: Rng): string {
  return r.repeat(
    r.int(2, 8),
    () => {
      switch (r.int(0, 6)) {
        case 0:
          return r.pick(ACCENTED_WORDS);
        case 1:
          return r.pick(ACCENTED_WORDS).normalize("NFD"); // decomposed: base + U+0300..U+036F
        case 2:
          return r.repeat(r.int(1, 8), () => r.pick([...PRECOMPOSED]));
        case 3:
          // A base letter with stacked marks (zalgo-like).
          return r.repeat(r.int(1, 5), () => r.pick([..."aeiouxAEZ"]) + combiningMarks(r, 1, 6));
        case 4:
          // Marks after a space, a digit or punctuation, and at the very start: not letters in the split.
          return r.pick(["", " ", "1", "!", "-"]) + combiningMarks(r, 1, 3) + word(r);
        case 5:
          return word(r) + combiningMarks(r, 1, 2);
        default:
          return sentence(r, 2, 5).normalize(r.chance(0.5) ? "NFD" : "NFC");
      }
    },
    () => r.pick([" ", " ", ", ", "\n", ""]),
  );
}

// ---------------------------------------------------------------------------------------------------------
// CJK

const HANZI =
  "\u7684\u4e00\u662f\u4e0d\u4e86\u4eba\u6211\u5728\u6709\u4ed6\u8fd9\u4e2d\u5927\u6765\u4e0a\u56fd\u4e2a\u5230\u8bf4\u4eec\u4e3a\u5b50\u548c\u4f60\u5730\u51fa\u9053\u4e5f\u65f6\u5e74\u5f97\u5c31\u90a3\u8981\u4e0b\u4ee5\u751f\u4f1a\u81ea\u7740\u53bb\u4e4b\u8fc7\u5bb6\u5b66\u5bf9\u53ef\u5979\u91cc\u540e\u5c0f\u4e48\u5fc3\u591a\u5929\u800c\u80fd\u597d\u90fd\u7136\u6ca1\u65e5\u4e8e\u8d77\u8fd8\u53d1\u6210\u4e8b\u53ea\u4f5c\u5f53\u60f3\u770b\u6587\u65e0\u5f00\u624b\u5341\u7528\u4e3b\u884c\u65b9\u53c8\u5982\u524d\u6240\u672c\u89c1\u7ecf\u5934\u9762\u516c\u540c\u4e09\u5df2\u8001\u4ece\u52a8\u4e24\u957f\u8bed\u8a00\u6a21\u578b\u5206\u8bcd\u5668\u7f16\u7801";
const KANA_WORDS = [
  "\u3053\u3093\u306b\u3061\u306f",
  "\u3042\u308a\u304c\u3068\u3046",
  "\u30c8\u30fc\u30af\u30ca\u30a4\u30b6\u30fc",
  "\u30b3\u30f3\u30d4\u30e5\u30fc\u30bf",
  "\u3072\u3089\u304c\u306a",
  "\u30ab\u30bf\u30ab\u30ca",
  "\u65e5\u672c\u8a9e",
  "\u6771\u4eac\u90fd",
  "\u3067\u3059",
  "\u307e\u3057\u305f",
  "\uff71\uff72\uff73\uff74\uff75",
];
const HANGUL_WORDS = [
  "\uc548\ub155\ud558\uc138\uc694",
  "\ud55c\uad6d\uc5b4",
  "\uac10\uc0ac\ud569\ub2c8\ub2e4",
  "\uc11c\uc6b8",
  "\ud1a0\ud06c\ub098\uc774\uc800",
  "\ub300\ud55c\ubbfc\uad6d",
];
const CJK_PUNCT = [
  "\u3002",
  "\u3001",
  "\uff0c",
  "\uff01",
  "\uff1f",
  "\u300c",
  "\u300d",
  "\u30fb",
  "\uff08",
  "\uff09",
];

function cjk(r: Rng): string {
  switch (r.int(0, 4)) {
    case 0:
      return r.repeat(
        r.int(1, 3),
        () => r.repeat(r.int(2, 20), () => r.pick([...HANZI])) + r.pick(CJK_PUNCT),
      );
    case 1:
      return r.repeat(r.int(2, 6), () => r.pick(KANA_WORDS) + (r.chance(0.3) ? r.pick(CJK_PUNCT) : ""));
    case 2:
      return r.repeat(
        r.int(2, 8),
        () => (r.chance(0.5) ? r.pick(HANGUL_WORDS) : r.repeat(r.int(1, 5), () => cp(r.int(0xac00, 0xd7a3)))),
        " ",
      );
    case 3:
      // CJK Extension B (astral), fullwidth Latin, decomposed Hangul jamo.
      return (
        r.repeat(r.int(1, 4), () => cp(r.int(0x20000, 0x2a6df))) +
        r.repeat(r.int(1, 4), () => cp(r.int(0xff21, 0xff3a))) +
        " \u1112\u1161\u11ab\u1100\u1173\u11af"
      );
    default:
      return `${sentence(r, 2, 5)} ${r.repeat(r.int(2, 6), () => r.pick([...HANZI]))} ${r.pick(KANA_WORDS)} ${r.pick(HANGUL_WORDS)}`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Emoji

const ZWJ = "\u200d";
const VS16 = "\ufe0f";
const SKIN_TONES = [0x1f3fb, 0x1f3fc, 0x1f3fd, 0x1f3fe, 0x1f3ff];
const PEOPLE = [0x1f468, 0x1f469, 0x1f9d1, 0x1f466, 0x1f467];
const PROFESSIONS = [0x1f4bb, 0x1f680, 0x1f52c, 0x1f3a8, 0x1f373, 0x1f692, 0x2695, 0x1f33e, 0x1f393];
const ZWJ_SEQUENCES = [
  cp(0x1f468, 0x200d, 0x1f469, 0x200d, 0x1f467, 0x200d, 0x1f466), // family
  cp(0x1f469, 0x200d, 0x2764, 0xfe0f, 0x200d, 0x1f48b, 0x200d, 0x1f468), // kiss
  cp(0x1f3f3, 0xfe0f, 0x200d, 0x1f308), // rainbow flag
  cp(0x1f3f4, 0x200d, 0x2620, 0xfe0f), // pirate flag
  cp(0x1f43b, 0x200d, 0x2744, 0xfe0f), // polar bear
  cp(0x1f441, 0xfe0f, 0x200d, 0x1f5e8, 0xfe0f), // eye in speech bubble
];
const COUNTRIES = ["US", "FR", "JP", "DE", "BR", "IN", "CN", "GB", "KR", "ZA", "UA", "NG"];

function regionalIndicators(letters: string): string {
  return [...letters].map((c) => cp(0x1f1e6 + c.charCodeAt(0) - 65)).join("");
}

function emojiAtom(r: Rng): string {
  switch (r.int(0, 8)) {
    case 0:
      return cp(r.int(0x1f300, 0x1f64f));
    case 1:
      return cp(r.int(0x1f680, 0x1f6ff));
    case 2:
      return cp(r.int(0x2600, 0x26ff)) + (r.chance(0.5) ? VS16 : r.chance(0.3) ? "\ufe0e" : "");
    case 3:
      return cp(r.pick([0x1f44d, 0x1f44b, 0x270b, 0x1f64f, 0x1f469, 0x1f9d2, 0x1f46e]), r.pick(SKIN_TONES));
    case 4: {
      const tone = r.chance(0.6) ? cp(r.pick(SKIN_TONES)) : "";
      const object = r.pick(PROFESSIONS);
      return cp(r.pick(PEOPLE)) + tone + ZWJ + cp(object) + (object < 0x10000 ? VS16 : "");
    }
    case 5:
      return r.pick(ZWJ_SEQUENCES);
    case 6:
      return r.chance(0.7)
        ? regionalIndicators(r.pick(COUNTRIES))
        : regionalIndicators(String.fromCharCode(65 + r.int(0, 25), 65 + r.int(0, 25)));
    case 7:
      // Keycaps: digit / # / * + U+FE0F + U+20E3 (sometimes without the variation selector).
      return r.pick([..."0123456789#*"]) + (r.chance(0.8) ? VS16 : "") + "\u20e3";
    default:
      // England's subdivision flag: black flag + tag letters + cancel tag (all astral).
      return cp(0x1f3f4, 0xe0067, 0xe0062, 0xe0065, 0xe006e, 0xe0067, 0xe007f);
  }
}

function emoji(r: Rng): string {
  return r.repeat(
    r.int(1, 8),
    () => (r.chance(0.4) ? `${word(r)}${r.pick([" ", ""])}` : "") + r.repeat(r.int(1, 3), () => emojiAtom(r)),
    () => r.pick([" ", "", "! ", "\n"]),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Contractions

const CONTRACTIONS = [
  "it's",
  "don't",
  "can't",
  "won't",
  "they're",
  "we've",
  "I'm",
  "you'll",
  "he'd",
  "she'll've",
  "y'all",
  "o'clock",
  "rock'n'roll",
  "IT'S",
  "DON'T",
  "WE'RE",
  "I'M",
  "YOU'LL",
  "HE'D",
  "THEY'VE",
  "John'S",
  "it\u2019s",
  "don\u2019t",
  "we\u2019re",
  "I\u2019ve",
  "you\u2019ll",
  "she\u2019d",
  "I\u2019m",
  "1990's",
  "James'",
  "'tis",
  "''s",
  "'s'",
];

function contractions(r: Rng): string {
  return r.repeat(
    r.int(2, 10),
    () => {
      if (r.chance(0.45)) return r.pick(CONTRACTIONS);
      if (r.chance(0.2)) return r.pick(["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "\u2019s"]);
      if (r.chance(0.15)) return `\u2018${word(r)}\u2019`;
      if (r.chance(0.1)) return `'${word(r)}'`;
      return word(r);
    },
    () => r.pick([" ", " ", "", ", ", "\n", "  "]),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Control characters

function controlChar(r: Rng): string {
  const which = r.int(0, 2);
  if (which === 0) return cp(r.int(0x00, 0x1f));
  if (which === 1) return "\u007f";
  let c = r.int(0x80, 0x9f);
  if (c === 0x85) c = 0x84; // U+0085 is excluded (see the file comment)
  return cp(c);
}

function control(r: Rng): string {
  return r.repeat(
    r.int(2, 10),
    () => (r.chance(0.5) ? word(r) : "") + r.repeat(r.int(1, 3), () => controlChar(r)),
    () => r.pick([" ", "", "\t", "-"]),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Random code points from every plane

/** A Unicode scalar value (no surrogates) other than the excluded ones, from a random plane. */
export function randomScalar(r: Rng): number {
  for (;;) {
    const plane = r.chance(0.4) ? 0 : r.int(0, 16);
    const c = plane * 0x10000 + r.int(0, 0xffff);
    if (c >= 0xd800 && c <= 0xdfff) continue;
    if (c === 0x85 || c === 0xfeff) continue;
    return c;
  }
}

function randomCodePoints(r: Rng): string {
  return r.repeat(
    r.int(1, 6),
    () => r.repeat(r.int(1, 8), () => cp(randomScalar(r))),
    () => r.pick([" ", "", "a", "1", ".", "\n"]),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Right-to-left scripts

const ARABIC_WORDS = [
  "\u0645\u0631\u062d\u0628\u0627",
  "\u0628\u0627\u0644\u0639\u0627\u0644\u0645",
  "\u0627\u0644\u0633\u0644\u0627\u0645 \u0639\u0644\u064a\u0643\u0645",
  "\u0643\u062a\u0627\u0628",
  "\u0627\u0644\u0644\u063a\u0629 \u0627\u0644\u0639\u0631\u0628\u064a\u0629",
  "\u067e\u0686\u0698\u06af",
  "\u0645\u0640\u0640\u0640\u0631\u062d\u0628\u0627",
];
const HEBREW_WORDS = [
  "\u05e9\u05dc\u05d5\u05dd",
  "\u05e2\u05d5\u05dc\u05dd",
  "\u05e1\u05e4\u05e8",
  "\u05ea\u05dc\u05be\u05d0\u05d1\u05d9\u05d1",
  "\u05e2\u05d1\u05e8\u05d9\u05ea",
  "\u05d1\u05bc\u05b0\u05e8\u05b5\u05d0\u05e9\u05b4\u05c1\u05d9\u05ea",
];
const BIDI_MARKS = [
  "\u200e",
  "\u200f",
  "\u202a",
  "\u202b",
  "\u202c",
  "\u202d",
  "\u202e",
  "\u2066",
  "\u2067",
  "\u2069",
];

function rtl(r: Rng): string {
  return r.repeat(
    r.int(2, 8),
    () => {
      switch (r.int(0, 5)) {
        case 0:
          return r.pick(ARABIC_WORDS);
        case 1:
          // Arabic letters with harakat (U+064B..U+0652).
          return r.repeat(
            r.int(2, 6),
            () => cp(r.int(0x628, 0x64a)) + (r.chance(0.6) ? cp(r.int(0x64b, 0x652)) : ""),
          );
        case 2:
          return r.pick(HEBREW_WORDS);
        case 3:
          return (
            r.repeat(r.int(1, 5), () => cp(0x660 + r.int(0, 9))) + r.pick(["\u060c", "\u061f", "\u066b", ""])
          );
        case 4:
          return r.pick(BIDI_MARKS) + r.pick(HEBREW_WORDS) + r.pick(BIDI_MARKS);
        default:
          return word(r);
      }
    },
    () => r.pick([" ", " ", "\u060c ", ": ", "\n"]),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Cyrillic and Greek

const CYRILLIC_GREEK_WORDS = [
  "\u043f\u0440\u0438\u0432\u0435\u0442",
  "\u043c\u0438\u0440",
  "\u041c\u043e\u0441\u043a\u0432\u0430",
  "\u0451\u043b\u043a\u0430",
  "\u0421\u042a\u0415\u0428\u042c",
  "\u0407\u0436\u0430\u043a",
  "\u0454\u0434\u043d\u0456\u0441\u0442\u044c",
  "\u0491\u0430\u043d\u043e\u043a",
  "\u041a\u0430\u043b\u03b7\u03bc\u03ad\u03c1\u03b1",
  "\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1",
  "\u03ba\u03cc\u03c3\u03bc\u03b5",
  "\u03bb\u03cc\u03b3\u03bf\u03c2",
  "\u0391\u0398\u0397\u039d\u0391",
  "\u03ca\u0390\u03cb\u03b0",
  "\u0420ython",
];

function cyrillicGreek(r: Rng): string {
  return r.repeat(
    r.int(2, 10),
    () => {
      if (r.chance(0.55)) return r.pick(CYRILLIC_GREEK_WORDS);
      if (r.chance(0.5)) return r.repeat(r.int(2, 9), () => cp(r.int(0x410, 0x44f)));
      if (r.chance(0.5)) return r.repeat(r.int(2, 9), () => cp(r.int(0x3b1, 0x3c9)));
      return word(r);
    },
    () => r.pick([" ", " ", ", ", "\u037e ", ". ", "\n"]),
  );
}

// ---------------------------------------------------------------------------------------------------------

const GENERATORS: Record<Exclude<CorpusCategory, "mixed">, (r: Rng) => string> = {
  prose,
  code,
  numbers,
  whitespace,
  accents,
  cjk,
  emoji,
  contractions,
  control,
  "random-code-points": randomCodePoints,
  rtl,
  "cyrillic-greek": cyrillicGreek,
};
const BASE_CATEGORIES = Object.keys(GENERATORS) as Exclude<CorpusCategory, "mixed">[];

function mixed(r: Rng): string {
  return r.repeat(
    r.int(2, 5),
    () => GENERATORS[r.pick(BASE_CATEGORIES)](r),
    () => r.pick([" ", "", "\n", ", ", "\t", "'"]),
  );
}

function generateLine(r: Rng, category: CorpusCategory): string {
  return category === "mixed" ? mixed(r) : GENERATORS[category](r);
}

/** Without the `u` flag, so that it sees UTF-16 code units. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Throws when a generator produced something the differential corpus promises not to contain. */
function checkLine(text: string, index: number): void {
  for (const excluded of EXCLUDED_CODE_POINTS) {
    if (text.includes(String.fromCodePoint(excluded))) {
      throw new Error(
        `gpt2-corpus: line ${index} contains U+${excluded.toString(16).toUpperCase().padStart(4, "0")}`,
      );
    }
  }
  if (text.includes("<|endoftext|>")) throw new Error(`gpt2-corpus: line ${index} contains <|endoftext|>`);
  if (LONE_SURROGATE.test(text)) throw new Error(`gpt2-corpus: line ${index} contains a lone surrogate`);
}

/** `count` lines, cycling through {@link CORPUS_CATEGORIES}, each labelled with its category. */
export function generateLabeledCorpus(count: number, seed = 0x5eed_0001): CorpusLine[] {
  const r = new Rng(seed);
  const lines: CorpusLine[] = [];
  for (let i = 0; i < count; i++) {
    const category = CORPUS_CATEGORIES[i % CORPUS_CATEGORIES.length]!;
    const text = generateLine(r, category);
    checkLine(text, i);
    lines.push({ category, text });
  }
  return lines;
}

/** `count` deterministic lines of varied text (same `seed`, same lines). */
export function generateCorpus(count: number, seed?: number): string[] {
  return generateLabeledCorpus(count, seed).map((line) => line.text);
}
