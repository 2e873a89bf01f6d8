import type { DebertaV2Config } from "@deberta/config";
import { type Backend, Tensor, type TensorHandle } from "@deberta/tensor";
import type { DebertaEncoderOutput, ForwardOptions } from "./deberta-backbone.js";
import { DebertaEmbeddings } from "./embeddings.js";
import { DebertaV2Encoder } from "./encoder-v2.js";
import { ModelError } from "./errors.js";
import { Fp16OverflowCheck } from "./fp16-overflow.js";
import { type DebertaInputs, prepareInputs } from "./inputs.js";
import { Ops } from "./ops.js";
import { type LoadingInfo, WeightBinder, type WeightMap } from "./weights.js";

/**
 * The token mask [B, L, 1] the convolution layer multiplies by, from the prepared attention mask (a
 * [B, L, L] mask counts a token when any query may attend to it, as transformers' `attention_mask.sum(-2) > 0`).
 */
export function v2RowMask(attentionMask: Tensor): Tensor {
  const m = attentionMask.data as Float32Array;
  if (attentionMask.dims.length === 3) {
    const [batch, length] = attentionMask.dims as [number, number, number];
    const rows = new Float32Array(batch * length);
    for (let bi = 0; bi < batch; bi++) {
      for (let j = 0; j < length; j++) {
        let sum = 0;
        for (let i = 0; i < length; i++) sum += m[(bi * length + i) * length + j]!;
        rows[bi * length + j] = sum > 0 ? 1 : 0;
      }
    }
    return new Tensor("float32", rows, [batch, length, 1]);
  }
  const [batch, length] = attentionMask.dims as [number, number];
  return new Tensor("float32", Float32Array.from(m), [batch, length, 1]);
}

/**
 * The masks of one v2 forward pass from the prepared attention mask, for code that builds the scores from
 * primitives: the score mask [B, 1, L, L] (m_i · m_j for a [B, L] mask, a [B, L, L] mask as given) and the
 * token mask of {@link v2RowMask}. The backbone itself hands the attention mask to the fused attention op,
 * which applies m_i · m_j without building [B, L, L].
 */
export function v2Masks(attentionMask: Tensor): { score: Tensor; rows: Tensor } {
  const m = attentionMask.data as Float32Array;
  const rows = v2RowMask(attentionMask);
  if (attentionMask.dims.length === 3) {
    const [batch, length] = attentionMask.dims as [number, number, number];
    return { score: new Tensor("float32", Float32Array.from(m), [batch, 1, length, length]), rows };
  }
  const [batch, length] = attentionMask.dims as [number, number];
  const score = new Float32Array(batch * length * length);
  for (let bi = 0; bi < batch; bi++) {
    for (let i = 0; i < length; i++) {
      for (let j = 0; j < length; j++) {
        score[(bi * length + i) * length + j] = m[bi * length + i]! * m[bi * length + j]!;
      }
    }
  }
  return { score: new Tensor("float32", score, [batch, 1, length, length]), rows };
}

/**
 * The DeBERTa-v2 encoder (transformers' `DebertaV2Model` without a head; DeBERTa-v3 and mDeBERTa-v3 too) on
 * a backend: embeddings, the layers of v2 disentangled attention with log-bucketed relative positions, and
 * the convolution layer beside the first layer when the config has one. Same inputs and outputs as
 * {@link DebertaBackbone}, including `attention_terms`.
 *
 * @example
 * ```ts
 * const config = await DebertaV2Config.from_pretrained("./deberta-v3-base");
 * const model = DebertaV2Backbone.load(backend, config, weights); // weights: Map from @deberta/hub
 * const out = model.forward({ input_ids, attention_mask }, { output_attentions: true });
 * const hidden = await backend.download(out.last_hidden_state);
 * ```
 */
export class DebertaV2Backbone {
  readonly ops: Ops;
  private disposed = false;
  /** Whether every cached projection was computed by a pass with float16 checks (true while none is). */
  private cachesChecked = true;

  private constructor(
    readonly backend: Backend,
    readonly config: DebertaV2Config,
    readonly embeddings: DebertaEmbeddings,
    readonly encoder: DebertaV2Encoder,
    ops: Ops,
  ) {
    this.ops = ops;
  }

  /** Loads the base model's weights from `binder`, leaving the binder open for a head's weights. */
  static fromBinder(binder: WeightBinder, config: DebertaV2Config): DebertaV2Backbone {
    const ops = new Ops(binder.backend);
    return new DebertaV2Backbone(
      binder.backend,
      config,
      DebertaEmbeddings.load(binder, config),
      DebertaV2Encoder.load(binder, config, ops),
      ops,
    );
  }

  /** Loads a `DebertaV2Backbone` from a checkpoint's weights (with or without the `deberta.` prefix). */
  static load(
    backend: Backend,
    config: DebertaV2Config,
    weights: WeightMap,
    options: { file?: string } = {},
  ): DebertaV2Backbone & { loading_info: LoadingInfo } {
    const binder = new WeightBinder(backend, weights, ["", "deberta."], options.file);
    const model = DebertaV2Backbone.fromBinder(binder, config);
    try {
      const info = binder.finish("DebertaV2Model");
      return Object.assign(model, { loading_info: info });
    } catch (error) {
      model.dispose();
      throw error;
    }
  }

  forward(inputs: DebertaInputs, options: ForwardOptions = {}): DebertaEncoderOutput {
    if (this.disposed)
      throw new ModelError("MODEL_DISPOSED", "This model was disposed; load it again to run it");
    const prepared = prepareInputs(this.config, inputs);
    const b = this.backend;
    const handles: TensorHandle[] = [];
    const upload = (t: Tensor) => {
      const h = b.upload(t);
      handles.push(h);
      return h;
    };
    // Weight-derived caches are checked when computed: an overflow drops them (else they would be reused
    // silently), and a checked pass recomputes those a pass without checks left behind.
    const checks = Fp16OverflowCheck.create(b, options.check_fp16_overflow, () =>
      this.encoder.clearCaches(this.ops),
    );
    if (checks !== undefined && !this.cachesChecked) this.encoder.clearCaches(this.ops);
    this.cachesChecked = checks !== undefined;
    try {
      const ids = upload(prepared.ids);
      const positions = prepared.positions === undefined ? undefined : upload(prepared.positions);
      const tokenTypes = prepared.tokenTypes === undefined ? undefined : upload(prepared.tokenTypes);
      const embeddingMask = upload(prepared.embeddingMask);
      const attentionMask = upload(prepared.attentionMask);
      const rowMask = upload(v2RowMask(prepared.attentionMask));
      const embedded = this.ops.checking(checks, "embeddings", () =>
        this.embeddings.forward(this.ops, ids, positions, tokenTypes, embeddingMask),
      );
      const encoded = this.ops.checking(checks, "encoder", () =>
        this.encoder.forward(this.ops, embedded, attentionMask, rowMask, {
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
      this.ops.free(...handles);
    }
  }

  /** Frees the cached relative projections and derived weights; the checkpoint weights belong to the backend. */
  dispose(): void {
    if (this.disposed) return;
    this.encoder.dispose(this.ops);
    this.disposed = true;
  }
}
