// The inference worker: holds the model files, the backend (WebGPU or the CPU backend's WebAssembly engine)
// and the loaded heads, and answers the page's requests (protocol.ts). Everything heavy runs here, so the
// page never freezes.
import { createCpuBackend } from "@deberta/backend-cpu";
import { createWebGpuBackend } from "@deberta/backend-webgpu";
import type { AnyDebertaConfig } from "@deberta/config";
import {
  type DebertaPreTrainedModel,
  type HeadCallInputs,
  type HeadClass,
  headRegistry,
} from "@deberta/heads";
import { fetchHubFile, HubError, hubFileUrl, type WeightTensor } from "@deberta/hub";
import { type Pipeline, pipeline, taskRegistry } from "@deberta/pipelines";
import type { Backend, Tensor } from "@deberta/tensor";
import type { AnyDebertaTokenizer } from "@deberta/tokenizer";
import {
  configFromFiles,
  type FileMap,
  hasModel,
  hasTokenizer,
  tokenizerFromFiles,
  weightsFromFiles,
} from "./model-files.js";
import {
  type AttentionResult,
  type AttentionTerms,
  type DeviceChoice,
  type DeviceInfo,
  type DownloadProgress,
  MODEL_CACHE,
  type ModelSummary,
  type Probe,
  type Request,
  type Response,
  type RunResult,
  type TaskName,
  type TokenView,
} from "./protocol.js";

interface Loaded {
  name: string;
  files: FileMap;
  config: AnyDebertaConfig;
  tokenizer: AnyDebertaTokenizer | undefined;
  weights: Map<string, WeightTensor>;
}

let loaded: Loaded | undefined;
let backend: Backend | undefined;
let deviceLabel = "";
/** Heads built on the current backend, by architecture. */
const models = new Map<string, DebertaPreTrainedModel>();
const pipelines = new Map<TaskName, Pipeline>();

function progress(text: string, download?: DownloadProgress): void {
  postMessage({ id: -1, progress: text, ...(download ? { download } : {}) } satisfies Response);
}

async function probe(): Promise<Probe> {
  const cores = navigator.hardwareConcurrency ?? 1;
  const base = { crossOriginIsolated: self.crossOriginIsolated === true, cores };
  const gpu = (navigator as { gpu?: GPU }).gpu;
  if (gpu === undefined) return { ...base, webgpu: null, webgpuProblem: "navigator.gpu is absent" };
  try {
    const adapter = await gpu.requestAdapter();
    if (adapter === null) return { ...base, webgpu: null, webgpuProblem: "navigator.gpu gave no adapter" };
    const info = adapter.info;
    const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(" ") || "unknown";
    return { ...base, webgpu: { adapter: name, f16: adapter.features.has("shader-f16") } };
  } catch (e) {
    return { ...base, webgpu: null, webgpuProblem: message(e) };
  }
}

function freeModels(): void {
  for (const p of pipelines.values()) p.dispose();
  pipelines.clear();
  for (const m of models.values()) m.dispose();
  models.clear();
}

async function setDevice(choice: DeviceChoice): Promise<DeviceInfo> {
  freeModels();
  backend?.close();
  backend = undefined;
  const t0 = performance.now();
  if (choice === "cpu") {
    const cpu = await createCpuBackend();
    backend = cpu;
    deviceLabel = `CPU (${cpu.engine.name})`;
  } else {
    const dtype = choice === "webgpu-f16" ? "fp16" : "fp32";
    backend = await createWebGpuBackend({ dtype });
    deviceLabel = `WebGPU ${dtype === "fp16" ? "f16" : "f32"}`;
  }
  progress(`${deviceLabel} ready in ${(performance.now() - t0).toFixed(0)} ms`);
  return { device: choice, label: deviceLabel };
}

