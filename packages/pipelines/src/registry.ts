import { featureExtraction } from "./tasks/feature-extraction.js";
import { fillMask } from "./tasks/fill-mask.js";
import { questionAnswering } from "./tasks/question-answering.js";
import { textClassification } from "./tasks/text-classification.js";
import { tokenClassification } from "./tasks/token-classification.js";
import { zeroShotClassification } from "./tasks/zero-shot-classification.js";
import type { PipelineBase, TaskDefinition } from "./types.js";

/** Tasks by name and alias. A new task is one file plus one line in `builtinTasks` (or `register`). */
export class TaskRegistry {
  private readonly byName = new Map<string, TaskDefinition<PipelineBase>>();
  private readonly canonical: string[] = [];

  constructor(tasks: readonly TaskDefinition<PipelineBase>[] = []) {
    for (const t of tasks) this.register(t);
  }

  register(definition: TaskDefinition<PipelineBase>): void {
    if (!this.canonical.includes(definition.task)) this.canonical.push(definition.task);
    this.byName.set(definition.task, definition);
    for (const alias of definition.aliases ?? []) this.byName.set(alias, definition);
  }

  get(task: string): TaskDefinition<PipelineBase> | undefined {
    return this.byName.get(task);
  }

  /** Canonical task names, in registration order. */
  tasks(): string[] {
    return [...this.canonical];
  }

  /** Every name `pipeline()` accepts: tasks and aliases. */
  names(): string[] {
    return [...this.byName.keys()];
  }
}

export const builtinTasks: readonly TaskDefinition<PipelineBase>[] = [
  textClassification,
  zeroShotClassification,
  fillMask,
  tokenClassification,
  questionAnswering,
  featureExtraction,
];

export const taskRegistry = new TaskRegistry(builtinTasks);
