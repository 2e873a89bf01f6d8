// The registry by model_type + task (what the Auto classes, the pipelines, the CLI and the playground pick
// heads with): every built-in head under its pair, the choice for each fixture config (v1 and v2), and the
// typed error when a model type has no head for a task.
import { readdirSync } from "node:fs";
import path from "node:path";
import { loadDebertaConfig } from "@deberta/config";
import { fixturesDir, modelsDir } from "@deberta/testing";
import { describe, expect, it } from "vitest";
import { DebertaModel } from "./base-model.js";
import { HeadError } from "./errors.js";
import { DebertaForMaskedLM } from "./masked-lm.js";
import { DebertaV2ForMultipleChoice } from "./multiple-choice.js";
import { DebertaPreTrainedModel } from "./pretrained.js";
import { DebertaForQuestionAnswering } from "./question-answering.js";
import { builtinHeads, type HeadClass, HeadRegistry, headRegistry } from "./registry.js";
import { DebertaForSequenceClassification } from "./sequence-classification.js";
import { DebertaForTokenClassification } from "./token-classification.js";
import {
  DebertaV2ForMaskedLM,
  DebertaV2ForQuestionAnswering,
  DebertaV2ForSequenceClassification,
  DebertaV2ForTokenClassification,
  DebertaV2Model,
} from "./v2-heads.js";

const V2_MODELS = path.join(fixturesDir(), "deberta-v2", "models");

describe("headRegistry by model_type and task", () => {
  it("holds every built-in head under its (model_type, task)", () => {
    const table: [string, string, HeadClass][] = [
      ["deberta", "model", DebertaModel],
      ["deberta", "sequence-classification", DebertaForSequenceClassification],
      ["deberta", "token-classification", DebertaForTokenClassification],
      ["deberta", "question-answering", DebertaForQuestionAnswering],
      ["deberta", "masked-lm", DebertaForMaskedLM],
      ["deberta-v2", "model", DebertaV2Model],
      ["deberta-v2", "sequence-classification", DebertaV2ForSequenceClassification],
      ["deberta-v2", "token-classification", DebertaV2ForTokenClassification],
      ["deberta-v2", "question-answering", DebertaV2ForQuestionAnswering],
      ["deberta-v2", "masked-lm", DebertaV2ForMaskedLM],
      ["deberta-v2", "multiple-choice", DebertaV2ForMultipleChoice],
    ];
    for (const [modelType, task, Head] of table) {
      expect(headRegistry.forTask(modelType, task), `${modelType} ${task}`).toBe(Head);
    }
    // Every built-in head is in the table, and the table has no pair twice.
    expect(new Set(table.map(([, , Head]) => Head))).toEqual(new Set(builtinHeads));
    expect(headRegistry.tasks("deberta")).not.toContain("multiple-choice");
    expect(headRegistry.modelTypes()).toEqual(["deberta", "deberta-v2"]);
  });

  it("picks the head of each fixture checkpoint from config.json (v2: by its model_type, whatever the task)", async () => {
    const dirs = [
      ...readdirSync(V2_MODELS).flatMap((v) =>
        readdirSync(path.join(V2_MODELS, v)).map((h) => path.join(V2_MODELS, v, h)),
      ),
      ...["model", "seqcls", "tokcls", "qa", "mlm"].map((h) => path.join(modelsDir(), "base-like", h)),
    ];
    for (const dir of dirs) {
      const config = await loadDebertaConfig(dir);
      const named = headRegistry.get(config.architectures![0]!)!;
      expect(headRegistry.resolve(config), dir).toBe(named);
      expect(named.modelType).toBe(config.model_type);
      // The task asked for wins over the architecture, within the config's model type.
      const model = headRegistry.resolve(config, "model");
      expect(model.modelType).toBe(config.model_type);
      expect(model.task).toBe("model");
    }
  });

  it("a config naming a head of the other model type gets its model type's head of that task", () => {
    const config = { model_type: "deberta-v2", architectures: ["DebertaForTokenClassification"] };
    expect(headRegistry.resolve(config)).toBe(DebertaV2ForTokenClassification);
    expect(headRegistry.resolve({ model_type: "deberta", architectures: ["DebertaV2Model"] })).toBe(
      DebertaModel,
    );
    // Unknown or absent architectures: the bare model, as before.
    expect(headRegistry.resolve({ model_type: "deberta-v2", architectures: ["Nope"] })).toBe(DebertaV2Model);
    expect(headRegistry.resolve({ model_type: "deberta" })).toBe(DebertaModel);
  });

  it("no head for the pair: HEAD_ARCHITECTURE naming the model type, the task and what exists", () => {
    let error: unknown;
    try {
      headRegistry.resolve({ model_type: "deberta" }, "multiple-choice");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HeadError);
    expect((error as HeadError).code).toBe("HEAD_ARCHITECTURE");
    expect((error as HeadError).argument).toBe("config");
    expect((error as HeadError).message).toContain(
      'no multiple-choice head is registered for model_type "deberta"',
    );
    expect((error as HeadError).message).toContain("sequence-classification");
    expect(() => headRegistry.resolve({ model_type: "bert" }, "model")).toThrow(
      /model types with heads: deberta, deberta-v2/,
    );
  });

  it("a head without a task is found by architecture only; a later head of a pair replaces the earlier", () => {
    class Untasked extends DebertaForSequenceClassification {
      static override readonly architecture: string = "Untasked";
    }
    // As a head written elsewhere on the base class, which declares no task.
    Object.defineProperty(Untasked, "task", { value: undefined });
    class Replacement extends DebertaV2ForSequenceClassification {
      static override readonly architecture: string = "Replacement";
    }
    const registry = new HeadRegistry(builtinHeads);
    registry.register(Untasked);
    expect(registry.get("Untasked")).toBe(Untasked);
    expect(registry.forTask("deberta", "sequence-classification")).toBe(DebertaForSequenceClassification);
    registry.register(Replacement);
    expect(registry.forTask("deberta-v2", "sequence-classification")).toBe(Replacement);
    // The shared registry is left alone.
    expect(headRegistry.get("Replacement")).toBeUndefined();
    expect(DebertaPreTrainedModel.task).toBeUndefined();
  });
});
