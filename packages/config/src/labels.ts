import { describeValue, type ErrorContext, keyError } from "./errors.js";
import { expectInteger, isPlainObject } from "./validate.js";

/** How a classification head computes its loss (transformers' `PretrainedConfig.problem_type`). */
export type ProblemType = "regression" | "single_label_classification" | "multi_label_classification";

/** The values transformers allows for `problem_type` (besides `null`). */
export const PROBLEM_TYPES: readonly ProblemType[] = Object.freeze([
  "regression",
  "single_label_classification",
  "multi_label_classification",
]);

/** Label maps and count after applying transformers' defaults. */
export interface ResolvedLabels {
  readonly id2label: Readonly<Record<number, string>>;
  readonly label2id: Readonly<Record<string, number>>;
  readonly numLabels: number;
  /** True when the maps are transformers' default `{0: "LABEL_0", 1: "LABEL_1"}` (not worth saving). */
  readonly isDefault: boolean;
}

export function parseProblemType(value: unknown, context: ErrorContext): ProblemType | null {
  if (value === null) return null;
  if (typeof value !== "string") {
    throw keyError(
      "CONFIG_TYPE",
      "problem_type",
      `must be null or a string, got ${describeValue(value)}`,
      context,
    );
  }
  const found = PROBLEM_TYPES.find((type) => type === value);
  if (found === undefined) {
    throw keyError(
      "CONFIG_VALUE",
      "problem_type",
      `must be one of ${PROBLEM_TYPES.map((t) => JSON.stringify(t)).join(", ")} or null, got ${describeValue(value)}`,
      context,
    );
  }
  return found;
}

/** Generates transformers' placeholder names `LABEL_0 ... LABEL_{n-1}`. */
export function defaultId2label(numLabels: number): Record<number, string> {
  const map: Record<number, string> = {};
  for (let i = 0; i < numLabels; i++) map[i] = `LABEL_${i}`;
  return map;
}

// transformers turns the JSON keys back into Python ints with int(key), which accepts surrounding spaces and
// leading zeros; negative ids are accepted by int() but no head can emit them, so they are refused here.
const INTEGER_KEY = /^\s*\d+\s*$/;

function parseId2label(value: unknown, context: ErrorContext): Record<number, string> {
  if (!isPlainObject(value)) {
    throw keyError("CONFIG_TYPE", "id2label", `must be an object, got ${describeValue(value)}`, context);
  }
  const map: Record<number, string> = {};
  for (const [rawKey, label] of Object.entries(value)) {
    if (!INTEGER_KEY.test(rawKey)) {
      throw keyError(
        "CONFIG_VALUE",
        "id2label",
        `has the key ${JSON.stringify(rawKey)}, which is not a non-negative integer`,
        context,
      );
    }
    const id = Number.parseInt(rawKey, 10);
    if (Object.hasOwn(map, id)) {
      throw keyError(
        "CONFIG_VALUE",
        "id2label",
        `lists id ${id} twice (key ${JSON.stringify(rawKey)})`,
        context,
      );
    }
    if (typeof label !== "string") {
      throw keyError(
        "CONFIG_TYPE",
        "id2label",
        `must map ids to strings, but id ${rawKey} maps to ${describeValue(label)}`,
        context,
      );
    }
    map[id] = label;
  }
  return map;
}

function parseLabel2id(value: unknown, context: ErrorContext): Record<string, number> {
  if (!isPlainObject(value)) {
    throw keyError("CONFIG_TYPE", "label2id", `must be an object, got ${describeValue(value)}`, context);
  }
  const map: Record<string, number> = {};
  for (const [label, id] of Object.entries(value)) {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0) {
      throw keyError(
        typeof id === "number" ? "CONFIG_VALUE" : "CONFIG_TYPE",
        "label2id",
        `must map labels to non-negative integers, but ${JSON.stringify(label)} maps to ${describeValue(id)}`,
        context,
      );
    }
    map[label] = id;
  }
  return map;
}

function invert(id2label: Record<number, string>): Record<string, number> {
  const map: Record<string, number> = {};
  for (const [id, label] of Object.entries(id2label)) map[label] = Number(id);
  return map;
}

/**
 * Applies transformers' label rules: `id2label` wins and fixes `num_labels`; without it `num_labels`
 * (default 2) generates `LABEL_i` names; `label2id` defaults to the inverse of `id2label`. `null` counts as
 * absent, as `None` does in transformers. Unlike transformers (which only logs a warning and overwrites),
 * a `num_labels` that contradicts `id2label` is an error: a config saying both 3 and 5 is a broken file.
 */
export function resolveLabels(
  raw: { id2label?: unknown; label2id?: unknown; num_labels?: unknown },
  context: ErrorContext,
): ResolvedLabels {
  const givenNum =
    raw.num_labels === undefined || raw.num_labels === null
      ? undefined
      : expectInteger(raw.num_labels, "num_labels", context, { min: 1 });
  let id2label: Record<number, string>;
  if (raw.id2label === undefined || raw.id2label === null) {
    id2label = defaultId2label(givenNum ?? 2);
  } else {
    id2label = parseId2label(raw.id2label, context);
    const size = Object.keys(id2label).length;
    if (givenNum !== undefined && givenNum !== size) {
      throw keyError(
        "CONFIG_VALUE",
        "num_labels",
        `is ${givenNum} but id2label has ${size} ${size === 1 ? "entry" : "entries"}`,
        context,
      );
    }
  }
  const label2id =
    raw.label2id === undefined || raw.label2id === null
      ? invert(id2label)
      : parseLabel2id(raw.label2id, context);
  const numLabels = Object.keys(id2label).length;
  const isDefault =
    numLabels === 2 &&
    id2label[0] === "LABEL_0" &&
    id2label[1] === "LABEL_1" &&
    Object.keys(label2id).length === 2 &&
    label2id.LABEL_0 === 0 &&
    label2id.LABEL_1 === 1;
  return { id2label: Object.freeze(id2label), label2id: Object.freeze(label2id), numLabels, isDefault };
}
