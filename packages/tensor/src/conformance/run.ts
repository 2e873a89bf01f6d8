import { Tensor } from "onnxruntime-common";
import type { Backend } from "../backend.js";
import { runFused } from "../execute.js";
import { roundToHalf } from "../half.js";
import type { TensorHandle } from "../handle.js";
import type { FusedOpName, PrimitiveOpName } from "../ops.js";
import { referenceKernels } from "../reference/index.js";
import type { ConformanceCase, Fill, InputSpec } from "./cases.js";
import type { HostTensor } from "./oracle.js";
import * as oracle from "./oracle.js";

/** Deterministic generator seeded by the case name, so a case has the same data on every backend. */
function rng(seed: string): () => number {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  let state = h >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

function fillValues(spec: InputSpec, next: () => number): number[] {
  const n = oracle.size(spec.shape);
  const fill: Fill = spec.fill ?? "normal";
  if (fill === "normal") {
    return Array.from(
      { length: n },
      () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next()),
    );
  }
  if (fill === "positive") return Array.from({ length: n }, () => 0.1 + 2 * next());
  if (fill === "extremes") {
    const edges = [
      Number.NaN,
      Infinity,
      -Infinity,
      65504,
      -65504,
      65500,
      -65500,
      1e6,
      -1e6,
      32768,
      -32768,
      6e-8,
    ];
    return Array.from({ length: n }, () => {
      const u = next();
      const z = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
      return u < 0.25 ? edges[Math.floor(next() * edges.length)]! : z;
    });
  }
  if (fill === "mask") {
    // Like padding: the first position of each row is always kept.
    const last = spec.shape[spec.shape.length - 1]!;
    return Array.from({ length: n }, (_, i) => (i % last === 0 || next() < 0.75 ? 1 : 0));
  }
  if ("int" in fill)
    return Array.from({ length: n }, () => fill.int[0] + Math.floor(next() * (fill.int[1] - fill.int[0])));
  return [...fill.values];
}

function toTensor(spec: InputSpec, values: number[]): Tensor {
  const dtype = spec.dtype ?? "float32";
  if (dtype === "int64") return new Tensor("int64", BigInt64Array.from(values.map(BigInt)), spec.shape);
  if (dtype === "int32") return new Tensor("int32", Int32Array.from(values), spec.shape);
  return new Tensor("float32", Float32Array.from(values), spec.shape);
}

/**
 * The float64 view of what the backend received: float32-rounded values, and float16-rounded ones for a
 * backend computing in float16 (which stores its inputs so).
 */
function toHost(t: Tensor, dtype: "float32" | "float16" = "float32"): HostTensor {
  const data = Float64Array.from(t.data as ArrayLike<number | bigint>, Number);
  if (dtype === "float16" && t.type === "float32")
    for (let i = 0; i < data.length; i++) data[i] = roundToHalf(data[i]!);
  return { shape: [...t.dims], data };
}

/**
 * float16 results are also rounded on output (and intermediates are stored in float16): on top of the
 * case's absolute tolerance, each value may be off by 2⁻¹⁰ of its magnitude (two float16 half-steps).
 */
const FLOAT16_RELATIVE = 2 ** -10;

function evaluateOracle(c: ConformanceCase, x: Record<string, HostTensor | HostTensor[]>): HostTensor[] {
  const attr = c.attrs;
  const num = (k: string) => attr[k] as number;
  const str = (k: string) => attr[k] as string;
  const list = (k: string) => attr[k] as number[];
  const one = (name: string) => x[name] as HostTensor;
  switch (c.op) {
    case "matmul":
      return [oracle.matmul(one("a"), one("b"), (attr.transposeB as boolean | undefined) ?? false)];
    case "binary":
      return [oracle.binary(one("a"), one("b"), str("op"))];
    case "unary":
      return [oracle.map(one("x"), oracle.unaryFns[str("op")]!)];
    case "affine":
      return [oracle.map(one("x"), (v) => v * num("scale") + num("shift"))];
    case "reduce":
      return [oracle.reduce(one("x"), str("op"), num("axis"), attr.keepDims as boolean)];
    case "gather":
      return [oracle.gather(one("table"), one("indices"))];
    case "gatherElements":
      return [oracle.gatherElements(one("x"), one("indices"), num("axis"))];
    case "where":
      return [oracle.where(one("condition"), one("a"), one("b"))];
    case "reshape":
      return [{ shape: [...list("shape")], data: one("x").data }];
    case "transpose":
      return [oracle.transpose(one("x"), list("perm"))];
    case "slice": {
      const starts = list("starts");
      return [
        oracle.slice(
          one("x"),
          starts,
          list("ends"),
          (attr.axes as number[] | undefined) ?? starts.map((_, i) => i),
        ),
      ];
    }
    case "concat":
      return [oracle.concat(x.xs as HostTensor[], num("axis"))];
    case "cast":
      return [one("x")];
    case "linear": {
      const y = oracle.matmul(one("x"), one("weight"), true);
      const withBias = x.bias ? oracle.binary(y, one("bias"), "add") : y;
      return [
        oracle.map(withBias, oracle.activationFns[(attr.activation as string | undefined) ?? "linear"]!),
      ];
    }
    case "layerNorm":
      return [
        oracle.layerNorm(
          one("x"),
          one("gamma"),
          one("beta"),
          num("epsilon"),
          x.residual as HostTensor | undefined,
        ),
      ];
    case "activation":
      return [oracle.map(one("x"), oracle.activationFns[str("fn")]!)];
    case "maskedSoftmax":
      return [oracle.maskedSoftmax(one("x"), x.mask as HostTensor | undefined)];
    case "overflowCount":
      return [oracle.overflowCount(one("x"), x.counts as HostTensor | undefined, num("limit"))];
    case "disentangledAttention": {
      const r = oracle.disentangledAttention(
        one("qkv"),
        one("qBias"),
        one("vBias"),
        one("mask"),
        x.posKey as HostTensor | undefined,
        x.posQuery as HostTensor | undefined,
        num("numHeads"),
        num("scale"),
        num("span"),
        x.kBias as HostTensor | undefined,
        x.relativeIndex as HostTensor | undefined,
      );
      return attr.returnProbs ? [r.context, r.probs] : [r.context];
    }
  }
}

