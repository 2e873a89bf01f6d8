import { type HeadRegistry, headRegistry } from "@deberta/heads";
import { DebertaForMultipleChoice } from "./multiple-choice.js";

export { DebertaForMultipleChoice };

/**
 * Registers DebertaForMultipleChoice (in the shared `headRegistry` unless another is given), so code that
 * dispatches on `config.architectures[0]` through the registry loads multiple-choice checkpoints (and
 * `registry.resolve(config, "multiple-choice")` finds it for v1 configs).
 * Explicit, as the backends' `register*` functions: importing this package registers nothing.
 */
export function registerMultipleChoiceHead(registry: HeadRegistry = headRegistry): void {
  registry.register(DebertaForMultipleChoice);
}
