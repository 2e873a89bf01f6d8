// The page: model loading (demo, folder picker, drag and drop), the device switch, the six tasks with their
// tokens, and the attention explorer. All inference goes to the worker (worker.ts).
import { type Exporter, renderAttention } from "./attention.js";
import { CancelledError, WorkerClient } from "./client.js";
import { $, fmt, h } from "./dom.js";
import type {
  AttentionResult,
  DeviceChoice,
  DeviceInfo,
  DownloadProgress,
  ModelSummary,
  Probe,
  RunResult,
  TaskName,
  TokenView,
} from "./protocol.js";
import { MODEL_CACHE } from "./protocol.js";
import { renderResult } from "./results.js";

const errorBox = $("error");
function showError(e: unknown): void {
  const text = e instanceof Error ? e.message : String(e);
  errorBox.textContent = text;
  errorBox.hidden = false;
}
function clearError(): void {
  errorBox.hidden = true;
  errorBox.textContent = "";
}
window.addEventListener("error", (ev) => showError(ev.error ?? ev.message));
window.addEventListener("unhandledrejection", (ev) => showError(ev.reason));

const status = $("status");
const progressBar = $("download-progress") as HTMLProgressElement;
const cancelButton = $("cancel") as HTMLButtonElement;
const running = $("running");
let busySince = 0;
let busyTimer: ReturnType<typeof setInterval> | undefined;

function showProgress(text: string, d?: DownloadProgress): void {
  status.textContent = text;
  if (d === undefined) return;
  progressBar.hidden = false;
  // Files done plus the fraction of the current one, over the most files a model has.
  const part = d.total ? d.loaded / d.total : 0;
  progressBar.value = Math.min(1, (d.done + part) / d.files);
  progressBar.dataset.file = d.file;
  progressBar.textContent = `${Math.round(progressBar.value * 100)}%`;
  const mb = (n: number) => (n / 1048576).toFixed(2);
  status.textContent = `${text}: ${mb(d.loaded)}${d.total ? ` of ${mb(d.total)}` : ""} MB (file ${d.done + 1})`;
}

/** While the worker has work: Cancel enabled and the elapsed time shown, so a long run never looks frozen. */
function onBusy(pending: number): void {
  cancelButton.disabled = pending === 0;
  if (pending > 0 && busyTimer === undefined) {
    busySince = performance.now();
    const tick = () => {
      running.textContent = `working… ${((performance.now() - busySince) / 1000).toFixed(1)} s`;
    };
    tick();
    busyTimer = setInterval(tick, 250);
  } else if (pending === 0 && busyTimer !== undefined) {
    clearInterval(busyTimer);
    busyTimer = undefined;
    running.textContent = "";
  }
}

const client = new WorkerClient(showProgress, (text) => showError(text), onBusy);

