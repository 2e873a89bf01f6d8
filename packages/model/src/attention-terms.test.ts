// output_attention_terms on the CPU backend (each engine this machine runs: js, wasm, native), for every
// base-model fixture variant and a c2p-only model derived from span8-types (the fixtures have no c2p-only
// checkpoint):
// 1. softmax over keys of c2c + c2p + p2c (masked keys at float32's lowest value, as transformers) equals the
//    fixture's attentions.i within 1e-4 at non-padding query rows (the derived c2p-only model, which has no
//    transformers reference, against its own fused attention probabilities), and c2c + c2p + p2c equals
//    log attentions.i up to a per-row constant within 1e-5 at real (query, key) pairs;
// 2. each returned term equals an independent float64 computation written here from the checkpoint's
//    weights and config.json, with plain loops: from the layer's input hidden state of the fixture's
//    reference (hidden_states.i) at real tokens, and from the model's own hidden state at every position;
// 3. terms absent by pos_att_type / relative_attention are absent.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { type CpuBackend, createCpuBackend, loadNativeAddon } from "@deberta/backend-cpu";
import { DebertaConfig } from "@deberta/config";
import { readWeightsFromDir } from "@deberta/hub";
import { Tensor } from "@deberta/tensor";
import { afterAll, describe, expect, it } from "vitest";
import type { AttentionTerms } from "./attention-terms.js";
import { DebertaBackbone } from "./deberta-backbone.js";
import { maxErrorAtRealTokens, maxScoreErrorAtRealTokens, softmaxOfTerms } from "./reference-compare.js";
import { expectedTensor, type Fixture, loadFixture } from "./test-support.js";
import type { WeightMap } from "./weights.js";

const VARIANTS = ["base-like/model", "span8-types/model", "absolute-only/model", "p2c-only/model"];
/** A c2p-only model: span8-types' weights without pos_q_proj, pos_att_type ["c2p"]. */
const C2P_ONLY = "c2p-only (span8-types/model without p2c)";
const TERMS = ["c2c", "c2p", "p2c"] as const;
type Term = (typeof TERMS)[number];

// One backend per CPU engine for the whole file, or the reason the engine cannot run here.
const native = await loadNativeAddon();
const engines: { engine: "js" | "wasm" | "native"; backend?: CpuBackend; reason?: string }[] = [];
for (const engine of ["js", "wasm", "native"] as const) {
  if (engine === "native" && native.addon === undefined) {
    engines.push({ engine, reason: native.reason });
    continue;
  }
  try {
    engines.push({ engine, backend: await createCpuBackend({ engine, threads: 2 }) });
  } catch (error) {
    engines.push({ engine, reason: (error as Error).message });
  }
}
afterAll(() => {
  for (const e of engines) e.backend?.close();
});

interface Case {
  fixture: Fixture;
  config: DebertaConfig;
  /** config.json as written, for the independent computation. */
  raw: Record<string, unknown>;
  weights: WeightMap;
  /** Whether the fixture's reference attentions belong to this model (not so for the derived one). */
  referenced: boolean;
}

async function loadCase(name: string): Promise<Case> {
  const derived = name === C2P_ONLY;
  const fixture = await loadFixture(derived ? "span8-types/model" : name);
  const raw = JSON.parse(await readFile(path.join(fixture.dir, "config.json"), "utf8")) as Record<
    string,
    unknown
  >;
  const weights = await readWeightsFromDir(fixture.dir);
  if (!derived) return { fixture, config: fixture.config, raw, weights, referenced: true };
  const c2pRaw = { ...raw, pos_att_type: ["c2p"] };
  return {
    fixture,
    config: DebertaConfig.from_dict(c2pRaw),
    raw: c2pRaw,
    weights: new Map([...weights].filter(([key]) => !key.includes(".pos_q_proj."))),
    referenced: false,
  };
}

const int64 = (t: { shape: number[]; data: Float64Array }) =>
  new Tensor(
    "int64",
    BigInt64Array.from(t.data, (v) => BigInt(v)),
    t.shape,
  );

