import { describeValue, type ErrorContext, keyError } from "./errors.js";

/**
 * A disentangled-attention term of DeBERTa v1: content-to-position (`c2p`) or position-to-content
 * (`p2c`). The v1 attention (`DisentangledSelfAttention` in transformers) only builds these two; older
 * code also knew `p2p`, which transformers' v1 model never computes, so it is rejected here.
 */
export type PosAttType = "c2p" | "p2c";

/** Every `pos_att_type` entry DeBERTa v1 understands. */
export const POS_ATT_TYPES: readonly PosAttType[] = Object.freeze(["c2p", "p2c"]);

/** The forms `pos_att_type` takes on the Hub: `"c2p|p2c"` (the original checkpoints), a list, or null. */
export type PosAttTypeInput = string | readonly string[] | null;

function checkEntry(entry: string, key: string, context: ErrorContext): PosAttType {
  if (entry === "c2p" || entry === "p2c") return entry;
  throw keyError(
    "CONFIG_VALUE",
    key,
    `has the unknown entry ${JSON.stringify(entry)}; DeBERTa v1 knows only "c2p" and "p2c"`,
    context,
  );
}

/**
 * Normalises `pos_att_type` to a lowercase list. The string form is split on `|` after lowercasing and
 * each part trimmed, exactly as transformers' `DebertaConfig.__init__` does; list entries are trimmed and
 * lowercased too (transformers compares list entries case-sensitively, so `["C2P"]` would silently add a
 * scale term without the matching bias there; accepting it here is the friendlier reading). Duplicates
 * are kept because transformers counts them in the attention scale factor. `null` means no relative terms.
 *
 * @param context - `file` names the config file in error messages.
 * @throws {@link DebertaConfigError} `CONFIG_TYPE` for a non-string/non-list, `CONFIG_VALUE` for an entry
 * other than `c2p`/`p2c` (including the empty string).
 *
 * @example
 * ```ts
 * import { parsePosAttType } from "@deberta/config";
 *
 * parsePosAttType(" C2P | p2c "); // ["c2p", "p2c"]
 * parsePosAttType(["P2C"]); // ["p2c"]
 * parsePosAttType(null); // []
 * ```
 */
export function parsePosAttType(value: unknown, context: ErrorContext = {}): PosAttType[] {
  const key = "pos_att_type";
  if (value === null || value === undefined) return [];
  if (typeof value === "string") {
    return value
      .toLowerCase()
      .split("|")
      .map((part) => checkEntry(part.trim(), key, context));
  }
  if (Array.isArray(value)) {
    return value.map((item: unknown, i) => {
      if (typeof item !== "string") {
        throw keyError(
          "CONFIG_TYPE",
          key,
          `must list strings, but item ${i} is ${describeValue(item)}`,
          context,
        );
      }
      return checkEntry(item.trim().toLowerCase(), key, context);
    });
  }
  throw keyError(
    "CONFIG_TYPE",
    key,
    `must be null, a "|"-separated string such as "c2p|p2c", or a list of strings, got ${describeValue(value)}`,
    context,
  );
}