function outputsOf(result: TensorHandle | { context: TensorHandle; probs?: TensorHandle }): TensorHandle[] {
  if ("context" in result)
    return result.probs === undefined ? [result.context] : [result.context, result.probs];
  return [result];
}

export interface ConformanceOptions {
  /** The precision the backend computes in; picks the case's tolerance (default float32). */
  dtype?: "float32" | "float16";
}

export interface ConformanceResult {
  /** Largest absolute difference to the float64 oracle over every output. */
  maxError: number;
  tolerance: number;
  /** For fused ops the backend implements natively: largest difference to the reference on the same backend. */
  maxErrorVsReference?: number;
  pass: boolean;
  message: string;
}

function compare(got: Tensor, want: HostTensor, relative = 0): number {
  if (got.dims.length !== want.shape.length || got.dims.some((d, i) => d !== want.shape[i]))
    return Number.POSITIVE_INFINITY;
  // Integer outputs (counts) are exact in every precision: no float16 rounding slack.
  if (got.type === "int32" || got.type === "int64") relative = 0;
  let max = 0;
  const data = got.data as ArrayLike<number | bigint>;
  for (let i = 0; i < want.data.length; i++) {
    const diff = Math.max(0, Math.abs(Number(data[i]) - want.data[i]!) - relative * Math.abs(want.data[i]!));
    if (!(diff <= max)) max = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
  }
  return max;
}

/** Runs one case on `backend`: its output against the float64 oracle, and native fused ops against their reference. */
export async function runConformanceCase(
  backend: Backend,
  c: ConformanceCase,
  options: ConformanceOptions = {},
): Promise<ConformanceResult> {
  const tolerance = c.tolerance[options.dtype ?? "float32"];
  const next = rng(c.name);
  const tensors: Record<string, Tensor | Tensor[]> = {};
  for (const [name, spec] of Object.entries(c.inputs)) {
    tensors[name] = Array.isArray(spec)
      ? spec.map((s) => toTensor(s, fillValues(s, next)))
      : toTensor(spec, fillValues(spec, next));
  }
  const handles: Record<string, TensorHandle | TensorHandle[]> = {};
  const uploaded: TensorHandle[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const h = Array.isArray(t) ? t.map((x) => backend.upload(x)) : backend.upload(t);
    handles[name] = h;
    uploaded.push(...(Array.isArray(h) ? h : [h]));
  }
  const host: Record<string, HostTensor | HostTensor[]> = {};
  const dtype = options.dtype ?? "float32";
  const relative = dtype === "float16" ? FLOAT16_RELATIVE : 0;
  for (const [name, t] of Object.entries(tensors))
    host[name] = Array.isArray(t) ? t.map((x) => toHost(x, dtype)) : toHost(t, dtype);

  const expected = evaluateOracle(c, host);
  // The op tables type inputs per op; a data-driven case carries them as a record checked by the oracle above.
  const inputs = handles as never;
  const result = c.fused
    ? runFused(backend, c.op as FusedOpName, inputs, c.attrs as never)
    : backend.run(c.op as PrimitiveOpName, inputs, c.attrs as never);
  const outputs = outputsOf(result as TensorHandle);
  let maxError = 0;
  const messages: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const got = await backend.download(outputs[i]!);
    const err = compare(got, expected[i]!, relative);
    if (err === Number.POSITIVE_INFINITY)
      messages.push(
        `output ${i}: shape [${got.dims.join(", ")}], expected [${expected[i]!.shape.join(", ")}] or NaN`,
      );
    maxError = Math.max(maxError, err);
  }
  let maxErrorVsReference: number | undefined;
  if (c.fused && backend.fused[c.op as FusedOpName] !== undefined) {
    const ref = referenceKernels[c.op as FusedOpName](backend, inputs, c.attrs as never);
    const refOutputs = outputsOf(ref as TensorHandle);
    maxErrorVsReference = 0;
    for (let i = 0; i < expected.length; i++) {
      const got = await backend.download(outputs[i]!);
      const want = toHost(await backend.download(refOutputs[i]!));
      maxErrorVsReference = Math.max(maxErrorVsReference, compare(got, want, relative));
    }
    for (const h of refOutputs) backend.dispose(h);
  }
  for (const h of [...outputs, ...uploaded]) if (h.alive) backend.dispose(h);
  // The reference on the same backend is itself a float16 approximation (every intermediate stored in
  // float16), so in float16 the two may differ by both their errors.
  const referenceTolerance = dtype === "float16" ? 2 * tolerance : tolerance;
  const pass =
    maxError <= tolerance && (maxErrorVsReference === undefined || maxErrorVsReference <= referenceTolerance);
  messages.unshift(
    `${c.op} "${c.name}": max |error| ${maxError.toExponential(2)} vs float64 oracle` +
      (maxErrorVsReference === undefined ? "" : `, ${maxErrorVsReference.toExponential(2)} vs reference`) +
      ` (tolerance ${tolerance}${relative > 0 ? ` + ${relative.toExponential(2)}·|value|` : ""}, ${dtype})`,
  );
  return {
    maxError,
    tolerance,
    ...(maxErrorVsReference === undefined ? {} : { maxErrorVsReference }),
    pass,
    message: messages.join("; "),
  };
}