/** The model's outputs with the terms, downloaded. */
async function runModel(backend: CpuBackend, c: Case) {
  const f = c.fixture;
  const model = DebertaBackbone.load(backend, c.config, c.weights, { file: f.dir });
  expect(model.loading_info.unexpected_keys).toEqual([]);
  try {
    const out = model.forward(
      {
        input_ids: int64(expectedTensor(f, "input_ids")),
        attention_mask: int64(expectedTensor(f, "attention_mask")),
        token_type_ids: int64(expectedTensor(f, "token_type_ids")),
      },
      { output_hidden_states: true, output_attentions: true, output_attention_terms: true },
    );
    const download = (handles: readonly (typeof out.last_hidden_state)[]) =>
      Promise.all(handles.map((h) => backend.download(h)));
    const terms: AttentionTerms<Tensor>[] = [];
    for (const layer of out.attention_terms!) {
      const got: AttentionTerms<Tensor> = { c2c: await backend.download(layer.c2c) };
      if (layer.c2p !== undefined) got.c2p = await backend.download(layer.c2p);
      if (layer.p2c !== undefined) got.p2c = await backend.download(layer.p2c);
      terms.push(got);
    }
    const result = {
      hidden: await download(out.hidden_states!),
      attentions: await download(out.attentions!),
      terms,
    };
    const handles = [
      out.last_hidden_state,
      ...out.hidden_states!,
      ...out.attentions!,
      ...out.attention_terms!.flatMap((t) => [t.c2c, t.c2p, t.p2c]),
    ];
    for (const h of handles) if (h?.alive) backend.dispose(h);
    return result;
  } finally {
    model.dispose();
  }
}

/**
 * The terms of layer `layer` in float64, from config.json and the checkpoint's weights alone, following
 * transformers' DisentangledSelfAttention (DeBERTa v1): qkv = x · in_projᵀ, per head [q | k | v];
 * q' = (q + q_bias) / √(headSize · (1 + len(pos_att_type))); relative positions r = i − j, span
 * S = min(L, max_relative_positions or max_position_embeddings), c2p gathers q'·(R·pos_projᵀ)ᵀ at
 * clamp(r + S, 0, 2S − 1); p2c gathers k·((R·pos_q_projᵀ + b) / scale)ᵀ at clamp(−r' + S) with r' the
 * relative position of (key j, query i), then transposes.
 */
