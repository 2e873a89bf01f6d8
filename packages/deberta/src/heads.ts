// The task heads (v1 and v2) as the umbrella exports them: subclasses of @deberta/heads' classes whose from_pretrained
// first registers the default backends (the heads themselves know none), so that
// `DebertaForSequenceClassification.from_pretrained(dir)` works from "deberta" as it does in transformers.
import * as heads from "@deberta/heads";
import { registerDefaultBackends } from "./defaults.js";

/** `Head` with a from_pretrained that registers the default backends first; same name, same instanceof. */
function withDefaultBackends<C extends heads.HeadClass>(Head: C): C {
  const Base = Head as unknown as new (...args: never[]) => object;
  const Wrapped = { [Head.name]: class extends Base {} }[Head.name]!;
  Object.defineProperty(Wrapped, "from_pretrained", {
    value(this: C, location: string, options?: heads.FromPretrainedOptions) {
      registerDefaultBackends();
      return Head.from_pretrained.call(this as never, location, options);
    },
    writable: true,
    configurable: true,
  });
  // A model the registry or AutoModel built from @deberta/heads' class is an instance of this one too.
  Object.defineProperty(Wrapped, Symbol.hasInstance, { value: (value: unknown) => value instanceof Head });
  return Wrapped as unknown as C;
}

export const DebertaModel = withDefaultBackends(heads.DebertaModel);
export type DebertaModel = heads.DebertaModel;
export const DebertaForMaskedLM = withDefaultBackends(heads.DebertaForMaskedLM);
export type DebertaForMaskedLM = heads.DebertaForMaskedLM;
export const DebertaForSequenceClassification = withDefaultBackends(heads.DebertaForSequenceClassification);
export type DebertaForSequenceClassification = heads.DebertaForSequenceClassification;
export const DebertaForTokenClassification = withDefaultBackends(heads.DebertaForTokenClassification);
export type DebertaForTokenClassification = heads.DebertaForTokenClassification;
export const DebertaForQuestionAnswering = withDefaultBackends(heads.DebertaForQuestionAnswering);
export type DebertaForQuestionAnswering = heads.DebertaForQuestionAnswering;
export const DebertaV2Model = withDefaultBackends(heads.DebertaV2Model);
export type DebertaV2Model = heads.DebertaV2Model;
export const DebertaV2ForMaskedLM = withDefaultBackends(heads.DebertaV2ForMaskedLM);
export type DebertaV2ForMaskedLM = heads.DebertaV2ForMaskedLM;
export const DebertaV2ForSequenceClassification = withDefaultBackends(
  heads.DebertaV2ForSequenceClassification,
);
export type DebertaV2ForSequenceClassification = heads.DebertaV2ForSequenceClassification;
export const DebertaV2ForTokenClassification = withDefaultBackends(heads.DebertaV2ForTokenClassification);
export type DebertaV2ForTokenClassification = heads.DebertaV2ForTokenClassification;
export const DebertaV2ForQuestionAnswering = withDefaultBackends(heads.DebertaV2ForQuestionAnswering);
export type DebertaV2ForQuestionAnswering = heads.DebertaV2ForQuestionAnswering;
export const DebertaV2ForMultipleChoice = withDefaultBackends(heads.DebertaV2ForMultipleChoice);
export type DebertaV2ForMultipleChoice = heads.DebertaV2ForMultipleChoice;
