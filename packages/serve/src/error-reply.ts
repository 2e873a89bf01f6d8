// Every error a request can meet, as the ServeError the client gets: fastify's own (body too large, bad JSON,
// schema validation), the pipelines' and the tokenizer's (a bad input or option: 400 naming it), the
// server's, and anything else (500, logged).
import { PipelineError } from "@deberta/pipelines";
import { TokenizerError } from "deberta";
import { invalidField, ServeError } from "./errors.js";

interface AjvError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
  parentSchema?: { description?: string };
}

/** "/inputs/0/text" → "inputs[0].text". */
function fieldOf(instancePath: string, context: string): string {
  const parts = instancePath.split("/").slice(1);
  if (parts.length === 0) return context;
  return parts
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join("")
    .replace(/~1/g, "/")
    .replace(/~0/g, "~");
}

function join(field: string, key: unknown, context: string): string {
  return field === context ? String(key) : `${field}.${String(key)}`;
}

/**
 * The 400 of a failed JSON-schema check: the field named (for a union, the deepest one that matched no
 * branch, described as its schema describes it).
 */
function validationError(errors: readonly AjvError[], context: string): ServeError {
  const unions = errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf");
  const deepestUnion = unions.sort((a, b) => b.instancePath.length - a.instancePath.length)[0];
  const specific = errors.find(
    (e) => e.keyword !== "anyOf" && e.keyword !== "oneOf" && e.keyword !== "type" && e.keyword !== "minItems",
  );
  if (
    deepestUnion !== undefined &&
    (specific === undefined || specific.instancePath.length <= deepestUnion.instancePath.length)
  ) {
    const described = deepestUnion.parentSchema?.description;
    return invalidField(
      fieldOf(deepestUnion.instancePath, context),
      described === undefined ? (deepestUnion.message ?? "is not valid") : `must be ${described}`,
    );
  }
  const first = specific ?? errors[0];
  if (first === undefined) return invalidField(context, "is not valid");
  const field = fieldOf(first.instancePath, context);
  if (first.keyword === "required")
    return invalidField(join(field, first.params.missingProperty, context), "is required");
  if (first.keyword === "additionalProperties")
    return invalidField(
      join(field, first.params.additionalProperty, context),
      "is not a field of this request",
    );
  if (first.keyword === "enum")
    return invalidField(
      field,
      `must be one of ${(first.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
    );
  return invalidField(field, first.message ?? "is not valid");
}

export function toServeError(error: unknown): ServeError {
  if (error instanceof ServeError) return error;
  if (error instanceof PipelineError || error instanceof TokenizerError) {
    const field = error.argument ?? (error instanceof TokenizerError ? error.key : undefined) ?? "body";
    // The message names the field first, as every message of this project does.
    const message = error.message.startsWith(`${field}:`) ? error.message : `${field}: ${error.message}`;
    const type = error instanceof TokenizerError ? "tokenizer" : "validation";
    return new ServeError("SERVE_INVALID_FIELD", 400, type, message, field, {}, { cause: error });
  }
  const e = error as {
    code?: unknown;
    statusCode?: unknown;
    validation?: AjvError[];
    validationContext?: string;
    message?: string;
  };
  if (Array.isArray(e.validation)) return validationError(e.validation, e.validationContext ?? "body");
  switch (e.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ServeError(
        "SERVE_BODY_TOO_LARGE",
        413,
        "validation",
        `body: larger than the server's --payload-limit`,
        "body",
      );
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ServeError(
        "SERVE_MEDIA_TYPE",
        415,
        "validation",
        "content-type: the body must be application/json",
        "content-type",
      );
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ServeError(
        "SERVE_INVALID_JSON",
        400,
        "validation",
        "body: empty; send a JSON object",
        "body",
      );
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new ServeError(
        "SERVE_INVALID_JSON",
        400,
        "validation",
        "content-length: does not match the body",
        "content-length",
      );
  }
  if (error instanceof SyntaxError || (e.statusCode === 400 && typeof e.message === "string"))
    return new ServeError(
      "SERVE_INVALID_JSON",
      400,
      "validation",
      `body: not valid JSON (${e.message ?? "parse error"})`,
      "body",
    );
  if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500)
    return new ServeError(
      "SERVE_INVALID_JSON",
      e.statusCode,
      "validation",
      `request: ${e.message ?? "bad request"}`,
    );
  return new ServeError(
    "SERVE_INFERENCE",
    500,
    "backend",
    `the model failed on this request: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    undefined,
    {},
    { cause: error },
  );
}