/** Runs an action with its button disabled; any failure becomes a readable message on the page. */
async function guarded<T>(
  button: HTMLButtonElement | null,
  action: () => Promise<T>,
): Promise<T | undefined> {
  clearError();
  if (button) button.disabled = true;
  try {
    return await action();
  } catch (e) {
    if (!(e instanceof CancelledError)) showError(e);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------- model

let model: ModelSummary | undefined;
/** How to load the current model again (after Cancel restarts the worker): the model, then any tokenizer. */
let reloads: (() => Promise<ModelSummary>)[] = [];

function remember(load: () => Promise<ModelSummary>, m: ModelSummary): void {
  if (m.tokenizerOnly) reloads.push(load);
  else reloads = [load];
}

function showModel(m: ModelSummary): void {
  model = m;
  const info = $("model-info");
  info.className = "";
  info.replaceChildren(
    h("strong", { id: "model-name" }, m.name),
    ` — ${m.architecture}, ${m.layers} layers × ${m.heads} heads, hidden ${m.hidden}, vocabulary ${m.vocab}`,
    m.labels.length > 0 ? h("div", { className: "muted" }, `labels: ${m.labels.join(", ")}`) : "",
    h("div", { className: "muted" }, `files: ${m.files.join(", ")}`),
  );
  document.body.dataset.model = m.name;
  renderTaskForm();
}

async function loadDemo(): Promise<void> {
  const load = () =>
    client.request<ModelSummary>({
      type: "load-url",
      // Absolute: the worker resolves relative URLs against its own script, not the page.
      base: new URL("./models/demo", location.href).href,
      name: "demo-model",
    });
  const m = await load();
  remember(load, m);
  showModel(m);
  status.textContent = `Loaded ${m.name}.`;
}

/** The files of a picked or dropped folder, by base name: a model folder is flat (config, weights, tokenizer). */
async function loadFileList(files: { file: File; path: string }[]): Promise<void> {
  if (files.length === 0) throw new Error("no files: pick or drop a folder holding config.json and weights");
  const wanted = files.filter(({ path }) => !path.split("/").some((p) => p.startsWith(".")));
  const folder = wanted[0]?.path.split("/")[0] || "local folder";
  // Read again on each load (File objects stay cheap references), so Cancel can restore the model.
  const load = async () => {
    const byName: Record<string, ArrayBuffer> = {};
    for (const { file } of wanted) {
      const name = file.name;
      // The shallowest copy wins (a folder may hold checkpoints in subfolders).
      if (!(name in byName)) byName[name] = await file.arrayBuffer();
    }
    return client.request<ModelSummary>(
      { type: "load-files", name: folder, files: byName },
      Object.values(byName),
    );
  };
  const m = await load();
  remember(load, m);
  showModel(m);
  status.textContent = m.tokenizerOnly
    ? `Added the tokenizer of ${folder}.`
    : `Loaded ${folder} from this machine.`;
}

// ------------------------------------------------------------------------------------------- Hub models

const hubEndpoint = $("hub-endpoint") as HTMLInputElement;
const hubId = $("hub-id") as HTMLInputElement;
hubEndpoint.value = localStorage.getItem("hub-endpoint") ?? hubEndpoint.value;

async function loadHub(): Promise<void> {
  const repo = hubId.value.trim();
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(repo))
    throw new Error(
      `"${repo}" is not a Hub model id: write it as org/name (for example microsoft/deberta-base-mnli)`,
    );
  const endpoint = hubEndpoint.value.trim().replace(/\/+$/, "") || "https://huggingface.co";
  localStorage.setItem("hub-endpoint", endpoint);
  const load = () => client.request<ModelSummary>({ type: "load-hub", repo, endpoint, revision: "main" });
  progressBar.value = 0;
  try {
    const m = await load();
    remember(load, m);
    showModel(m);
    status.textContent = m.fromCache
      ? `Loaded ${repo} from the browser's cache (no download).`
      : `Downloaded ${repo} from ${endpoint}; kept in the browser's cache.`;
  } finally {
    progressBar.hidden = true;
    void showCache();
  }
}

async function showCache(): Promise<void> {
  const info = $("cache-info");
  if (!("caches" in window)) {
    info.textContent = "This browser has no Cache Storage here: Hub models are downloaded on every load.";
    return;
  }
  const keys = await (await caches.open(MODEL_CACHE)).keys();
  const models = keys.filter((k) => k.url.endsWith("/.playground-files.json")).length;
  const bytes = (await navigator.storage?.estimate?.())?.usage;
  info.textContent = `${models} Hub model${models === 1 ? "" : "s"} cached in this browser${
    bytes ? ` (site storage ${(bytes / 1048576).toFixed(1)} MB)` : ""
  }.`;
  info.dataset.models = String(models);
}

const hubButton = $("load-hub") as HTMLButtonElement;
($("hub-form") as HTMLFormElement).addEventListener("submit", (ev) => {
  ev.preventDefault();
  void guarded(hubButton, loadHub);
});
const forgetButton = $("forget-cache") as HTMLButtonElement;
forgetButton.addEventListener("click", () =>
  guarded(forgetButton, async () => {
    await caches.delete(MODEL_CACHE);
    status.textContent = "Forgot the cached Hub models: the next load downloads again.";
    await showCache();
  }),
);
void showCache().catch(() => {});

cancelButton.addEventListener("click", () =>
  guarded(null, async () => {
    client.cancel();
    progressBar.hidden = true;
    status.textContent = "Cancelled. Restarting the worker…";
    $("timing").textContent = "";
    if (device !== undefined) await chooseDevice(device.device);
    for (const load of reloads) {
      const m = await load();
      if (!m.tokenizerOnly) showModel(m);
    }
    status.textContent = `Cancelled; the worker was restarted${model ? ` with ${model.name}` : ""}: ready.`;
  }),
);

const loadButton = $("load-demo") as HTMLButtonElement;
loadButton.addEventListener("click", () => guarded(loadButton, loadDemo));

const folderInput = $("folder-input") as HTMLInputElement;
folderInput.addEventListener("change", () => {
  const list = [...(folderInput.files ?? [])]
    .map((file) => ({ file, path: file.webkitRelativePath || file.name }))
    .sort((a, b) => a.path.split("/").length - b.path.split("/").length);
  void guarded(null, () => loadFileList(list));
  folderInput.value = "";
});

async function entryFiles(entry: FileSystemEntry, prefix: string): Promise<{ file: File; path: string }[]> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) =>
      (entry as FileSystemFileEntry).file(resolve, reject),
    );
    return [{ file, path: prefix + entry.name }];
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const children: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (batch.length === 0) break;
    children.push(...batch);
  }
  const nested = await Promise.all(children.map((c) => entryFiles(c, `${prefix}${entry.name}/`)));
  return nested.flat();
}

