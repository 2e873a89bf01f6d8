// pipeline(): task lookup and aliases, model references (folder, resolve, objects), devices and
// ownership, the task registry, and typed errors.
import path from "node:path";
import { DebertaForMaskedLM, DebertaForSequenceClassification } from "@deberta/heads";
import { type Backend, registerBackend, resolveBackend } from "@deberta/tensor";
import { DebertaTokenizer, TokenizerError } from "@deberta/tokenizer";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PipelineError } from "./errors.js";
import { loadModelAndTokenizer } from "./load.js";
import { pipeline } from "./pipeline.js";
import { taskRegistry } from "./registry.js";
import { int64, modelDir, newBackend, row, tokenizerDir } from "./test-support.js";
import { makePipeline, type PipelineBase } from "./types.js";

const backend = await newBackend();
afterAll(() => backend.close());

let tokenizer: DebertaTokenizer;
beforeAll(async () => {
  tokenizer = await DebertaTokenizer.from_pretrained(tokenizerDir());
});

async function caught(promise: Promise<unknown>): Promise<PipelineError> {
  try {
    await promise;
  } catch (error) {
    return error as PipelineError;
  }
  throw new Error("expected a rejection");
}

describe("pipeline()", () => {
  it("an unknown task is PIPELINE_UNKNOWN_TASK naming the task and every known one", async () => {
    const error = await caught(pipeline("summarization", modelDir("seqcls"), { backend }));
    expect(error).toBeInstanceOf(PipelineError);
    expect(error.code).toBe("PIPELINE_UNKNOWN_TASK");
    expect(error.argument).toBe("task");
    expect(error.message).toContain('"summarization"');
    for (const task of [
      "text-classification",
      "sentiment-analysis",
      "zero-shot-classification",
      "fill-mask",
      "token-classification",
      "ner",
      "question-answering",
      "feature-extraction",
    ]) {
      expect(error.message).toContain(task);
    }
  });

  it("batch_size must be a positive integer", async () => {
    for (const batch_size of [0, 1.5, -2]) {
      const error = await caught(pipeline("fill-mask", modelDir("mlm"), { backend, batch_size }));
      expect([error.code, error.argument]).toEqual(["PIPELINE_ARGUMENT", "batch_size"]);
    }
  });

  it("device resolves a backend by name from the registry, and dispose() closes the one it created", async () => {
    let created: Backend | undefined;
    registerBackend("pipelines-test-cpu", async () => {
      created = await resolveBackend("cpu");
      return created;
    });
    const classify = await pipeline("text-classification", modelDir("seqcls"), {
      device: "pipelines-test-cpu",
    });
    expect(created).toBeDefined();
    expect(classify.model.backend).toBe(created);
    const close = vi.spyOn(created!, "close");
    expect(await classify("Hello")).toHaveLength(1);
    classify.dispose();
    classify.dispose(); // idempotent
    expect(close).toHaveBeenCalledTimes(1);
    // A backend given by the caller is not closed.
    const mine = vi.spyOn(backend, "close");
    (await pipeline("text-classification", modelDir("seqcls"), { backend })).dispose();
    expect(mine).not.toHaveBeenCalled();
    mine.mockRestore();
    await expect(
      pipeline("text-classification", modelDir("seqcls"), { device: "no-such-device" }),
    ).rejects.toMatchObject({ name: "HeadError", code: "HEAD_NO_BACKEND", argument: "device" });
  });

  it("resolve maps model and tokenizer references to folders (where @deberta/hub plugs in)", async () => {
    const resolve = vi.fn(async (ref: string) => (ref.startsWith("fixture:") ? modelDir(ref.slice(8)) : ref));
    const unmask = await pipeline("fill-mask", "fixture:mlm-bin", {
      backend,
      resolve,
      tokenizer: path.relative(process.cwd(), tokenizerDir()),
    });
    expect(resolve.mock.calls.map(([r]) => r)).toEqual([
      "fixture:mlm-bin",
      path.relative(process.cwd(), tokenizerDir()),
    ]);
    expect(await unmask("Hi [MASK].")).toHaveLength(5);
    // mlm-bin has no tokenizer files: without the tokenizer option the load fails in the tokenizer.
    await expect(pipeline("fill-mask", modelDir("mlm-bin"), { backend })).rejects.toBeInstanceOf(
      TokenizerError,
    );
  });

  it("{ model, tokenizer } objects are used as given; the head must fit the task", async () => {
    const mlm = await DebertaForMaskedLM.from_pretrained(modelDir("mlm"), { backend });
    const unmask = await pipeline("fill-mask", { model: mlm, tokenizer });
    expect(unmask.model).toBe(mlm);
    expect(unmask.tokenizer).toBe(tokenizer);
    const wrong = await caught(pipeline("text-classification", { model: mlm, tokenizer }));
    expect([wrong.code, wrong.argument]).toEqual(["PIPELINE_ARGUMENT", "model"]);
    expect(wrong.message).toContain("DebertaForSequenceClassification");
    const noTokenizer = await caught(pipeline("fill-mask", { model: mlm }));
    expect([noTokenizer.code, noTokenizer.argument]).toEqual(["PIPELINE_MISSING_ARGUMENT", "tokenizer"]);
    const notAModel = await caught(pipeline("fill-mask", { model: {} as never, tokenizer }));
    expect([notAModel.code, notAModel.argument]).toEqual(["PIPELINE_ARGUMENT", "model"]);
    // The tokenizer option applies to objects too.
    expect((await pipeline("fill-mask", { model: mlm }, { tokenizer })).tokenizer).toBe(tokenizer);
  });

  it("loadModelAndTokenizer loads the head the config names unless told otherwise", async () => {
    const loaded = await loadModelAndTokenizer(modelDir("seqcls"), { backend });
    expect(loaded.model).toBeInstanceOf(DebertaForSequenceClassification);
    expect(loaded.tokenizer.mask_token).toBe("[MASK]");
    loaded.dispose();
    const error = await caught(
      loadModelAndTokenizer(modelDir("seqcls"), { backend, architecture: "DebertaForPonies" }),
    );
    expect([error.code, error.argument]).toEqual(["PIPELINE_MODEL_CONFIG", "model"]);
  });

  it("a new task is one definition registered in the task registry", async () => {
    taskRegistry.register({
      task: "count-logits",
      aliases: ["count"],
      head: "sequence-classification",
      create: (context) =>
        makePipeline<PipelineBase & ((text: string) => Promise<number>)>(context, async (text: string) => {
          const ids = context.tokenizer(text).input_ids as number[];
          const out = await context.model({ input_ids: int64([ids]) });
          return row(out.logits!, 0).length;
        }),
    });
    expect(taskRegistry.tasks()).toContain("count-logits");
    const count = (await pipeline("count", modelDir("seqcls"), { backend })) as unknown as ((
      t: string,
    ) => Promise<number>) &
      PipelineBase;
    expect(count.task).toBe("count-logits");
    expect(await count("Hello")).toBe(3);
  });
});
