// Drives the BUILT playground (dist/, served on 127.0.0.1 with COOP/COEP by scripts/serve.mjs) in headless
// Chromium through playwright-core (the system /usr/bin/chromium: no browser download), once with WebGPU
// (--enable-unsafe-webgpu: SwiftShader without a GPU) and once without it (the CPU backend's WebAssembly
// engine), and checks what the page shows against the Node pipeline on the same model and input.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createCpuBackend } from "@deberta/backend-cpu";
import { DebertaForSequenceClassification } from "@deberta/heads";
import { pipeline } from "@deberta/pipelines";
import type { Tensor } from "@deberta/tensor";
import { modelsDir } from "@deberta/testing";
import { DebertaTokenizer } from "@deberta/tokenizer";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without type declarations.
import { startServer } from "../scripts/serve.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const DEMO = path.resolve(here, "../../../examples/demo-model");
const SHOTS = path.resolve(here, "../test-results/screenshots");
const CHROMIUM = "/usr/bin/chromium";
const BASE_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];
// The page's default text-classification input (main.ts).
const TEXT = "A soccer game with multiple males playing.";
const PAIR = "Some men are playing a sport.";

let server: { url: string; close: () => Promise<void> };
let expected: { label: string; score: number }[];
let expectedAttention: { data: Float32Array; dims: number[] }[];

beforeAll(async () => {
  server = await startServer({ port: 0 });
  mkdirSync(SHOTS, { recursive: true });
  const backend = await createCpuBackend();
  const classify = await pipeline("text-classification", DEMO, { backend });
  expected = (await classify({ text: TEXT, text_pair: PAIR }, { top_k: null })) as unknown as {
    label: string;
    score: number;
  }[];
  classify.dispose();
  const tokenizer = await DebertaTokenizer.from_pretrained(DEMO);
  const model = await DebertaForSequenceClassification.from_pretrained(DEMO, { backend });
  const enc = tokenizer(TEXT, { text_pair: PAIR, truncation: true, return_tensor: true });
  const out = await model({
    input_ids: enc.input_ids as Tensor,
    attention_mask: enc.attention_mask as Tensor,
    token_type_ids: enc.token_type_ids as Tensor,
    output_attentions: true,
  });
  expectedAttention = (out.attentions ?? []).map((t) => ({
    data: t.data as Float32Array,
    dims: [...t.dims],
  }));
  model.dispose();
  backend.close();
});

afterAll(async () => {
  await server?.close();
});

