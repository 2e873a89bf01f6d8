import { describe, expect, it } from "vitest";
import { taskOfArchitecture } from "./served-model.js";

describe("taskOfArchitecture", () => {
  it.each([
    ["DebertaForSequenceClassification", "text-classification"],
    ["DebertaV2ForSequenceClassification", "text-classification"],
    ["DebertaForMaskedLM", "fill-mask"],
    ["DebertaV2ForTokenClassification", "token-classification"],
    ["DebertaV2ForQuestionAnswering", "question-answering"],
    ["DebertaModel", "feature-extraction"],
    [undefined, "feature-extraction"],
  ])("%s serves %s", (architecture, task) => {
    expect(taskOfArchitecture(architecture)).toBe(task);
  });

  it("has no task for a head no pipeline runs or an unknown architecture", () => {
    expect(taskOfArchitecture("DebertaV2ForMultipleChoice")).toBeUndefined();
    expect(taskOfArchitecture("BertForSequenceClassification")).toBeUndefined();
  });
});