const drop = $("drop-zone");
drop.addEventListener("dragover", (ev) => {
  ev.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (ev) => {
  ev.preventDefault();
  drop.classList.remove("over");
  const items = [...(ev.dataTransfer?.items ?? [])];
  const entries = items.map((i) => i.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  void guarded(null, async () => {
    const files = entries.length
      ? (await Promise.all(entries.map((e) => entryFiles(e, "")))).flat()
      : [...(ev.dataTransfer?.files ?? [])].map((file) => ({ file, path: file.name }));
    files.sort((a, b) => a.path.split("/").length - b.path.split("/").length);
    await loadFileList(files);
  });
});

// --------------------------------------------------------------------------------------------- device

const deviceSelect = $("device-select") as HTMLSelectElement;
let device: DeviceInfo | undefined;

async function chooseDevice(choice: DeviceChoice): Promise<void> {
  deviceSelect.disabled = true;
  try {
    device = await client.request<DeviceInfo>({ type: "device", device: choice });
    deviceSelect.value = device.device;
    document.body.dataset.device = device.device;
    $("device-label").textContent = device.label;
  } finally {
    deviceSelect.disabled = false;
  }
}

async function probeDevices(): Promise<void> {
  const p = await client.request<Probe>({ type: "probe" });
  const options: [DeviceChoice, string][] = [];
  if (p.webgpu) {
    options.push(["webgpu", "WebGPU (f32)"]);
    if (p.webgpu.f16) options.push(["webgpu-f16", "WebGPU (f16)"]);
  }
  options.push(["cpu", "CPU (WebAssembly)"]);
  deviceSelect.replaceChildren(...options.map(([v, t]) => h("option", { value: v }, t)));
  $("device-info").replaceChildren(
    p.webgpu
      ? `WebGPU adapter: ${p.webgpu.adapter}${p.webgpu.f16 ? " (shader-f16)" : " (no shader-f16)"}`
      : `No WebGPU (${p.webgpuProblem}): running on the CPU backend.`,
    h("br"),
    `Cross-origin isolated: ${p.crossOriginIsolated ? "yes (multi-threaded WebAssembly)" : "no (one thread)"}; ${p.cores} cores. Using: `,
    h("strong", { id: "device-label" }, "…"),
  );
  const forced = new URLSearchParams(location.search).get("device") as DeviceChoice | null;
  const initial = forced && options.some(([v]) => v === forced) ? forced : options[0]![0];
  await chooseDevice(initial);
}
deviceSelect.addEventListener("change", () =>
  guarded(null, () => chooseDevice(deviceSelect.value as DeviceChoice)),
);

// ---------------------------------------------------------------------------------------------- tasks

interface Field {
  name: string;
  label: string;
  kind: "textarea" | "text" | "checkbox" | "select" | "number";
  value: string | boolean | number;
  choices?: string[];
}

interface TaskSpec {
  task: TaskName;
  title: string;
  /** The head task the pipeline needs (its class depends on the model's model_type). */
  head: string;
  fields: Field[];
  /** The text (and pair) the tokens panel and the attention explorer show. */
  texts: (v: Values) => { text: string; text_pair?: string };
  input: (v: Values) => unknown;
  options: (v: Values) => Record<string, unknown>;
}

type Values = Record<string, string | boolean | number>;

const TASKS: TaskSpec[] = [
  {
    task: "text-classification",
    title: "Text classification",
    head: "sequence-classification",
    fields: [
      { name: "text", label: "Text", kind: "textarea", value: "A soccer game with multiple males playing." },
      {
        name: "text_pair",
        label: "Text pair (optional)",
        kind: "text",
        value: "Some men are playing a sport.",
      },
    ],
    texts: (v) => ({ text: String(v.text), ...(v.text_pair ? { text_pair: String(v.text_pair) } : {}) }),
    input: (v) => (v.text_pair ? { text: v.text, text_pair: v.text_pair } : v.text),
    options: () => ({ top_k: null }),
  },
  {
    task: "zero-shot-classification",
    title: "Zero-shot",
    head: "sequence-classification",
    fields: [
      { name: "sequence", label: "Text", kind: "textarea", value: "One day I will see the world." },
      {
        name: "labels",
        label: "Candidate labels (comma-separated)",
        kind: "text",
        value: "travel, cooking, dancing",
      },
      {
        name: "hypothesis_template",
        label: "Hypothesis template",
        kind: "text",
        value: "This example is {}.",
      },
      { name: "multi_label", label: "Multi-label (each label scored alone)", kind: "checkbox", value: false },
    ],
    texts: (v) => ({ text: String(v.sequence) }),
    input: (v) => ({ sequence: v.sequence, labels: v.labels }),
    options: (v) => ({ multi_label: v.multi_label, hypothesis_template: v.hypothesis_template }),
  },
  {
    task: "fill-mask",
    title: "Fill mask",
    head: "masked-lm",
    fields: [
      {
        name: "text",
        label: "Text with [MASK]",
        kind: "textarea",
        value: "The capital of France is [MASK].",
      },
      { name: "top_k", label: "Candidates", kind: "number", value: 5 },
    ],
    texts: (v) => ({ text: String(v.text) }),
    input: (v) => v.text,
    options: (v) => ({ top_k: Number(v.top_k) }),
  },
  {
    task: "question-answering",
    title: "Question answering",
    head: "question-answering",
    fields: [
      { name: "question", label: "Question", kind: "text", value: "Where do I live?" },
      {
        name: "context",
        label: "Context",
        kind: "textarea",
        value: "My name is Wolfgang and I live in Berlin.",
      },
      { name: "top_k", label: "Answers", kind: "number", value: 3 },
    ],
    texts: (v) => ({ text: String(v.question), text_pair: String(v.context) }),
    input: (v) => ({ question: v.question, context: v.context }),
    options: (v) => ({ top_k: Number(v.top_k) }),
  },
  {
    task: "token-classification",
    title: "Token classification",
    head: "token-classification",
    fields: [
      { name: "text", label: "Text", kind: "textarea", value: "My name is Wolfgang and I live in Berlin." },
      {
        name: "aggregation_strategy",
        label: "Aggregation",
        kind: "select",
        value: "simple",
        choices: ["none", "simple", "first", "average", "max"],
      },
      { name: "show_o", label: "Show O tokens", kind: "checkbox", value: false },
    ],
    texts: (v) => ({ text: String(v.text) }),
    input: (v) => v.text,
    options: (v) => ({
      aggregation_strategy: v.aggregation_strategy,
      ...(v.show_o ? { ignore_labels: [] } : {}),
    }),
  },
  {
    task: "feature-extraction",
    title: "Feature extraction",
    head: "model",
    fields: [
      { name: "text", label: "Text", kind: "textarea", value: "Sentence embeddings in the browser." },
      { name: "pooling", label: "Pooling", kind: "select", value: "mean", choices: ["none", "cls", "mean"] },
      { name: "normalize", label: "Normalize (L2)", kind: "checkbox", value: true },
    ],
    texts: (v) => ({ text: String(v.text) }),
    input: (v) => v.text,
    options: (v) => ({ pooling: v.pooling, normalize: v.normalize }),
  },
];

let current: TaskSpec = TASKS[0]!;
const values = new Map<TaskName, Values>(
  TASKS.map((t) => [t.task, Object.fromEntries(t.fields.map((f) => [f.name, f.value]))]),
);

const tabs = $("task-tabs");
for (const t of TASKS)
  tabs.append(
    h(
      "button",
      {
        type: "button",
        role: "tab",
        "data-task": t.task,
        onclick: () => {
          current = t;
          renderTaskForm();
        },
      },
      t.title,
    ),
  );

function headNotice(spec: TaskSpec): HTMLElement | null {
  if (model === undefined || spec.task === "feature-extraction") return null;
  const needed = model.taskHeads[spec.head] ?? spec.head;
  if (model.architecture === needed) return null;
  return h(
    "p",
    { className: "notice", id: "head-notice" },
    `${spec.title} needs a ${needed} head; ${model.name} is a ${model.architecture} checkpoint, so this task cannot run on it. ` +
      "Load a folder with such a checkpoint (the fixtures under fixtures/models/base-like/<head>/, then the tokenizer folder fixtures/tokenizer).",
  );
}

function renderTaskForm(): void {
  for (const b of tabs.querySelectorAll("button"))
    b.setAttribute("aria-selected", String(b.dataset.task === current.task));
  const form = $("task-form") as HTMLFormElement;
  const v = values.get(current.task)!;
  const inline: HTMLElement[] = [];
  const blocks: HTMLElement[] = [];
  for (const f of current.fields) {
    const id = `field-${f.name}`;
    const onInput = (ev: Event) => {
      const el = ev.target as HTMLInputElement;
      v[f.name] = f.kind === "checkbox" ? el.checked : f.kind === "number" ? Number(el.value) : el.value;
      scheduleTokens();
    };
    if (f.kind === "textarea")
      blocks.push(
        h(
          "label",
          {},
          f.label,
          h("textarea", { id, name: f.name, rows: 3, value: String(v[f.name]), oninput: onInput }),
        ),
      );
    else if (f.kind === "text")
      blocks.push(
        h(
          "label",
          {},
          f.label,
          h("input", { id, name: f.name, type: "text", value: String(v[f.name]), oninput: onInput }),
        ),
      );
    else if (f.kind === "checkbox")
      inline.push(
        h(
          "label",
          {},
          h("input", { id, name: f.name, type: "checkbox", checked: Boolean(v[f.name]), onchange: onInput }),
          f.label,
        ),
      );
    else if (f.kind === "number")
      inline.push(
        h(
          "label",
          {},
          f.label,
          h("input", {
            id,
            name: f.name,
            type: "number",
            min: 1,
            max: 50,
            value: String(v[f.name]),
            oninput: onInput,
            style: { width: "4em" },
          }),
        ),
      );
    else
      inline.push(
        h(
          "label",
          {},
          f.label,
          h(
            "select",
            { id, name: f.name, onchange: onInput },
            (f.choices ?? []).map((c) => h("option", { value: c, selected: c === v[f.name] }, c)),
          ),
        ),
      );
  }
  const run = h("button", { id: "run", type: "submit", className: "primary" }, "Run");
  form.replaceChildren(
    headNotice(current) ?? "",
    ...blocks,
    h("div", { className: "inline" }, ...inline, run),
  );
  form.onsubmit = (ev) => {
    ev.preventDefault();
    void guarded(run, runTask);
  };
  $("result").replaceChildren();
  $("timing").textContent = "";
  scheduleTokens();
}

async function runTask(): Promise<void> {
  if (model === undefined) throw new Error("Load a model first (the demo model is one click away).");
  const spec = current;
  const v = values.get(spec.task)!;
  $("timing").textContent = "running…";
  const r = await client.request<RunResult>({
    type: "run",
    task: spec.task,
    input: spec.input(v),
    options: spec.options(v),
  });
  const timing = $("timing");
  timing.dataset.device = r.device;
  timing.dataset.ms = String(r.ms);
  timing.textContent = `${spec.task} on ${r.device}: ${fmt(r.ms, 1)} ms`;
  const input: Record<string, unknown> = { ...v };
  $("result").replaceChildren(renderResult(spec.task, r.output, input));
  $("result").dataset.task = spec.task;
}

// --------------------------------------------------------------------------------------------- tokens

let tokenTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleTokens(): void {
  clearTimeout(tokenTimer);
  tokenTimer = setTimeout(() => void showTokens(), 150);
}

async function showTokens(): Promise<void> {
  const root = $("tokens");
  if (model === undefined) {
    root.replaceChildren();
    return;
  }
  const { text, text_pair } = current.texts(values.get(current.task)!);
  let view: TokenView;
  try {
    view = await client.request<TokenView>({ type: "tokenize", text, ...(text_pair ? { text_pair } : {}) });
  } catch (e) {
    root.replaceChildren(h("p", { className: "muted" }, `Tokens: ${(e as Error).message}`));
    return;
  }
  const sources = [text, text_pair ?? ""];
  const textViews = sources.map((s, k) =>
    k === 1 && !text_pair ? null : h("div", { className: "textview", "data-sequence": k }, s),
  );
  const mark = (seq: number | null, start: number, end: number) => {
    textViews.forEach((tv, k) => {
      if (!tv) return;
      const s = sources[k]!;
      if (seq === k && end > start)
        tv.replaceChildren(s.slice(0, start), h("mark", {}, s.slice(start, end)), s.slice(end));
      else tv.replaceChildren(s);
    });
  };
  const chips = view.tokens.map((t, i) =>
    h(
      "span",
      {
        className: `tok${t.special ? " special" : ""}${t.sequence === 1 ? " pair" : ""}`,
        title: `#${i} id ${t.id}${t.special ? " (special)" : ""} chars ${t.start}–${t.end}`,
        "data-index": i,
        "data-start": t.start,
        "data-end": t.end,
        onmouseenter: (ev: Event) => {
          (ev.currentTarget as HTMLElement).classList.add("hover");
          mark(t.sequence, t.start, t.end);
        },
        onmouseleave: (ev: Event) => {
          (ev.currentTarget as HTMLElement).classList.remove("hover");
          mark(null, 0, 0);
        },
      },
      h("span", {}, t.token),
      h("span", { className: "id" }, String(t.id)),
    ),
  );
  root.replaceChildren(
    h(
      "div",
      { className: "muted", style: { width: "100%" } },
      `${view.tokens.length} tokens (special tokens in purple, the pair in green; hover one to see its characters)`,
    ),
    ...chips,
    h("div", { style: { width: "100%" } }, ...textViews.filter(Boolean)),
  );
}

// ------------------------------------------------------------------------------------------ attention

let exporter: Exporter | undefined;
const attentionButton = $("attention-run") as HTMLButtonElement;
attentionButton.addEventListener("click", () =>
  guarded(attentionButton, async () => {
    if (model === undefined) throw new Error("Load a model first (the demo model is one click away).");
    const { text, text_pair } = current.texts(values.get(current.task)!);
    const a = await client.request<AttentionResult>({
      type: "attention",
      text,
      ...(text_pair ? { text_pair } : {}),
    });
    const timing = $("attention-timing");
    timing.dataset.device = a.device;
    timing.textContent = `forward with attentions on ${a.device}: ${fmt(a.ms, 1)} ms; ${a.layers} layers × ${a.heads} heads, ${a.length} tokens${
      a.terms ? "" : " (no score terms came back: the score split is hidden)"
    }`;
    renderAttention($("attention-view"), a, (x) => {
      exporter = x;
    });
    ($("attention-png") as HTMLButtonElement).disabled = false;
    ($("attention-json") as HTMLButtonElement).disabled = false;
  }),
);

function download(blob: Blob, name: string): void {
  const a = h("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
$("attention-png").addEventListener("click", () =>
  guarded(null, async () => download(await exporter!.png(), "attention.png")),
);
$("attention-json").addEventListener("click", () =>
  guarded(null, async () =>
    download(new Blob([exporter!.json()], { type: "application/json" }), "attention.json"),
  ),
);

// ------------------------------------------------------------------------------------------------ start

renderTaskForm();
void guarded(null, probeDevices).then(() => {
  document.body.dataset.ready = "true";
});