async function openPage(webgpu: boolean): Promise<{ page: Page; close: () => Promise<void> }> {
  const profile = mkdtempSync(path.join(tmpdir(), "playground-chromium-"));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: false,
    args: webgpu ? [...BASE_ARGS, "--enable-unsafe-webgpu"] : BASE_ARGS,
    viewport: { width: 1280, height: 1000 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => console.error(`[chromium pageerror] ${e.stack ?? e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") console.error(`[chromium console] ${m.text()}`);
  });
  await page.goto(server.url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 120_000 });
  return {
    page,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

async function pageError(page: Page): Promise<string> {
  return page.$eval("#error", (e) => ((e as HTMLElement).hidden ? "" : (e.textContent ?? "")));
}

async function loadDemo(page: Page): Promise<void> {
  await page.click("#load-demo");
  await page.waitForSelector("#model-name, #error:not([hidden])", { timeout: 120_000 });
  expect(await pageError(page)).toBe("");
}

async function runClassification(page: Page): Promise<{ label: string; score: number }[]> {
  await page.click('#task-tabs button[data-task="text-classification"]');
  await page.click("#run");
  await page.waitForFunction(
    () =>
      /ms$/.test(document.querySelector("#timing")?.textContent ?? "") ||
      !(document.querySelector("#error") as HTMLElement).hidden,
    null,
    { timeout: 120_000 },
  );
  expect(await pageError(page)).toBe("");
  return page.$$eval("#result .bar", (bars) =>
    bars.map((b) => ({
      label: (b as HTMLElement).dataset.label ?? "",
      score: Number((b as HTMLElement).dataset.score),
    })),
  );
}

function expectScores(shown: { label: string; score: number }[]): void {
  expect(shown.map((s) => s.label)).toEqual(expected.map((s) => s.label));
  for (const [i, s] of shown.entries()) expect(s.score).toBeCloseTo(expected[i]!.score, 4);
}

describe("playground, WebGPU", () => {
  let page: Page;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ page, close } = await openPage(true));
  });
  afterAll(async () => close?.());

  it("picks WebGPU, loads the demo model and shows the Node pipeline's scores", async () => {
    expect(await page.$eval("body", (b) => b.dataset.device)).toBe("webgpu");
    expect(await page.textContent("#device-info")).toContain("Cross-origin isolated: yes");
    await loadDemo(page);
    const shown = await runClassification(page);
    expect(await page.$eval("#timing", (t) => (t as HTMLElement).dataset.device)).toMatch(/^WebGPU f32/);
    expectScores(shown);
    // The tokens under the input: special tokens marked, ids shown.
    const tokens = await page.$$eval(".tok", (ts) => ts.map((t) => t.className));
    expect(tokens.length).toBeGreaterThan(4);
    expect(tokens[0]).toContain("special");
    await page.screenshot({ path: path.join(SHOTS, "classification-webgpu.png"), fullPage: true });
  });

  it("draws the attention explorer and shows the model's attention on hover", async () => {
    await page.click("#attention-run");
    await page.waitForSelector("#attention-head, #error:not([hidden])", { timeout: 120_000 });
    expect(await pageError(page)).toBe("");
    // A heatmap of the grid is drawn (not one colour).
    const distinct = await page.$eval("#attention-grid canvas", (c) => {
      const canvas = c as HTMLCanvasElement;
      const d = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      const colours = new Set<number>();
      for (let i = 0; i < d.length; i += 4) colours.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
      return colours.size;
    });
    expect(distinct).toBeGreaterThan(3);
    const geometry = await page.$eval("#attention-head", (c) => {
      const canvas = c as HTMLCanvasElement;
      canvas.scrollIntoView({ block: "center" });
      const r = canvas.getBoundingClientRect();
      return {
        x: r.left,
        y: r.top,
        scale: r.width / canvas.width,
        origin: Number(canvas.dataset.origin),
        cell: Number(canvas.dataset.cell),
        length: Number(canvas.dataset.length),
        layer: Number(canvas.dataset.layer),
        head: Number(canvas.dataset.head),
      };
    });
    const [query, key] = [2, 5];
    await page.mouse.move(
      geometry.x + (geometry.origin + (key + 0.5) * geometry.cell) * geometry.scale,
      geometry.y + (geometry.origin + (query + 0.5) * geometry.cell) * geometry.scale,
    );
    const hovered = await page.$eval("#attention-hover", (e) => ({ ...(e as HTMLElement).dataset }));
    expect(Number(hovered.query)).toBe(query);
    expect(Number(hovered.key)).toBe(key);
    const layer = expectedAttention[geometry.layer]!;
    const L = layer.dims[3]!;
    expect(L).toBe(geometry.length);
    const want = layer.data[(geometry.head * L + query) * L + key]!;
    expect(Number(hovered.value)).toBeCloseTo(want, 4);
    await page.screenshot({ path: path.join(SHOTS, "attention-webgpu.png"), fullPage: true });
  });

  it("says clearly when the loaded checkpoint lacks the task's head", async () => {
    await page.click('#task-tabs button[data-task="fill-mask"]');
    expect(await page.textContent("#head-notice")).toContain("needs a DebertaForMaskedLM head");
    await page.click("#run");
    await page.waitForSelector("#error:not([hidden])", { timeout: 120_000 });
    expect(await pageError(page)).toContain("has no DebertaForMaskedLM head");
    await page.screenshot({ path: path.join(SHOTS, "missing-head.png"), fullPage: true });
  });
});

// The tiny fixture checkpoints of every head (outside the repository; CI has them): the other tasks, loaded
// through the folder picker as a user would.
const FIXTURE_HEADS = path.join(modelsDir(), "base-like");
const haveFixtures = existsSync(path.join(FIXTURE_HEADS, "qa", "config.json"));

describe.skipIf(!haveFixtures)("playground, other heads from a local folder (CPU)", () => {
  let page: Page;
  let close: () => Promise<void>;
  let backend: Awaited<ReturnType<typeof createCpuBackend>>;
  beforeAll(async () => {
    ({ page, close } = await openPage(false));
    backend = await createCpuBackend();
  });
  afterAll(async () => {
    await close?.();
    backend?.close();
  });

  async function pickFolder(name: string): Promise<void> {
    await page.setInputFiles("#folder-input", path.join(FIXTURE_HEADS, name));
    await page.waitForFunction((n) => document.querySelector("#model-name")?.textContent === n, name, {
      timeout: 120_000,
    });
    expect(await pageError(page)).toBe("");
  }

  async function run(task: string): Promise<void> {
    await page.click(`#task-tabs button[data-task="${task}"]`);
    await page.click("#run");
    await page.waitForFunction(
      () =>
        /ms$/.test(document.querySelector("#timing")?.textContent ?? "") ||
        !(document.querySelector("#error") as HTMLElement).hidden,
      null,
      { timeout: 120_000 },
    );
    expect(await pageError(page)).toBe("");
  }

  it("question answering: the answer span highlighted in the context is the Node pipeline's", async () => {
    await pickFolder("qa");
    await run("question-answering");
    const answer = await pipeline("question-answering", path.join(FIXTURE_HEADS, "qa"), { backend });
    const want = (await answer(
      { question: "Where do I live?", context: "My name is Wolfgang and I live in Berlin." },
      { top_k: 3 },
    )) as unknown as { start: number; end: number }[];
    answer.dispose();
    const mark = await page.$eval("#result mark", (m) => ({ ...(m as HTMLElement).dataset }));
    expect([Number(mark.start), Number(mark.end)]).toEqual([want[0]!.start, want[0]!.end]);
    await page.screenshot({ path: path.join(SHOTS, "question-answering.png"), fullPage: true });
  });

  it("token classification: entities highlighted as the Node pipeline groups them", async () => {
    await pickFolder("tokcls");
    await run("token-classification");
    const ner = await pipeline("token-classification", path.join(FIXTURE_HEADS, "tokcls"), { backend });
    const want = (await ner("My name is Wolfgang and I live in Berlin.", {
      aggregation_strategy: "simple",
    })) as unknown as { start: number; end: number }[];
    ner.dispose();
    const rows = await page.$$eval("#result tr", (r) => r.length - 1);
    expect(rows).toBe(want.length);
    await page.screenshot({ path: path.join(SHOTS, "token-classification.png"), fullPage: true });
  });

  it("fill-mask: the candidates are the Node pipeline's", async () => {
    await pickFolder("mlm");
    await run("fill-mask");
    const unmask = await pipeline("fill-mask", path.join(FIXTURE_HEADS, "mlm"), { backend });
    const want = (await unmask("The capital of France is [MASK].", { top_k: 5 })) as unknown as {
      token_str: string;
      score: number;
    }[];
    unmask.dispose();
    const shown = await page.$$eval("#result .bar", (bars) =>
      bars.map((b) => ({
        label: (b as HTMLElement).dataset.label,
        score: Number((b as HTMLElement).dataset.score),
      })),
    );
    expect(shown.map((s) => s.label)).toEqual(want.map((w) => w.token_str));
    for (const [i, s] of shown.entries()) expect(s.score).toBeCloseTo(want[i]!.score, 4);
    await page.screenshot({ path: path.join(SHOTS, "fill-mask.png"), fullPage: true });
  });
});

describe("playground, CPU fallback (no WebGPU)", () => {
  let page: Page;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ page, close } = await openPage(false));
  });
  afterAll(async () => close?.());

  it("falls back to the WebAssembly CPU backend and shows the Node pipeline's scores", async () => {
    expect(await page.$eval("body", (b) => b.dataset.device)).toBe("cpu");
    expect(await page.textContent("#device-info")).toContain("No WebGPU");
    await loadDemo(page);
    const shown = await runClassification(page);
    expect(await page.$eval("#timing", (t) => (t as HTMLElement).dataset.device)).toMatch(/^CPU \(wasm/);
    expectScores(shown);
    await page.screenshot({ path: path.join(SHOTS, "classification-cpu.png"), fullPage: true });
  });
});
