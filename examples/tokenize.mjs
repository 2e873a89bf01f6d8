// The README's main job until the CLI lands: tokenize a text (and an optional pair) with the small
// tokenizer bundled in examples/demo-model, print the encoding as JSON, and decode it back.
//   pnpm demo "The capital of France is [MASK]." ["Paris is the capital."]
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DebertaTokenizer } from "@deberta/tokenizer";

const here = path.dirname(fileURLToPath(import.meta.url));
const [text, textPair] = process.argv.slice(2);
if (text === undefined || text === "--help" || text === "-h") {
  console.error('usage: pnpm demo "<text>" ["<text pair>"]');
  process.exit(text === undefined ? 2 : 0);
}
const tokenizer = await DebertaTokenizer.from_pretrained(path.join(here, "demo-model"));
const encoding = tokenizer(text, {
  ...(textPair === undefined ? {} : { text_pair: textPair }),
  return_offsets_mapping: true,
});
const ids = encoding.input_ids;
console.log(
  JSON.stringify({
    tokens: tokenizer.convert_ids_to_tokens(ids),
    input_ids: ids,
    token_type_ids: encoding.token_type_ids,
    attention_mask: encoding.attention_mask,
    offset_mapping: encoding.offset_mapping,
    decoded: tokenizer.decode(ids),
  }),
);
