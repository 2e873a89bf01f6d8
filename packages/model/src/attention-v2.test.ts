// DebertaV2Attention on the fused disentangledAttention op, for the settings the two v2 fixtures do not
// cover, on the CPU backend's js, wasm and native engines. Models derived from v3-like/Model (its weights,
// config.json changed): c2p only, p2c only, relative_attention off, and separate position projections
// (share_att_key false, pos_key_proj / pos_query_proj given other layers' weights so they differ from the
// shared ones); v3-like itself as the control. None has a transformers reference, so each layer is checked
// two ways that meet:
// 1. each returned score term (c2c, c2p, p2c) equals an independent float64 computation written here from
//    the checkpoint's weights and config.json with plain loops, following transformers'
//    DisentangledSelfAttention (DeBERTa-v2) — buckets from build_relative_position, p2c at
//    clamp(−rel(j, i) + span) gathered on the key's rows — from the model's own layer input;
// 2. the fused op's attention probabilities equal the masked softmax of those terms within 1e-4, and their
//    log equals the summed terms up to a per-row constant within 1e-5 (see attention-terms.test.ts for why
//    both);
// and the terms present are exactly those the config uses. On the native engine a forward without terms is
// one asynchronous program with no synchronous one: no primitive fallback (gatherElements) is left.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { type CpuBackend, createCpuBackend, loadNativeAddon } from "@deberta/backend-cpu";
import { DebertaV2Config } from "@deberta/config";
import { readWeightsFile, readWeightsFromDir } from "@deberta/hub";
import { Tensor } from "@deberta/tensor";
import { fixturesDir } from "@deberta/testing";
import { afterAll, describe, expect, it } from "vitest";
import type { AttentionTerms } from "./attention-terms.js";
import { DebertaV2Backbone } from "./deberta-v2-backbone.js";
import { maxErrorAtRealTokens, maxScoreErrorAtRealTokens, softmaxOfTerms } from "./reference-compare.js";
import { buildRelativePosition } from "./relative-position-v2.js";
import { expectedTensor } from "./test-support.js";
import type { WeightMap, WeightTensor } from "./weights.js";

const DIR = path.join(fixturesDir(), "deberta-v2", "models", "v3-like", "Model");
const TERMS = ["c2c", "c2p", "p2c"] as const;
type Term = (typeof TERMS)[number];

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

interface Variant {
  name: string;
  raw: Record<string, unknown>;
  weights: WeightMap;
}

const baseRaw = JSON.parse(await readFile(path.join(DIR, "config.json"), "utf8")) as Record<string, unknown>;
const baseWeights = await readWeightsFromDir(DIR);
const fixture = {
  dir: DIR,
  expected: new Map(await readWeightsFile(path.join(DIR, "expected.safetensors"))),
};

function variants(): Variant[] {
  const layers = baseRaw.num_hidden_layers as number;
  const separate = new Map<string, WeightTensor>(baseWeights);
  for (let i = 0; i < layers; i++) {
    const p = `encoder.layer.${i}.attention.self`;
    // Another layer's projections: real weights of the right shape, unlike this layer's shared ones.
    const other = `encoder.layer.${(i + 1) % layers}.attention.self`;
    for (const [target, source] of [
      ["pos_key_proj", "value_proj"],
      ["pos_query_proj", "key_proj"],
    ] as const) {
      separate.set(`${p}.${target}.weight`, baseWeights.get(`${other}.${source}.weight`)!);
      separate.set(`${p}.${target}.bias`, baseWeights.get(`${other}.${source}.bias`)!);
    }
  }
  const without = (drop: (key: string) => boolean) =>
    new Map([...baseWeights].filter(([key]) => !drop(key))) as WeightMap;
  return [
    { name: "v3-like (c2p + p2c, shared keys)", raw: baseRaw, weights: baseWeights },
    { name: "c2p only", raw: { ...baseRaw, pos_att_type: ["c2p"] }, weights: baseWeights },
    { name: "p2c only", raw: { ...baseRaw, pos_att_type: ["p2c"] }, weights: baseWeights },
    {
      name: "relative_attention off",
      raw: { ...baseRaw, relative_attention: false },
      weights: without((key) => key === "encoder.rel_embeddings.weight"),
    },
    { name: "separate position projections", raw: { ...baseRaw, share_att_key: false }, weights: separate },
  ];
}

const int64 = (t: { shape: number[]; data: Float64Array }) =>
  new Tensor(
    "int64",
    BigInt64Array.from(t.data, (v) => BigInt(v)),
    t.shape,
  );

const inputs = () => ({
  input_ids: int64(expectedTensor(fixture, "input_ids")),
  attention_mask: int64(expectedTensor(fixture, "attention_mask")),
  token_type_ids: int64(expectedTensor(fixture, "token_type_ids")),
});

