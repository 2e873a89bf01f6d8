// POST /rerank, text-embeddings-inference's re-ranking: each text scored against the query by a sequence
// classifier run on the pair (query, text), best first. The score is the sigmoid of a single-label
// (cross-encoder) model's logit, or for an NLI model the probability of its entailment label (softmax over
// its labels); `raw_scores`: that label's logit.
import type { ClassificationLabel } from "@deberta/pipelines";
import type { FastifyInstance } from "fastify";
import { classificationEntry, notServed, tooManyInputs } from "./classification.js";
import type { RouteContext } from "./context.js";
import { truncateSchema, truncationDirectionSchema } from "./schemas.js";

export const rerankSchema = {
  summary: "Re-ranking (text-embeddings-inference's /rerank)",
  description:
    "Scores each text against the query with the sequence classifier run on (query, text): a single-label model's sigmoid, or an NLI model's entailment probability. Best first.",
  body: {
    type: "object",
    additionalProperties: false,
    required: ["query", "texts"],
    properties: {
      query: { type: "string" },
      texts: { type: "array", items: { type: "string" }, minItems: 1 },
      raw_scores: { type: "boolean", default: false, description: "the logit instead of the probability" },
      return_text: { type: "boolean", default: false, description: "also return each text" },
      truncate: truncateSchema,
      truncation_direction: truncationDirectionSchema,
    },
  },
  response: {
    200: {
      description: "one entry per text, best first",
      type: "array",
      items: {
        type: "object",
        properties: { index: { type: "integer" }, score: { type: "number" }, text: { type: "string" } },
        required: ["index", "score"],
      },
    },
  },
} as const;

interface RerankBody {
  query: string;
  texts: string[];
  raw_scores?: boolean;
  return_text?: boolean;
  truncate?: boolean | null;
}

export function registerRerank(app: FastifyInstance, ctx: RouteContext): void {
  app.post("/rerank", { schema: rerankSchema }, async (request, reply) => {
    const model = ctx.model();
    const scoring = model.rerank;
    if (scoring === undefined)
      throw notServed("/rerank", "a sequence classifier with one label or an entailment label", model);
    const body = request.body as RerankBody;
    if (body.texts.length > ctx.options.maxClientBatchSize)
      throw tooManyInputs("texts", body.texts.length, ctx.options.maxClientBatchSize);
    const truncate = body.truncate ?? ctx.options.autoTruncate;
    const options = { top_k: null, function_to_apply: body.raw_scores ? "none" : scoring.fn };
    const entries = body.texts.map((text, i) =>
      classificationEntry(
        model,
        body.query,
        text,
        options,
        truncate,
        `texts[${i}]`,
        'send "truncate": true to cut it',
      ),
    );
    const results = (await ctx.submit(request, reply, entries)) as ClassificationLabel[][];
    const ranked = results.map((labels, index) => ({
      index,
      score: labels.find((l) => l.label === scoring.label)!.score,
      ...(body.return_text ? { text: body.texts[index]! } : {}),
    }));
    return ranked.sort((a, b) => b.score - a.score || a.index - b.index);
  });
}
