// Checks a loaded model against a fixture's float64 reference outputs (`expected.safetensors` of
// ../shared/fixtures/models): the same checks for every backend, in Node and in browsers (no Node APIs).
// logits / start_logits / end_logits and loss within 1e-5, argmax identical, last_hidden_state, every
// hidden_states.i and attentions.i within 1e-4 — per-token outputs at non-padding positions only; and the
// attention score terms (output_attention_terms): softmax over keys of c2c + c2p + p2c, masked as
// transformers masks, equals attentions.i within 1e-4 at non-padding query rows, and c2c + c2p + p2c equals
// log attentions.i up to a per-row constant within 1e-5 at real (query, key) pairs.
import {
  maxErrorAtRealTokens,
  maxScoreErrorAtRealTokens,
  type ReferenceLayout,
  type ReferenceTensor,
  softmaxOfTerms,
} from "@deberta/model/reference-compare";
import { Tensor } from "@deberta/tensor";
import type { DebertaPreTrainedModel, HeadCallInputs, HeadCallOutputs } from "./pretrained.js";

export { maxErrorAtRealTokens, maxScoreErrorAtRealTokens, type ReferenceTensor, softmaxOfTerms };

export interface FixtureCheck {
  /** What was compared: "logits", "argmax of logits", "hidden_states.2", "loss", ... */
  name: string;
  maxError: number;
  tolerance: number;
  pass: boolean;
}

export const LOGIT_TOLERANCE = 1e-5;
export const STATE_TOLERANCE = 1e-4;
/**
 * Summed attention score terms against the log of the reference probabilities, up to a per-row constant.
 * Tighter than the probabilities' 1e-4: the fixtures' scores are small (attention near uniform), so only
 * the scores show a relative term read at the wrong position (~1e-3 off), and float32 keeps log p to ~1e-7.
 */
export const SCORE_TOLERANCE = 1e-5;

export interface FixtureCheckOptions {
  /**
   * Multiplies every tolerance (1: the float32 acceptance; 2⁸ for a float16 backend, as the conformance
   * suite's float16 tolerances). Above 1, rows whose reference top-two logits are closer than twice the
   * logit tolerance are left out of the argmax check: a lower precision may legitimately flip such a tie.
   */
  toleranceScale?: number;
  /**
   * Ask for the attention score terms with the per-layer outputs and check them (true by default): where the
   * reference has attentions.i, attention_terms[i] must be returned and softmax(c2c + c2p + p2c), masked,
   * must equal it.
   */
  attentionTerms?: boolean;
}

const numbers = (t: ReferenceTensor): Float64Array => Float64Array.from(t.data, Number);

function asInput(t: ReferenceTensor, dtype: "int64" | "float32"): Tensor {
  return dtype === "int64"
    ? new Tensor(
        "int64",
        BigInt64Array.from(t.data, (v) => BigInt(v)),
        t.shape,
      )
    : new Tensor("float32", Float32Array.from(t.data, Number), t.shape);
}

/**
 * The call the fixture's reference was produced with: ids, mask, token types, labels, extra outputs (and,
 * unless `attentionTerms` is false, the attention score terms with them).
 */
export function fixtureCallInputs(
  expected: ReadonlyMap<string, ReferenceTensor>,
  options: Pick<FixtureCheckOptions, "attentionTerms"> = {},
): HeadCallInputs {
  const get = (key: string) => {
    const t = expected.get(key);
    if (t === undefined) throw new Error(`the fixture's expected.safetensors has no ${key}`);
    return t;
  };
  // Integer labels are stored as integers, soft / multi-label / regression labels as floats.
  const label = (key: string) => {
    const t = expected.get(key);
    if (t === undefined) return undefined;
    return asInput(t, t.data instanceof BigInt64Array || t.data instanceof Int32Array ? "int64" : "float32");
  };
  const states = expected.has("hidden_states.0");
  const inputs: HeadCallInputs = {
    input_ids: asInput(get("input_ids"), "int64"),
    attention_mask: asInput(get("attention_mask"), "int64"),
    output_hidden_states: states,
    output_attentions: states,
    output_attention_terms: states && (options.attentionTerms ?? true),
  };
  if (expected.has("token_type_ids")) inputs.token_type_ids = asInput(get("token_type_ids"), "int64");
  const labels = label("labels.labels");
  if (labels !== undefined) inputs.labels = labels;
  const start = label("labels.start_positions");
  const end = label("labels.end_positions");
  if (start !== undefined && end !== undefined) {
    inputs.start_positions = start;
    inputs.end_positions = end;
  }
  return inputs;
}

function argmaxRows(data: ArrayLike<number>, width: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < data.length / width; r++) {
    let best = 0;
    for (let c = 1; c < width; c++) if (data[r * width + c]! > data[r * width + best]!) best = c;
    out.push(best);
  }
  return out;
}

/** The gap between the largest and second-largest value of row `row`. */
function topTwoGap(data: Float64Array, width: number, row: number): number {
  let first = Number.NEGATIVE_INFINITY;
  let second = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < width; c++) {
    const v = data[row * width + c]!;
    if (v > first) {
      second = first;
      first = v;
    } else if (v > second) second = v;
  }
  return first - second;
}

function check(name: string, maxError: number, tolerance: number): FixtureCheck {
  return { name, maxError, tolerance, pass: maxError <= tolerance };
}

