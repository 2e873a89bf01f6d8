import type { Activation } from "@deberta/tensor";
import { ModelError } from "./errors.js";

const SUPPORTED: readonly Activation[] = [
  "gelu",
  "gelu_new",
  "gelu_pytorch_tanh",
  "relu",
  "tanh",
  "sigmoid",
  "linear",
];

/** The activation a config names (`hidden_act`, `pooler_hidden_act`), or a typed error naming the key. */
export function activationOf(name: string, key: string): Activation {
  if ((SUPPORTED as readonly string[]).includes(name)) return name as Activation;
  throw new ModelError(
    "MODEL_INPUT",
    `config.${key} is "${name}"; supported activations: ${SUPPORTED.join(", ")}`,
    { key },
  );
}
