// POST /embed, text-embeddings-inference's feature extraction: one vector per input, pooled as --pooling says
// (mean over the tokens, or the first token) and L2-normalised unless `normalize` is false.
import type { Tensor } from "deberta";
import type { FastifyInstance } from "fastify";
import { inputTooLong, workEntry } from "../work.js";
import { tooManyInputs } from "./classification.js";
import type { RouteContext } from "./context.js";
import { truncateSchema, truncationDirectionSchema } from "./schemas.js";

export const embedSchema = {
  summary: "Embeddings (text-embeddings-inference's /embed)",
  description:
    "One pooled vector per input (--pooling: mean or cls), L2-normalised unless normalize is false.",
  body: {
    type: "object",
    additionalProperties: false,
    required: ["inputs"],
    properties: {
      inputs: {
        description: "a text or a non-empty list of texts",
        anyOf: [{ type: "string" }, { type: "array", items: { type: "string" }, minItems: 1 }],
      },
      normalize: { type: "boolean", default: true, description: "divide each vector by its L2 norm" },
      truncate: truncateSchema,
      truncation_direction: truncationDirectionSchema,
    },
  },
  response: {
    200: {
      description: "one vector per input (a list of one for a single text)",
      type: "array",
      items: { type: "array", items: { type: "number" } },
    },
  },
} as const;

interface EmbedBody {
  inputs: string | string[];
  normalize?: boolean;
  truncate?: boolean | null;
}

export function registerEmbed(app: FastifyInstance, ctx: RouteContext): void {
  app.post("/embed", { schema: embedSchema }, async (request, reply) => {
    const model = ctx.model();
    const body = request.body as EmbedBody;
    const single = typeof body.inputs === "string";
    const texts = typeof body.inputs === "string" ? [body.inputs] : body.inputs;
    if (texts.length > ctx.options.maxClientBatchSize)
      throw tooManyInputs("inputs", texts.length, ctx.options.maxClientBatchSize);
    const truncate = body.truncate ?? ctx.options.autoTruncate;
    const options = { pooling: ctx.options.pooling, normalize: body.normalize ?? true };
    const max = model.maxInputLength;
    const entries = texts.map((text, i) => {
      const tokens = model.countTokens(text);
      if (tokens > max && !truncate)
        throw inputTooLong(
          single ? "inputs" : `inputs[${i}]`,
          tokens,
          max,
          'send "truncate": true to cut it',
        );
      // The pipeline truncates every input at the model's length (the tokenizer's model_max_length).
      return workEntry("feature-extraction", text, options, { rows: 1, length: Math.min(tokens, max) });
    });
    const results = (await ctx.submit(request, reply, entries)) as Tensor[];
    return results.map((t) => Array.from(t.data as Float32Array));
  });
}