function summary(l: Loaded): ModelSummary {
  const c = l.config;
  const id2label = (c as unknown as { id2label?: Record<string, string> }).id2label ?? {};
  return {
    name: l.name,
    files: [...l.files.keys()].sort(),
    architecture: c.architectures?.[0] ?? headRegistry.resolve(c).architecture,
    modelType: c.model_type,
    // The head each task needs for this model_type (DebertaForMaskedLM or DebertaV2ForMaskedLM, ...).
    taskHeads: Object.fromEntries(
      headRegistry
        .tasks(c.model_type)
        .map((task) => [task, headRegistry.forTask(c.model_type, task)!.architecture]),
    ),
    layers: c.num_hidden_layers,
    heads: c.num_attention_heads,
    hidden: c.hidden_size,
    vocab: c.vocab_size,
    labels: Object.keys(id2label)
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => id2label[k]!),
    // Normalised ("c2p|p2c", ["C2P"] ... -> ["c2p", "p2c"]).
    posAttType: [...c.pos_att_types],
  };
}

async function loadFiles(name: string, files: FileMap): Promise<ModelSummary> {
  // A tokenizer folder alone completes the model loaded before it (fixtures keep the tokenizer apart).
  if (!hasModel(files) && hasTokenizer(files) && loaded !== undefined) {
    for (const [k, v] of files) loaded.files.set(k, v);
    loaded.tokenizer = tokenizerFromFiles(loaded.files);
    freeModels();
    return { ...summary(loaded), tokenizerOnly: true };
  }
  progress(`reading ${name}: config, tokenizer, weights`);
  const config = configFromFiles(files);
  const tokenizer = hasTokenizer(files) ? tokenizerFromFiles(files) : undefined;
  const weights = await weightsFromFiles(files);
  freeModels();
  loaded = { name, files, config, tokenizer, weights };
  return summary(loaded);
}

async function loadUrl(base: string, name: string): Promise<ModelSummary> {
  const manifest = (await (await fetchOk(`${base}/manifest.json`)).json()) as { files: string[] };
  const files: FileMap = new Map();
  let done = 0;
  await Promise.all(
    manifest.files.map(async (f) => {
      const bytes = new Uint8Array(await (await fetchOk(`${base}/${f}`)).arrayBuffer());
      files.set(f, bytes);
      progress(`downloaded ${++done}/${manifest.files.length} files of ${name}`);
    }),
  );
  return loadFiles(name, files);
}

// Hub models: config.json and the weights are required, the tokenizer files are taken where they exist
// (spm.model: what microsoft/deberta-v3-* and mdeberta-v3 ship instead of tokenizer.json).
const HUB_WEIGHTS = ["model.safetensors", "pytorch_model.bin"];
const HUB_OPTIONAL = [
  "tokenizer.json",
  "tokenizer_config.json",
  "spm.model",
  "vocab.json",
  "merges.txt",
  "special_tokens_map.json",
];
/** A key in the cache (never requested) listing the files a cached model has. */
const HUB_MANIFEST = ".playground-files.json";

/**
 * A Hub model: from Cache Storage when every file of it is there (no request at all), else downloaded with
 * progress (fetchHubFile), then kept in the cache for the next visit.
 */
async function loadHub(repo: string, endpoint: string, revision: string): Promise<ModelSummary> {
  const url = (file: string) => hubFileUrl(repo, file, revision, endpoint);
  const cache = await caches.open(MODEL_CACHE);
  const files: FileMap = new Map();
  const manifest = await cache.match(url(HUB_MANIFEST));
  if (manifest !== undefined) {
    for (const f of (await manifest.json()) as string[]) {
      const hit = await cache.match(url(f));
      if (hit === undefined) {
        files.clear();
        break;
      }
      files.set(f, new Uint8Array(await hit.arrayBuffer()));
    }
    if (files.size > 0) {
      progress(`${repo}: ${files.size} files from the browser's cache, no download`);
      return { ...(await loadFiles(repo, files)), fromCache: true };
    }
  }
  const wanted = 2 + HUB_OPTIONAL.length;
  const get = async (file: string, optional: boolean): Promise<boolean> => {
    try {
      const bytes = await fetchHubFile(repo, file, {
        endpoint,
        revision,
        onProgress: ({ loaded, total }) =>
          progress(`downloading ${repo}: ${file}`, {
            file,
            loaded,
            ...(total !== undefined ? { total } : {}),
            done: files.size,
            files: wanted,
          }),
      });
      files.set(file, bytes);
      return true;
    } catch (e) {
      if (optional && e instanceof HubError && e.code === "HUB_NOT_FOUND") return false;
      throw e;
    }
  };
  await get("config.json", false);
  let weights = false;
  for (const [i, f] of HUB_WEIGHTS.entries()) {
    weights = await get(f, i < HUB_WEIGHTS.length - 1);
    if (weights) break;
  }
  for (const f of HUB_OPTIONAL) await get(f, true);
  const summary = await loadFiles(repo, files);
  // Cached only once the model loaded (a broken download is not kept).
  for (const [f, bytes] of files)
    await cache.put(url(f), new globalThis.Response(bytes as Uint8Array<ArrayBuffer>));
  await cache.put(url(HUB_MANIFEST), globalThis.Response.json([...files.keys()]));
  return { ...summary, fromCache: false };
}