/** Compares one call's outputs with the reference; `mask` is the fixture's attention mask. */
export function compareWithReference(
  expected: ReadonlyMap<string, ReferenceTensor>,
  out: HeadCallOutputs,
  options: FixtureCheckOptions = {},
): FixtureCheck[] {
  const scale = options.toleranceScale ?? 1;
  const logitTolerance = LOGIT_TOLERANCE * scale;
  const stateTolerance = STATE_TOLERANCE * scale;
  const mask = numbers(expected.get("attention_mask")!);
  const checks: FixtureCheck[] = [];
  for (const key of ["logits", "start_logits", "end_logits"] as const) {
    const want = expected.get(key);
    if (want === undefined) continue;
    const got = out[key];
    if (got === undefined) {
      checks.push(check(key, Number.POSITIVE_INFINITY, logitTolerance));
      continue;
    }
    const layout: ReferenceLayout =
      want.shape.length === 3 ? "bld" : want.shape.length === 2 && key !== "logits" ? "bl" : "b";
    checks.push(check(key, maxErrorAtRealTokens(got, want, mask, layout), logitTolerance));
    const width = want.shape[want.shape.length - 1]!;
    if (want.shape.length >= 2 && width > 1) {
      const reference = numbers(want);
      // Rows compared: real tokens only, and (when tolerances are scaled) no near-ties of the reference.
      const keep = (i: number) =>
        (layout === "b" || mask[i] !== 0) &&
        (scale === 1 || topTwoGap(reference, width, i) >= 2 * logitTolerance);
      const real = (values: number[]) => values.filter((_, i) => keep(i));
      const a = real(argmaxRows(got.data as Float32Array, width));
      const b = real(argmaxRows(reference, width));
      const differing = a.filter((v, i) => v !== b[i]).length + Math.abs(a.length - b.length);
      checks.push(check(`argmax of ${key} (rows differing)`, differing, 0));
    }
  }
  const loss = expected.get("loss");
  if (loss !== undefined) {
    const got = out.loss === undefined ? Number.NaN : (out.loss.data as Float32Array)[0]!;
    const err = Math.abs(got - Number(loss.data[0]));
    checks.push(check("loss", Number.isNaN(err) ? Number.POSITIVE_INFINITY : err, logitTolerance));
  }
  const last = expected.get("last_hidden_state");
  if (last !== undefined) {
    const got = out.last_hidden_state ?? out.hidden_states?.[out.hidden_states.length - 1];
    if (got !== undefined)
      checks.push(check("last_hidden_state", maxErrorAtRealTokens(got, last, mask, "bld"), stateTolerance));
  }
  for (const [i, h] of (out.hidden_states ?? []).entries()) {
    const want = expected.get(`hidden_states.${i}`);
    if (want !== undefined)
      checks.push(check(`hidden_states.${i}`, maxErrorAtRealTokens(h, want, mask, "bld"), stateTolerance));
  }
  for (const [i, a] of (out.attentions ?? []).entries()) {
    const want = expected.get(`attentions.${i}`);
    if (want !== undefined)
      checks.push(check(`attentions.${i}`, maxErrorAtRealTokens(a, want, mask, "bhll"), stateTolerance));
  }
  if (options.attentionTerms ?? true) {
    for (let i = 0; expected.has(`attentions.${i}`); i++) {
      const want = expected.get(`attentions.${i}`)!;
      const terms = out.attention_terms?.[i];
      if (terms === undefined) {
        checks.push(check(`attention_terms.${i} (not returned)`, Number.POSITIVE_INFINITY, stateTolerance));
        continue;
      }
      checks.push(
        check(
          `attention_terms.${i} (softmax vs attentions.${i})`,
          maxErrorAtRealTokens(softmaxOfTerms(terms, mask), want, mask, "bhll"),
          stateTolerance,
        ),
        check(
          `attention_terms.${i} (sum vs log attentions.${i})`,
          maxScoreErrorAtRealTokens(terms, want, mask),
          SCORE_TOLERANCE * scale,
        ),
      );
    }
  }
  for (const key of expected.keys()) {
    const [head] = key.split(".");
    if ((head === "hidden_states" || head === "attentions") && !checks.some((c) => c.name === key))
      checks.push(check(`${key} (not returned)`, Number.POSITIVE_INFINITY, stateTolerance));
  }
  return checks;
}

/**
 * Runs `model` on the fixture's inputs and compares every reference output. Fixtures whose reference has
 * last_hidden_state but no per-layer states (the F16 / BF16 ones) get a second call with hidden states.
 */
export async function checkFixture(
  model: DebertaPreTrainedModel,
  expected: ReadonlyMap<string, ReferenceTensor>,
  options: FixtureCheckOptions = {},
): Promise<FixtureCheck[]> {
  const inputs = fixtureCallInputs(expected, options);
  const out = await model(inputs);
  if (
    expected.has("last_hidden_state") &&
    out.last_hidden_state === undefined &&
    out.hidden_states === undefined
  ) {
    const again = await model({ ...inputs, output_hidden_states: true });
    const states = again.hidden_states!;
    out.last_hidden_state = states[states.length - 1]!;
  }
  return compareWithReference(expected, out, options);
}

export {
  type ConcurrentCallsCheck,
  checkConcurrentCalls,
  type RandomCallsOptions,
  randomCalls,
  seededRandom,
} from "./concurrency-check.js";