const posTypes = (raw: Record<string, unknown>): string[] =>
  typeof raw.pos_att_type === "string"
    ? raw.pos_att_type.toLowerCase().split("|")
    : ((raw.pos_att_type as string[] | undefined) ?? []).map((t) => t.toLowerCase());

/**
 * The terms of layer `layer` in float64 from config.json and the weights alone (transformers' DeBERTa-v2):
 * q = x·W_qᵀ + b_q, k = x·W_kᵀ + b_k; s = √(d · (1 + len(pos_att_type))); R = rel_embeddings, LayerNorm'd
 * (encoder.LayerNorm) when norm_rel_ebd says so; posKey = R·W_kᵀ + b_k and posQuery = R·W_qᵀ + b_q with
 * share_att_key, else pos_key_proj / pos_query_proj; span = position_buckets (or max_relative_positions);
 * rel = build_relative_position; c2c = q·k / s, c2p[i, j] = q_i·posKey[clamp(rel[i][j] + span)] / s,
 * p2c[i, j] = k_j·posQuery[clamp(−rel[j][i] + span)] / s.
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
  const d = (raw.attention_head_size as number | undefined) ?? hidden / heads;
  const all = heads * d;
  const types = posTypes(raw);
  const scale = Math.sqrt(d * (1 + types.length));
  const weight = (key: string) => {
    const w = weights.get(key);
    if (w === undefined) throw new Error(`no ${key} in the checkpoint`);
    return Float64Array.from(w.data as ArrayLike<number>, Number);
  };
  const p = `encoder.layer.${layer}.attention.self`;
  // rows [n, hidden] · W[all, hidden]ᵀ + b, as [heads][n][d].
  const project = (rows: ArrayLike<number>, n: number, name: string) => {
    const w = weight(`${p}.${name}.weight`);
    const b = weight(`${p}.${name}.bias`);
    const out = new Float64Array(heads * n * d);
    for (let t = 0; t < n; t++) {
      for (let o = 0; o < all; o++) {
        let s = b[o]!;
        for (let e = 0; e < hidden; e++) s += w[o * hidden + e]! * rows[t * hidden + e]!;
        out[(Math.floor(o / d) * n + t) * d + (o % d)] = s;
      }
    }
    return out;
  };
  const tokens = batch * length;
  const q = project(x, tokens, "query_proj"); // [heads][b·L + t][d]
  const k = project(x, tokens, "key_proj");
  const at = (h: number, b: number, t: number) => (h * tokens + b * length + t) * d;
  const dot = (a: Float64Array, ai: number, c: Float64Array, ci: number) => {
    let s = 0;
    for (let e = 0; e < d; e++) s += a[ai + e]! * c[ci + e]!;
    return s;
  };
  const size = batch * heads * length * length;
  const cell = (b: number, h: number, i: number, j: number) => ((b * heads + h) * length + i) * length + j;
  const out: Partial<Record<Term, Float64Array>> = { c2c: new Float64Array(size) };
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < length; i++)
        for (let j = 0; j < length; j++)
          out.c2c![cell(b, h, i, j)] = dot(q, at(h, b, i), k, at(h, b, j)) / scale;
  if (raw.relative_attention !== true) return out;

  const buckets = (raw.position_buckets as number | undefined) ?? -1;
  const maxRelativeRaw = (raw.max_relative_positions as number | undefined) ?? -1;
  const maxRelative = maxRelativeRaw < 1 ? (raw.max_position_embeddings as number) : maxRelativeRaw;
  const span = buckets > 0 ? buckets : maxRelative;
  const rows = 2 * span;
  let rel = weight("encoder.rel_embeddings.weight");
  const norm = String(raw.norm_rel_ebd ?? "none")
    .toLowerCase()
    .split("|")
    .map((s) => s.trim());
  if (norm.includes("layer_norm")) {
    const gamma = weight("encoder.LayerNorm.weight");
    const beta = weight("encoder.LayerNorm.bias");
    const eps = raw.layer_norm_eps as number;
    const normed = new Float64Array(rel.length);
    for (let r = 0; r < rows; r++) {
      let mean = 0;
      for (let e = 0; e < hidden; e++) mean += rel[r * hidden + e]! / hidden;
      let variance = 0;
      for (let e = 0; e < hidden; e++) variance += (rel[r * hidden + e]! - mean) ** 2 / hidden;
      for (let e = 0; e < hidden; e++)
        normed[r * hidden + e] =
          ((rel[r * hidden + e]! - mean) / Math.sqrt(variance + eps)) * gamma[e]! + beta[e]!;
    }
    rel = normed;
  }
  const shared = raw.share_att_key === true;
  const relative = buildRelativePosition(length, length, buckets, maxRelative);
  const clampIndex = (v: number) => Math.min(Math.max(v, 0), rows - 1);
  const posAt = (h: number, r: number) => (h * rows + r) * d;
  if (types.includes("c2p")) {
    const posKey = project(rel, rows, shared ? "key_proj" : "pos_key_proj");
    const c2p = new Float64Array(size);
    for (let b = 0; b < batch; b++)
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < length; i++)
          for (let j = 0; j < length; j++) {
            const r = clampIndex(relative[i * length + j]! + span);
            c2p[cell(b, h, i, j)] = dot(q, at(h, b, i), posKey, posAt(h, r)) / scale;
          }
    out.c2p = c2p;
  }
  if (types.includes("p2c")) {
    const posQuery = project(rel, rows, shared ? "query_proj" : "pos_query_proj");
    const p2c = new Float64Array(size);
    for (let b = 0; b < batch; b++)
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < length; i++)
          for (let j = 0; j < length; j++) {
            // transformers: p2c_pos[j, i] = clamp(−rel[j][i] + span), gathered on key j's row, transposed.
            const r = clampIndex(-relative[j * length + i]! + span);
            p2c[cell(b, h, i, j)] = dot(k, at(h, b, j), posQuery, posAt(h, r)) / scale;
          }
    out.p2c = p2c;
  }
  return out;
}

/** Max |got − want| over all (b, h, i, j), relative to max |want| (the terms here are 1e-3 to 1e-1). */
function termError(got: Tensor, want: Float64Array): number {
  const data = got.data as Float32Array;
  if (data.length !== want.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  let magnitude = 0;
  for (let n = 0; n < want.length; n++) {
    magnitude = Math.max(magnitude, Math.abs(want[n]!));
    const err = Math.abs(data[n]! - want[n]!);
    if (!(err <= max)) max = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
  }
  return magnitude === 0 ? max : max / magnitude;
}

for (const { engine, backend, reason } of engines) {
  describe.skipIf(backend === undefined)(
    `DebertaV2Attention (fused), CPU backend, ${engine} engine${reason === undefined ? "" : ` (skipped: ${reason})`}`,
    () => {
      it.each(variants().map((v) => [v.name, v] as const))("%s", async (_, v) => {
        const config = DebertaV2Config.from_dict(v.raw);
        const model = DebertaV2Backbone.load(backend!, config, v.weights, { file: DIR });
        expect(model.loading_info.unexpected_keys).toEqual([]);
        try {
          const out = model.forward(inputs(), {
            output_hidden_states: true,
            output_attentions: true,
            output_attention_terms: true,
          });
          const mask = expectedTensor(fixture, "attention_mask");
          const [batch, length] = mask.shape as [number, number];
          const types = config.relative_attention ? posTypes(v.raw) : [];
          for (const [layer, handles] of out.attention_terms!.entries()) {
            const got: AttentionTerms<Tensor> = { c2c: await backend!.download(handles.c2c) };
            if (handles.c2p !== undefined) got.c2p = await backend!.download(handles.c2p);
            if (handles.p2c !== undefined) got.p2c = await backend!.download(handles.p2c);
            expect(Object.keys(got).sort(), `layer ${layer}`).toEqual(
              TERMS.filter((t) => t === "c2c" || types.includes(t)).sort(),
            );
            const input = (await backend!.download(out.hidden_states![layer]!)).data as Float32Array;
            const want = float64Terms(v.raw, v.weights, layer, input, batch, length);
            for (const term of TERMS) {
              if (got[term] === undefined) continue;
              expect(termError(got[term]!, want[term]!), `layer ${layer} ${term} vs float64`).toBeLessThan(
                1e-5,
              );
            }
            const fused = await backend!.download(out.attentions![layer]!);
            const softmax = softmaxOfTerms(got, mask.data);
            expect(
              maxErrorAtRealTokens(
                fused,
                { shape: [...softmax.dims], data: softmax.data as Float64Array },
                mask.data,
                "bhll",
              ),
              `layer ${layer}: fused probabilities vs softmax of the terms`,
            ).toBeLessThan(1e-4);
            expect(
              maxScoreErrorAtRealTokens(
                got,
                { shape: [...fused.dims], data: fused.data as Float32Array },
                mask.data,
              ),
              `layer ${layer}: summed terms vs log of the fused probabilities`,
            ).toBeLessThan(1e-5);
          }
          const handles = [
            out.last_hidden_state,
            ...out.hidden_states!,
            ...out.attentions!,
            ...out.attention_terms!.flatMap((t) => [t.c2c, t.c2p, t.p2c]),
          ];
          for (const h of handles) if (h?.alive) backend!.dispose(h);

          if (engine === "native") {
            // Warm (the relative projections are cached by now): the forward alone, fully native.
            const before = backend!.nativeStats()!;
            const plain = model.forward(inputs());
            await backend!.download(plain.last_hidden_state);
            const after = backend!.nativeStats()!;
            expect(after.asyncPrograms - before.asyncPrograms).toBe(1);
            expect(after.syncPrograms - before.syncPrograms).toBe(0);
            backend!.dispose(plain.last_hidden_state);
          }
        } finally {
          model.dispose();
        }
      });
    },
  );
}