function float64Terms(
  raw: Record<string, unknown>,
  weights: WeightMap,
  layer: number,
  x: ArrayLike<number>,
  batch: number,
  length: number,
): Partial<Record<Term, Float64Array>> {
  const hidden = raw.hidden_size as number;
  const heads = raw.num_attention_heads as number;
  const hs = hidden / heads;
  const posTypes: string[] =
    raw.pos_att_type === null || raw.pos_att_type === undefined
      ? []
      : typeof raw.pos_att_type === "string"
        ? raw.pos_att_type.toLowerCase().split("|")
        : (raw.pos_att_type as string[]).map((t) => t.toLowerCase());
  const scale = Math.sqrt(hs * (1 + posTypes.length));
  const weight = (key: string) => {
    const w = weights.get(key) ?? weights.get(`deberta.${key}`);
    if (w === undefined) throw new Error(`no ${key} in the checkpoint`);
    return Float64Array.from(w.data as ArrayLike<number>, Number);
  };
  const p = `encoder.layer.${layer}.attention.self`;
  const inProj = weight(`${p}.in_proj.weight`); // [3 · hidden, hidden]
  const qBias = weight(`${p}.q_bias`);
  // q'[b][h][t][d], k[b][h][t][d] as flat arrays.
  const at = (b: number, h: number, t: number) => ((b * heads + h) * length + t) * hs;
  const q = new Float64Array(batch * heads * length * hs);
  const k = new Float64Array(batch * heads * length * hs);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < length; t++) {
      for (let h = 0; h < heads; h++) {
        for (let d = 0; d < hs; d++) {
          let qs = 0;
          let ks = 0;
          const qRow = (h * 3 * hs + d) * hidden;
          const kRow = (h * 3 * hs + hs + d) * hidden;
          for (let e = 0; e < hidden; e++) {
            const v = x[(b * length + t) * hidden + e]!;
            qs += inProj[qRow + e]! * v;
            ks += inProj[kRow + e]! * v;
          }
          q[at(b, h, t) + d] = (qs + qBias[h * hs + d]!) / scale;
          k[at(b, h, t) + d] = ks;
        }
      }
    }
  }
  const dot = (a: Float64Array, ai: number, c: Float64Array, ci: number) => {
    let s = 0;
    for (let d = 0; d < hs; d++) s += a[ai + d]! * c[ci + d]!;
    return s;
  };
  const size = batch * heads * length * length;
  const out: Partial<Record<Term, Float64Array>> = { c2c: new Float64Array(size) };
  const cell = (b: number, h: number, i: number, j: number) => ((b * heads + h) * length + i) * length + j;
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < length; i++)
        for (let j = 0; j < length; j++) out.c2c![cell(b, h, i, j)] = dot(q, at(b, h, i), k, at(b, h, j));
  if (raw.relative_attention !== true) return out;
  const maxRelative =
    (raw.max_relative_positions as number) < 1
      ? (raw.max_position_embeddings as number)
      : (raw.max_relative_positions as number);
  const span = Math.min(length, maxRelative);
  const rel = weight("encoder.rel_embeddings.weight"); // [2 · maxRelative, hidden]
  // Projected relative rows r ∈ [0, 2S): rel_embeddings[maxRelative − S + r], per head [2S, hs].
  const project = (w: Float64Array, bias: Float64Array | undefined, divide: number) => {
    const proj = new Float64Array(heads * 2 * span * hs);
    for (let r = 0; r < 2 * span; r++) {
      const row = (maxRelative - span + r) * hidden;
      for (let o = 0; o < hidden; o++) {
        let s = bias?.[o] ?? 0;
        for (let e = 0; e < hidden; e++) s += w[o * hidden + e]! * rel[row + e]!;
        const h = Math.floor(o / hs);
        proj[(h * 2 * span + r) * hs + (o % hs)] = s / divide;
      }
    }
    return proj;
  };
  const clampIndex = (v: number) => Math.min(Math.max(v, 0), 2 * span - 1);
  if (posTypes.includes("c2p")) {
    const posKey = project(weight(`${p}.pos_proj.weight`), undefined, 1);
    const c2p = new Float64Array(size);
    for (let b = 0; b < batch; b++)
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < length; i++)
          for (let j = 0; j < length; j++) {
            const r = clampIndex(i - j + span);
            c2p[cell(b, h, i, j)] = dot(q, at(b, h, i), posKey, (h * 2 * span + r) * hs);
          }
    out.c2p = c2p;
  }
  if (posTypes.includes("p2c")) {
    const posQuery = project(weight(`${p}.pos_q_proj.weight`), weight(`${p}.pos_q_proj.bias`), scale);
    const p2c = new Float64Array(size);
    for (let b = 0; b < batch; b++)
      for (let h = 0; h < heads; h++)
        for (let j = 0; j < length; j++)
          for (let i = 0; i < length; i++) {
            // transformers: p2c_pos[j, i] = clamp(−(j − i) + S), gathered on key j's row, then transposed.
            const r = clampIndex(-(j - i) + span);
            p2c[cell(b, h, i, j)] = dot(k, at(b, h, j), posQuery, (h * 2 * span + r) * hs);
          }
    out.p2c = p2c;
  }
  return out;
}

/**
 * Max |got − want| over the (b, h, i, j) that `keep` selects, divided by the term's largest magnitude
 * max |want| there: these tiny random checkpoints have terms of 1e-3 to 1e-1, so an absolute 1e-4 would let
 * a c2p term 10% off pass; relative to the term's own scale, 1e-4 still leaves room for float32 rounding
 * (the errors seen are near 1e-7) and catches any wrong index or scale.
 */