async function fetchOk(url: string): Promise<globalThis.Response> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${res.statusText}`);
  return res;
}

function requireLoaded(): Loaded & { tokenizer: AnyDebertaTokenizer } {
  if (loaded === undefined) throw new Error("no model loaded: load the demo model or a model folder first");
  if (loaded.tokenizer === undefined)
    throw new Error(
      `${loaded.name} has no tokenizer (tokenizer.json, spm.model, or vocab.json + merges.txt): load a tokenizer folder next`,
    );
  return loaded as Loaded & { tokenizer: AnyDebertaTokenizer };
}

async function requireBackend(): Promise<Backend> {
  if (backend === undefined) throw new Error("no device chosen yet");
  return backend;
}

/** The head `Head` on the current backend, built from the loaded weights on first use. */
async function model(Head: HeadClass, task?: string): Promise<DebertaPreTrainedModel> {
  const l = requireLoaded();
  const architecture = Head.architecture;
  const cached = models.get(architecture);
  if (cached !== undefined) return cached;
  const b = await requireBackend();
  progress(`building ${architecture} on ${deviceLabel}`);
  try {
    const m = await Head.from_pretrained(l.name, { backend: b, config: l.config, weights: l.weights });
    models.set(architecture, m);
    return m;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "MODEL_WEIGHTS_MISSING") {
      const has = l.config.architectures?.[0] ?? "a model without a task head";
      throw new Error(
        `This model has no ${architecture} head${task ? `, which ${task} needs` : ""}: its checkpoint is ${has}. ` +
          `Load a folder with such a checkpoint (for example fixtures/models/base-like/<head>/ with the tokenizer folder).`,
      );
    }
    throw e;
  }
}

async function taskPipeline(task: TaskName): Promise<Pipeline> {
  const cached = pipelines.get(task);
  if (cached !== undefined) return cached;
  const l = requireLoaded();
  const definition = taskRegistry.get(task);
  if (definition === undefined) throw new Error(`unknown task ${task}`);
  // The task's head for this model_type; feature-extraction reads any head's hidden state, so it uses the
  // checkpoint's own head rather than build a second copy.
  const Head =
    task === "feature-extraction"
      ? headRegistry.resolve(l.config)
      : headRegistry.resolve(l.config, definition.head);
  const m = await model(Head, task);
  const p = await pipeline(task, { model: m, tokenizer: l.tokenizer });
  pipelines.set(task, p);
  return p;
}

function tokenize(text: string, text_pair?: string): TokenView {
  const { tokenizer } = requireLoaded();
  const enc = tokenizer(text, {
    ...(text_pair ? { text_pair } : {}),
    truncation: true,
    return_offsets_mapping: true,
    return_special_tokens_mask: true,
  });
  const ids = enc.input_ids as number[];
  const offsets = enc.offset_mapping as [number, number][];
  const special = enc.special_tokens_mask as number[];
  const sequences = enc.sequence_ids();
  const tokens = tokenizer.convert_ids_to_tokens(ids);
  return {
    text,
    ...(text_pair ? { text_pair } : {}),
    tokens: ids.map((id, i) => ({
      id,
      token: tokens[i]!,
      start: offsets[i]![0],
      end: offsets[i]![1],
      special: special[i] === 1,
      sequence: sequences[i] ?? null,
    })),
  };
}

async function run(task: TaskName, input: unknown, options: Record<string, unknown>): Promise<RunResult> {
  const p = await taskPipeline(task);
  const t0 = performance.now();
  let output: unknown;
  if (task === "zero-shot-classification") {
    const { sequence, labels } = input as { sequence: string; labels: string };
    output = await (p as unknown as (s: string, l: string, o: unknown) => Promise<unknown>)(
      sequence,
      labels,
      options,
    );
  } else if (task === "feature-extraction") {
    const t = (await (p as unknown as (s: unknown, o: unknown) => Promise<Tensor>)(input, {
      ...options,
      return_tensor: true,
    })) as Tensor;
    const data = t.data as Float32Array;
    output = { dims: [...t.dims], data: Array.from(data.subarray(0, Math.min(data.length, 4096))) };
  } else {
    output = await (p as unknown as (s: unknown, o: unknown) => Promise<unknown>)(input, options);
  }
  return { task, output, ms: performance.now() - t0, device: deviceLabel };
}

async function attention(text: string, text_pair?: string): Promise<AttentionResult> {
  const l = requireLoaded();
  // The checkpoint's own head (else the bare model of its model_type): every head returns the attentions.
  const m = await model(headRegistry.resolve(l.config));
  const tokens = tokenize(text, text_pair);
  const enc = l.tokenizer(text, {
    ...(text_pair ? { text_pair } : {}),
    truncation: true,
    return_tensor: true,
  });
  const inputs = {
    input_ids: enc.input_ids as Tensor,
    attention_mask: enc.attention_mask as Tensor,
    ...(enc.token_type_ids ? { token_type_ids: enc.token_type_ids as Tensor } : {}),
    output_attentions: true,
    // The pre-softmax score terms: asked for here only (the explorer's score split), never by the tasks.
    output_attention_terms: true,
  } as HeadCallInputs;
  const t0 = performance.now();
  const out = (await m(inputs)) as { attentions?: Tensor[]; attention_terms?: Record<string, Tensor>[] };
  const ms = performance.now() - t0;
  const probs = (out.attentions ?? []).map((t) => Float32Array.from(t.data as Float32Array));
  const result: AttentionResult = {
    tokens,
    layers: probs.length,
    heads: l.config.num_attention_heads,
    length: tokens.tokens.length,
    probs,
    positionTerms: l.config.relative_attention
      ? l.config.pos_att_types.filter((t) => t === "c2p" || t === "p2c")
      : [],
    ms,
    device: deviceLabel,
  };
  if (Array.isArray(out.attention_terms)) {
    result.terms = out.attention_terms.map((layer) => {
      const terms: AttentionTerms = { c2c: Float32Array.from(layer.c2c!.data as Float32Array) };
      if (layer.c2p) terms.c2p = Float32Array.from(layer.c2p.data as Float32Array);
      if (layer.p2c) terms.p2c = Float32Array.from(layer.p2c.data as Float32Array);
      return terms;
    });
  }
  return result;
}

/** The arrays of an attention result, moved to the page rather than copied (they can be large). */
function attentionBuffers(a: AttentionResult): Transferable[] {
  const arrays = [...a.probs, ...(a.terms ?? []).flatMap((t) => [t.c2c, t.c2p, t.p2c])];
  return arrays.filter((x): x is Float32Array => x !== undefined).map((x) => x.buffer as ArrayBuffer);
}

function message(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

async function handle(req: Request): Promise<unknown> {
  switch (req.type) {
    case "probe":
      return probe();
    case "device":
      return setDevice(req.device);
    case "load-url":
      return loadUrl(req.base, req.name);
    case "load-hub":
      return loadHub(req.repo, req.endpoint, req.revision);
    case "load-files":
      return loadFiles(req.name, new Map(Object.entries(req.files).map(([k, v]) => [k, new Uint8Array(v)])));
    case "tokenize":
      return tokenize(req.text, req.text_pair);
    case "run":
      return run(req.task, req.input, req.options);
    case "attention":
      return attention(req.text, req.text_pair);
  }
}

// Requests run one at a time, in order: a device switch never lands in the middle of a run.
let queue: Promise<unknown> = Promise.resolve();
self.onmessage = (ev: MessageEvent<{ id: number; request: Request }>) => {
  const { id, request } = ev.data;
  queue = queue.then(async () => {
    try {
      const value = await handle(request);
      const transfer = request.type === "attention" ? attentionBuffers(value as AttentionResult) : [];
      postMessage({ id, ok: true, value } satisfies Response, { transfer });
    } catch (e) {
      console.error(e);
      postMessage({ id, ok: false, error: message(e) } satisfies Response);
    }
  });
};
