/**
 * GPT-2's reversible byte <-> printable-character table: printable Latin-1 bytes map to themselves and the
 * other 68 bytes to U+0100.. in byte order, so every byte string becomes a string of visible characters.
 */
function buildByteTables(): { byteToChar: string[]; charToByte: Map<string, number> } {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const isPrintable = new Set(printable);
  const byteToChar: string[] = new Array(256);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    byteToChar[b] = String.fromCharCode(isPrintable.has(b) ? b : 256 + next++);
  }
  const charToByte = new Map<string, number>();
  for (let b = 0; b < 256; b++) charToByte.set(byteToChar[b]!, b);
  return { byteToChar, charToByte };
}

export const { byteToChar: BYTE_TO_CHAR, charToByte: CHAR_TO_BYTE } = buildByteTables();

/**
 * The GPT-2 split pattern that Hugging Face tokenizers' ByteLevel pre-tokenizer uses. Oniguruma's `\s` is
 * Unicode White_Space, which differs from JavaScript's `\s` on U+0085 (whitespace there, not in JS) and
 * U+FEFF (the reverse), so the class is spelled out to keep Hugging Face's behaviour.
 */
export const GPT2_SPLIT_PATTERN =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

const utf8Decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** Maps byte-level characters back to bytes and decodes UTF-8, replacing invalid sequences with U+FFFD. */
export function byteLevelDecode(tokens: readonly string[]): string {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (const token of tokens) {
    const start = bytes.length;
    let allMapped = true;
    for (const ch of token) {
      const b = CHAR_TO_BYTE.get(ch);
      if (b === undefined) {
        allMapped = false;
        break;
      }
      bytes.push(b);
    }
    // A token outside the byte alphabet (an added token such as "<extra>") is emitted as its own UTF-8.
    if (!allMapped) {
      bytes.length = start;
      for (const b of encoder.encode(token)) bytes.push(b);
    }
  }
  return utf8Decoder.decode(new Uint8Array(bytes));
}
