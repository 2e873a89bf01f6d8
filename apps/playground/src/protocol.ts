// Messages between the page (main.ts) and the inference worker (worker.ts). Every request carries an id;
// the worker answers it once, with a value or with a readable error message.

export type DeviceChoice = "webgpu" | "webgpu-f16" | "cpu";

export type TaskName =
  | "text-classification"
  | "zero-shot-classification"
  | "fill-mask"
  | "question-answering"
  | "token-classification"
  | "feature-extraction";

export type Request =
  | { type: "probe" }
  | { type: "load-url"; base: string; name: string }
  | { type: "load-hub"; repo: string; endpoint: string; revision: string }
  | { type: "load-files"; name: string; files: Record<string, ArrayBuffer> }
  | { type: "device"; device: DeviceChoice }
  | { type: "tokenize"; text: string; text_pair?: string }
  | { type: "run"; task: TaskName; input: unknown; options: Record<string, unknown> }
  | { type: "attention"; text: string; text_pair?: string };

export interface Probe {
  webgpu: { adapter: string; f16: boolean } | null;
  webgpuProblem?: string;
  crossOriginIsolated: boolean;
  cores: number;
}

export interface ModelSummary {
  name: string;
  files: string[];
  architecture: string;
  /** config.json's model_type: "deberta" or "deberta-v2" (v2, v3, mDeBERTa). */
  modelType: string;
  /** The head class each task needs for this model_type, by head task ("masked-lm": "DebertaForMaskedLM"). */
  taskHeads: Record<string, string>;
  layers: number;
  heads: number;
  hidden: number;
  vocab: number;
  labels: string[];
  posAttType: string[];
  /** Hub models: whether the files came from the browser's Cache Storage (no download). */
  fromCache?: boolean;
  /** Files merged into the current model (a tokenizer folder loaded after a model folder). */
  tokenizerOnly?: boolean;
}

export interface DeviceInfo {
  device: DeviceChoice;
  /** What runs: "WebGPU f32 (adapter ...)", "CPU wasm-simd128-2-threads" ... */
  label: string;
}

export interface TokenView {
  text: string;
  text_pair?: string;
  tokens: {
    id: number;
    token: string;
    start: number;
    end: number;
    special: boolean;
    sequence: number | null;
  }[];
}

export interface RunResult {
  task: TaskName;
  output: unknown;
  ms: number;
  device: string;
}

export interface AttentionTerms {
  c2c: Float32Array;
  c2p?: Float32Array;
  p2c?: Float32Array;
}

export interface AttentionResult {
  tokens: TokenView;
  layers: number;
  heads: number;
  length: number;
  /** Per layer, [heads, length, length] row-major (batch 1): probabilities of query i over keys j. */
  probs: Float32Array[];
  /** Per layer, the pre-softmax score terms (output_attention_terms: true), [heads, length, length] each. */
  terms?: AttentionTerms[];
  /** The config's pos_att_type ("c2p", "p2c") where relative attention is on, else []: which terms exist. */
  positionTerms: string[];
  ms: number;
  device: string;
}

export type Response =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string }
  | { id: -1; progress: string; download?: DownloadProgress };

/** A file being downloaded (Hub models): bytes so far and, when the server said, the size. */
export interface DownloadProgress {
  file: string;
  loaded: number;
  total?: number;
  /** Files of the model done, and how many there are at most. */
  done: number;
  files: number;
}

/** Cache Storage bucket of Hub model files (the page's "forget cached models" deletes it). */
export const MODEL_CACHE = "deberta-playground-hub-models-v1";
