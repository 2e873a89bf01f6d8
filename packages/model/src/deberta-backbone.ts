import type { DebertaConfig } from "@deberta/config";
import type { Backend, TensorHandle } from "@deberta/tensor";
import type { AttentionTerms } from "./attention-terms.js";
import { DebertaEmbeddings } from "./embeddings.js";
import { DebertaEncoder } from "./encoder.js";
import { ModelError } from "./errors.js";
import { Fp16OverflowCheck } from "./fp16-overflow.js";
import { type DebertaInputs, prepareInputs } from "./inputs.js";
import { Ops } from "./ops.js";
import { type LoadingInfo, WeightBinder, type WeightMap } from "./weights.js";

/** The encoder's outputs, on the backend (download them, or feed them to a head). */
export interface DebertaEncoderOutput {
  last_hidden_state: TensorHandle;
  /** Embedding output, then the output of each layer (when asked). */
  hidden_states?: TensorHandle[];
  /** Attention probabilities [batch, heads, length, length] of each layer (when asked). */
  attentions?: TensorHandle[];
  /**
   * The score terms of each layer (when asked): `c2c`, and `c2p` / `p2c` where `pos_att_type` has them and
   * relative attention is on, each [batch, heads, length, length] float32, scaled exactly as they enter the
   * softmax and not masked: softmax over keys of `c2c + c2p + p2c`, with masked keys set to float32's lowest
   * value, is the layer's attention probabilities.
   */
  attention_terms?: AttentionTerms[];
  /**
   * The float16 range checks of this pass, where they ran (by default: on a backend that stores floats in
   * float16). `await fp16_overflow_check.verify()` before using the outputs: it throws ModelError
   * MODEL_FP16_OVERFLOW naming the first layer whose output did not fit float16 (a float16 store saturates at
   * ±65504, so the outputs would be finite and wrong); `dispose()` it when the outputs are dropped instead.
   */
  fp16_overflow_check?: Fp16OverflowCheck;
}

export interface ForwardOptions {
  output_hidden_states?: boolean;
  output_attentions?: boolean;
  /** Also return each layer's attention score terms (`attention_terms`): for inspection, at extra cost. */
  output_attention_terms?: boolean;
  /**
   * Count every linear and LayerNorm output's values out of float16's range (`fp16_overflow_check`). Default:
   * on where the backend stores floats in float16; true on any backend (does this input fit float16?); false
   * off (float16 stores then saturate silently).
   */
  check_fp16_overflow?: boolean;
}

/**
 * The DeBERTa encoder (transformers' `DebertaBackbone`) on a backend: embeddings, then the layers of
 * disentangled self-attention.
 *
 * @example
 * ```ts
 * const model = DebertaBackbone.load(backend, config, weights); // weights: Map from @deberta/hub
 * const out = model.forward({ input_ids, attention_mask }, { output_hidden_states: true });
 * const hidden = await backend.download(out.last_hidden_state);
 * // The score terms of layer 0 (c2c, and c2p / p2c where the config has them), [batch, heads, L, L]:
 * const { attention_terms } = model.forward({ input_ids }, { output_attention_terms: true });
 * const c2p = attention_terms![0]!.c2p; // a TensorHandle, or undefined without c2p
 * ```
 */
export class DebertaBackbone {
  readonly ops: Ops;
  private disposed = false;
  /** Whether every cached projection was computed by a pass with float16 checks (true while none is). */
  private cachesChecked = true;

  private constructor(
    readonly backend: Backend,
    readonly config: DebertaConfig,
    readonly embeddings: DebertaEmbeddings,
    readonly encoder: DebertaEncoder,
  ) {
    this.ops = new Ops(backend);
  }

  /** Loads the base model's weights from `binder`, leaving the binder open for a head's weights. */
  static fromBinder(binder: WeightBinder, config: DebertaConfig): DebertaBackbone {
    if (config.get("talking_head") === true) {
      throw new ModelError(
        "MODEL_INPUT",
        "config.talking_head = true is not supported (no released DeBERTa checkpoint uses it)",
        { key: "talking_head" },
      );
    }
    return new DebertaBackbone(
      binder.backend,
      config,
      DebertaEmbeddings.load(binder, config),
      DebertaEncoder.load(binder, config),
    );
  }

  /** Loads a `DebertaBackbone` from a checkpoint's weights (with or without the `deberta.` prefix). */
  static load(
    backend: Backend,
    config: DebertaConfig,
    weights: WeightMap,
    options: { file?: string } = {},
  ): DebertaBackbone & { loading_info: LoadingInfo } {
    const binder = new WeightBinder(backend, weights, ["", "deberta."], options.file);
    const model = DebertaBackbone.fromBinder(binder, config);
    // A head checkpoint loaded as the base model: its head weights are unexpected, as in transformers.
    const info = binder.finish("DebertaModel");
    return Object.assign(model, { loading_info: info });
  }

  forward(inputs: DebertaInputs, options: ForwardOptions = {}): DebertaEncoderOutput {
    if (this.disposed)
      throw new ModelError("MODEL_DISPOSED", "This model was disposed; load it again to run it");
    const prepared = prepareInputs(this.config, inputs);
    const b = this.backend;
    const ids = b.upload(prepared.ids);
    const positions = prepared.positions === undefined ? undefined : b.upload(prepared.positions);
    const tokenTypes = prepared.tokenTypes === undefined ? undefined : b.upload(prepared.tokenTypes);
    const embeddingMask = b.upload(prepared.embeddingMask);
    const attentionMask = b.upload(prepared.attentionMask);
    // Weight-derived caches are checked when computed: an overflow drops them (else they would be reused
    // silently), and a checked pass recomputes those a pass without checks left behind.
    const checks = Fp16OverflowCheck.create(b, options.check_fp16_overflow, () =>
      this.encoder.clearCaches(this.ops),
    );
    if (checks !== undefined && !this.cachesChecked) this.encoder.clearCaches(this.ops);
    this.cachesChecked = checks !== undefined;
    try {
      const embedded = this.ops.checking(checks, "embeddings", () =>
        this.embeddings.forward(this.ops, ids, positions, tokenTypes, embeddingMask),
      );
      const encoded = this.ops.checking(checks, "encoder", () =>
        this.encoder.forward(this.ops, embedded, attentionMask, prepared.length, {
          hiddenStates: options.output_hidden_states ?? false,
          attentions: options.output_attentions ?? false,
          attentionTerms: options.output_attention_terms ?? false,
        }),
      );
      const out: DebertaEncoderOutput = { last_hidden_state: encoded.last };
      if (options.output_hidden_states) out.hidden_states = encoded.hiddenStates;
      if (options.output_attentions) out.attentions = encoded.attentions;
      if (options.output_attention_terms) out.attention_terms = encoded.attentionTerms;
      if (checks !== undefined) out.fp16_overflow_check = checks;
      return out;
    } catch (error) {
      checks?.dispose();
      throw error;
    } finally {
      this.ops.free(ids, positions, tokenTypes, embeddingMask, attentionMask);
    }
  }

  /** Frees the cached relative-position projections; the weights belong to the backend (close it). */
  dispose(): void {
    if (this.disposed) return;
    this.encoder.dispose(this.ops);
    this.disposed = true;
  }
}