function termError(
  got: Tensor,
  want: Float64Array,
  heads: number,
  length: number,
  keep: (b: number, i: number, j: number) => boolean,
): number {
  const data = got.data as Float32Array;
  if (data.length !== want.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  let magnitude = 0;
  for (let n = 0; n < want.length; n++) {
    const j = n % length;
    const i = Math.floor(n / length) % length;
    const b = Math.floor(n / (heads * length * length));
    if (!keep(b, i, j)) continue;
    magnitude = Math.max(magnitude, Math.abs(want[n]!));
    const err = Math.abs(data[n]! - want[n]!);
    if (!(err <= max)) max = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
  }
  return magnitude === 0 ? max : max / magnitude;
}

for (const { engine, backend, reason } of engines) {
  describe.skipIf(backend === undefined)(
    `attention terms on the CPU backend, ${engine} engine${reason === undefined ? "" : ` (skipped: ${reason})`}`,
    () => {
      it.each([...VARIANTS, C2P_ONLY])("%s", async (name) => {
        const c = await loadCase(name);
        const f = c.fixture;
        const { hidden, attentions, terms } = await runModel(backend!, c);
        const mask = expectedTensor(f, "attention_mask");
        const [batch, length] = mask.shape as [number, number];
        const heads = c.config.num_attention_heads;
        const relative = c.config.relative_attention;
        const types = c.config.pos_att_types;
        expect(terms).toHaveLength(c.config.num_hidden_layers);

        for (const [layer, got] of terms.entries()) {
          // 3. The terms there are exactly those the config uses.
          expect(Object.keys(got).sort(), `layer ${layer}`).toEqual(
            TERMS.filter((t) => t === "c2c" || (relative && types.includes(t))).sort(),
          );
          for (const t of Object.values(got)) {
            expect(t.type).toBe("float32");
            expect(t.dims).toEqual([batch, heads, length, length]);
          }

          // 1. Their masked softmax is the layer's attention probabilities.
          const probabilities = softmaxOfTerms(got, mask.data);
          const want = c.referenced ? expectedTensor(f, `attentions.${layer}`) : undefined;
          const softmaxError =
            want === undefined
              ? maxErrorAtRealTokens(
                  attentions[layer]!,
                  {
                    shape: [...probabilities.dims],
                    data: probabilities.data as Float64Array,
                  },
                  mask.data,
                  "bhll",
                )
              : maxErrorAtRealTokens(probabilities, want, mask.data, "bhll");
          expect(softmaxError, `softmax of layer ${layer}'s terms`).toBeLessThan(1e-4);
          // The same, seen below the probabilities' scale: these checkpoints' scores are under 0.1, so
          // attention is near uniform and a c2p or p2c read at the wrong relative index moves probabilities
          // by ~2e-5 only (under 1e-4), but their sum by ~8e-4 against the log of the probabilities, which
          // float32 keeps to ~1e-7 (errors seen: under 1e-7).
          const reference = want ?? {
            shape: [...attentions[layer]!.dims],
            data: attentions[layer]!.data as Float32Array,
          };
          expect(
            maxScoreErrorAtRealTokens(got, reference, mask.data),
            `layer ${layer}'s summed terms vs the log of the attention probabilities`,
          ).toBeLessThan(1e-5);

          // 2. Each term against float64 loops: from the reference's layer input at real (query, key)
          // pairs (padding tokens' hidden states are not meaningful), and from the model's own layer input
          // everywhere; errors relative to the term's scale (see termError). From the reference's input
          // the model's float32 forward adds its own drift (hidden states within 1e-4 of the reference,
          // about 1e-6 in practice): 1e-4. From the model's own input only float32 rounding is left: 1e-5.
          const real = (b: number, i: number, j: number) =>
            mask.data[b * length + i] !== 0 && mask.data[b * length + j] !== 0;
          const fromReference = c.referenced
            ? float64Terms(
                c.raw,
                c.weights,
                layer,
                expectedTensor(f, `hidden_states.${layer}`).data,
                batch,
                length,
              )
            : undefined;
          const fromOwn = float64Terms(
            c.raw,
            c.weights,
            layer,
            hidden[layer]!.data as Float32Array,
            batch,
            length,
          );
          expect(Object.keys(fromOwn).sort(), `layer ${layer}: terms of the float64 computation`).toEqual(
            Object.keys(got).sort(),
          );
          for (const term of TERMS) {
            const value = got[term];
            if (value === undefined) continue;
            if (fromReference !== undefined)
              expect(
                termError(value, fromReference[term]!, heads, length, real),
                `layer ${layer} ${term} vs float64 from hidden_states.${layer}`,
              ).toBeLessThan(1e-4);
            expect(
              termError(value, fromOwn[term]!, heads, length, () => true),
              `layer ${layer} ${term} vs float64 from the model's own input`,
            ).toBeLessThan(1e-5);
          }
        }
      });
    },
  );
}
