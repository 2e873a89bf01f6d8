/**
 * The keyword defaults of transformers' `DebertaConfig.__init__` (transformers 5.x, `model_type`
 * `"deberta"`): what a key means when a `config.json` leaves it out. `pooler_hidden_size` and
 * `embedding_size` are absent because their default is `hidden_size`, whatever that turns out to be.
 *
 * @example
 * ```ts
 * import { DEBERTA_CONFIG_DEFAULTS } from "@deberta/config";
 *
 * DEBERTA_CONFIG_DEFAULTS.layer_norm_eps; // 1e-7
 * ```
 */
export const DEBERTA_CONFIG_DEFAULTS = Object.freeze({
  vocab_size: 50265,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: "gelu",
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 0,
  initializer_range: 0.02,
  layer_norm_eps: 1e-7,
  relative_attention: false,
  max_relative_positions: -1,
  pad_token_id: 0,
  bos_token_id: null,
  eos_token_id: null,
  position_biased_input: true,
  pos_att_type: null,
  pooler_dropout: 0,
  pooler_hidden_act: "gelu",
  legacy: true,
  tie_word_embeddings: true,
} as const);

/**
 * The keys transformers writes for every DeBERTa config (`save_pretrained` / `to_diff_dict`): the
 * attributes `DebertaConfig.__init__` sets, plus `model_type`. Generic `PretrainedConfig` keys
 * (`id2label`, `problem_type`, `dtype`, ...) are only written when they differ from the generic default.
 */
export const ALWAYS_SERIALISED_KEYS: readonly string[] = Object.freeze([
  ...Object.keys(DEBERTA_CONFIG_DEFAULTS),
  "pooler_hidden_size",
  "model_type",
]);
