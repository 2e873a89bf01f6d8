// The JSON form of a pipeline call (what `deberta run` reads per line and `deberta serve` per request): which
// keys are inputs and which options, bare strings, and errors naming the key at fault.
import { Tensor } from "@deberta/tensor";
import { describe, expect, it } from "vitest";
import { PipelineError } from "./errors.js";
import { jsonToCall, TASK_JSON_INPUTS, toJsonValue } from "./json-inputs.js";
import { taskRegistry } from "./registry.js";

describe("jsonToCall", () => {
  it("covers every task and alias the registry knows", () => {
    expect(Object.keys(TASK_JSON_INPUTS).sort()).toEqual(taskRegistry.names().sort());
  });

  it("splits an object into the input and the call options, with a key of the sorted options", () => {
    expect(jsonToCall("text-classification", { text: "a", text_pair: "b", top_k: 2 })).toEqual({
      input: { text: "a", text_pair: "b" },
      options: { top_k: 2 },
      optionsKey: '{"top_k":2}',
    });
    expect(jsonToCall("fill-mask", { top_k: 1, text: "x [MASK]", targets: ["a"] }).optionsKey).toBe(
      jsonToCall("fill-mask", { targets: ["a"], text: "y [MASK]", top_k: 1 }).optionsKey,
    );
    expect(jsonToCall("zero-shot-classification", { text: "a", candidate_labels: ["x", "y"] })).toEqual({
      input: "a",
      options: { candidate_labels: ["x", "y"] },
      optionsKey: '{"candidate_labels":["x","y"]}',
    });
    // A QA example stays an object, as transformers takes it.
    expect(jsonToCall("question-answering", { question: "q", context: "c" }).input).toEqual({
      question: "q",
      context: "c",
    });
  });

  it("takes a bare string for single-text tasks only", () => {
    expect(jsonToCall("ner", "Wolfgang lives in Berlin").input).toBe("Wolfgang lives in Berlin");
    for (const task of ["question-answering", "zero-shot-classification"]) {
      const error = (() => {
        try {
          jsonToCall(task, "text");
        } catch (e) {
          return e;
        }
      })() as PipelineError;
      expect(error).toBeInstanceOf(PipelineError);
      expect(error.argument).toBe("inputs");
      expect(error.message).toMatch(`a bare string is not enough for ${task}`);
    }
  });

  it("names what is wrong: a missing key, a value that is not an object, an unknown task", () => {
    const attempt = (task: string, value: unknown) => {
      try {
        jsonToCall(task, value);
      } catch (e) {
        return e as PipelineError;
      }
      throw new Error("no error");
    };
    expect(attempt("question-answering", { question: "q" })).toMatchObject({
      code: "PIPELINE_MISSING_ARGUMENT",
      argument: "context",
      message: 'missing "context"',
    });
    expect(attempt("text-classification", [1])).toMatchObject({
      argument: "inputs",
      message: "expected a JSON object (or a string), got an array",
    });
    expect(attempt("text-classification", null).message).toBe(
      "expected a JSON object (or a string), got null",
    );
    expect(attempt("translation", {})).toMatchObject({ code: "PIPELINE_UNKNOWN_TASK", argument: "task" });
  });
});

describe("toJsonValue", () => {
  it("turns Tensors into nested arrays (int64 too) and leaves the rest", () => {
    const t = new Tensor("float32", Float32Array.from([1, 2, 3, 4, 5, 6]), [1, 2, 3]);
    expect(toJsonValue(t)).toEqual([
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ]);
    expect(toJsonValue([new Tensor("int64", BigInt64Array.from([7n, 8n]), [2]), { a: 1 }])).toEqual([
      [7, 8],
      { a: 1 },
    ]);
  });
});
