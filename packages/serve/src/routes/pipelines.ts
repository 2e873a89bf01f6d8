// POST /pipelines/{task}: one JSON object exactly as `deberta run` reads it per line (or a bare string for the
// single-text tasks), answered with what `deberta run` writes for it. Inputs of concurrent requests with the
// same options share batches.
import {
  DEFAULT_HYPOTHESIS_TEMPLATE,
  jsonToCall,
  parseCandidateLabels,
  TASK_JSON_INPUTS,
  taskRegistry,
  toJsonValue,
} from "@deberta/pipelines";
import type { FastifyInstance } from "fastify";
import { toServeError } from "../error-reply.js";
import { invalidField, ServeError } from "../errors.js";
import type { ServedModel } from "../served-model.js";
import { inputTooLong, type WorkEntry, workEntry } from "../work.js";
import { notServed } from "./classification.js";
import type { RouteContext } from "./context.js";

export const pipelinesSchema = {
  summary: "Any of the six pipelines, with deberta run's JSON",
  description:
    'The object `deberta run` reads per line: the task\'s inputs and call options, e.g. {"text": "...", "text_pair": "...", "top_k": 2}, {"text": "...", "candidate_labels": ["a", "b"]}, {"question": "...", "context": "..."}; or a bare string for single-text tasks. Answers what `deberta run` writes for it.',
  params: {
    type: "object",
    properties: {
      task: { type: "string", enum: Object.keys(TASK_JSON_INPUTS), description: "a task or alias" },
    },
    required: ["task"],
  },
  body: {
    description: "the task's inputs and call options, or a bare string",
    anyOf: [{ type: "object" }, { type: "string" }],
  },
  response: { 200: { description: "the pipeline's result, as deberta run writes it" } },
} as const;

function text(value: unknown, field: string): string {
  if (typeof value !== "string") throw invalidField(field, `must be a string, got ${describeJson(value)}`);
  return value;
}

function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

/** The batch entry of one /pipelines call: its tokens counted, over-long inputs refused with 413. */
export function pipelineEntry(
  model: ServedModel,
  task: string,
  input: unknown,
  options: Record<string, unknown>,
): WorkEntry {
  const max = model.maxInputLength;
  switch (task) {
    case "text-classification": {
      const record =
        typeof input === "object" && input !== null ? (input as Record<string, unknown>) : { text: input };
      const pair = record.text_pair ?? undefined;
      const truncation = options.truncation !== undefined && options.truncation !== false;
      if (typeof options.max_length === "number" && options.max_length > max)
        throw invalidField("max_length", `${options.max_length} is more than the model takes (${max})`);
      const tokens = model.countTokens(
        text(record.text, "text"),
        pair === undefined ? undefined : text(pair, "text_pair"),
      );
      if (tokens > max && !truncation)
        throw inputTooLong("text", tokens, max, 'send "truncation": true to cut it');
      // The call goes as sent (its options decide the result); only its size is estimated here.
      const cut = truncation ? Math.min(tokens, (options.max_length as number | undefined) ?? max) : tokens;
      return workEntry(task, input, options, { rows: 1, length: cut });
    }
    case "zero-shot-classification": {
      const premise = text(input, "text");
      let labels: string[];
      try {
        labels = parseCandidateLabels(options.candidate_labels);
      } catch (error) {
        throw toServeError(error);
      }
      if (labels.length === 0) throw invalidField("candidate_labels", "must name at least one label");
      const template = options.hypothesis_template ?? DEFAULT_HYPOTHESIS_TEMPLATE;
      if (typeof template !== "string") throw invalidField("hypothesis_template", "must be a string");
      let longest = 0;
      for (const label of labels) {
        const hypothesis = template.replace("{}", label);
        const tokens = model.countTokens(premise, hypothesis);
        // The pipeline cuts the premise (only_first); a hypothesis that leaves no room for it cannot run.
        if (tokens > max && model.countTokens("", hypothesis) >= max)
          throw inputTooLong("candidate_labels", tokens, max, "use shorter labels or hypothesis_template");
        longest = Math.max(longest, Math.min(tokens, max));
      }
      return workEntry(task, premise, options, { rows: labels.length, length: longest });
    }
    case "fill-mask":
    case "token-classification": {
      const tokens = model.countTokens(text(input, "text"));
      if (tokens > max) throw inputTooLong("text", tokens, max, "this task does not truncate: shorten it");
      return workEntry(task, input, options, { rows: 1, length: tokens });
    }
    case "question-answering": {
      const record = input as Record<string, unknown>;
      const question = text(record.question, "question");
      const context = text(record.context, "context");
      const maxSeqLen = options.max_seq_len ?? Math.min(max, 384);
      if (typeof maxSeqLen === "number" && maxSeqLen > max)
        throw invalidField("max_seq_len", `${maxSeqLen} is more than the model takes (${max})`);
      const window = typeof maxSeqLen === "number" && maxSeqLen > 0 ? maxSeqLen : max;
      const tokens = model.countTokens(question, context);
      // Long contexts become overlapping windows of max_seq_len tokens: an estimate of their number.
      return workEntry(task, input, options, {
        rows: Math.max(1, Math.ceil(tokens / window)),
        length: Math.min(tokens, window),
      });
    }
    case "feature-extraction": {
      // The pipeline truncates at the model's length; without pooling, rows come back padded to the
      // call's longest, so only inputs of one length share a batch.
      const tokens = Math.min(model.countTokens(text(input, "text")), max);
      const pooled = options.pooling === "mean" || options.pooling === "cls";
      return workEntry(task, input, options, { rows: 1, length: tokens }, pooled ? "" : `length ${tokens}`);
    }
    default:
      throw new ServeError("SERVE_NOT_FOUND", 404, "not_found", `task ${task} has no /pipelines route`);
  }
}

export function registerPipelines(app: FastifyInstance, ctx: RouteContext): void {
  app.post("/pipelines/:task", { schema: pipelinesSchema }, async (request, reply) => {
    const model = ctx.model();
    const name = (request.params as { task: string }).task;
    const task = taskRegistry.get(name)?.task;
    if (task === undefined || model.pipeline(task) === undefined)
      throw notServed(`/pipelines/${name}`, `a model for ${name}`, model);
    let call: ReturnType<typeof jsonToCall>;
    try {
      call = jsonToCall(name, request.body);
    } catch (error) {
      throw toServeError(error);
    }
    const [result] = await ctx.submit(request, reply, [pipelineEntry(model, task, call.input, call.options)]);
    return toJsonValue(result);
  });
}
