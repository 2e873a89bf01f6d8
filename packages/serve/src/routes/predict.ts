// POST /predict, text-embeddings-inference's text classification: one text, one [text, text_pair] pair, or a
// list of texts and pairs; every label with its score, best first (softmax or sigmoid as the model's config
// says; `raw_scores`: the logits).
import { defaultClassificationFunction } from "@deberta/pipelines";
import type { FastifyInstance } from "fastify";
import { classificationEntry, notServed, tooManyInputs } from "./classification.js";
import type { RouteContext } from "./context.js";
import { truncateSchema, truncationDirectionSchema } from "./schemas.js";

const sequence = {
  description: "a text, or a [text, text_pair] pair",
  oneOf: [{ type: "string" }, { type: "array", items: { type: "string" }, minItems: 2, maxItems: 2 }],
} as const;

const labelScores = {
  type: "array",
  items: {
    type: "object",
    properties: { label: { type: "string" }, score: { type: "number" } },
    required: ["label", "score"],
  },
} as const;

export const predictSchema = {
  summary: "Text classification (text-embeddings-inference's /predict)",
  description:
    "A text, a [text, text_pair] pair (an array of exactly two strings is always a pair), or a list of texts and pairs. Every label with its score, best first; a list of those for a list.",
  body: {
    type: "object",
    additionalProperties: false,
    required: ["inputs"],
    properties: {
      inputs: {
        description: "a text, a [text, text_pair] pair, or a non-empty list of texts and pairs",
        anyOf: [sequence, { type: "array", items: sequence, minItems: 1 }],
      },
      raw_scores: { type: "boolean", default: false, description: "the logits instead of probabilities" },
      truncate: truncateSchema,
      truncation_direction: truncationDirectionSchema,
    },
  },
  response: {
    200: {
      description: "labels and scores, best first (a list of those for a list of inputs)",
      anyOf: [labelScores, { type: "array", items: labelScores }],
    },
  },
} as const;

interface PredictBody {
  inputs: string | string[] | (string | string[])[];
  raw_scores?: boolean;
  truncate?: boolean | null;
}

/** TEI's reading of `inputs`: a string or a two-string array is one input; any other array is a list. */
function predictInputs(inputs: PredictBody["inputs"]): {
  items: [string, string | undefined][];
  single: boolean;
} {
  const one = (s: string | string[]): [string, string | undefined] =>
    typeof s === "string" ? [s, undefined] : [s[0]!, s[1]!];
  if (typeof inputs === "string") return { items: [one(inputs)], single: true };
  if (inputs.length === 2 && inputs.every((s) => typeof s === "string"))
    return { items: [one(inputs as string[])], single: true };
  return { items: (inputs as (string | string[])[]).map(one), single: false };
}

export function registerPredict(app: FastifyInstance, ctx: RouteContext): void {
  app.post("/predict", { schema: predictSchema }, async (request, reply) => {
    const model = ctx.model();
    if (model.pipeline("text-classification") === undefined)
      throw notServed("/predict", "a sequence classification model", model);
    const body = request.body as PredictBody;
    const { items, single } = predictInputs(body.inputs);
    if (items.length > ctx.options.maxClientBatchSize)
      throw tooManyInputs("inputs", items.length, ctx.options.maxClientBatchSize);
    const truncate = body.truncate ?? ctx.options.autoTruncate;
    const options = {
      top_k: null,
      function_to_apply: body.raw_scores ? "none" : defaultClassificationFunction(model.config),
    };
    const entries = items.map(([text, pair], i) =>
      classificationEntry(
        model,
        text,
        pair,
        options,
        truncate,
        single ? "inputs" : `inputs[${i}]`,
        'send "truncate": true to cut it',
      ),
    );
    const results = await ctx.submit(request, reply, entries);
    return single ? results[0] : results;
  });
}
