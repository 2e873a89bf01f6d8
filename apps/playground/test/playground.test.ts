// Drives the BUILT playground (dist/, served on 127.0.0.1 with COOP/COEP by scripts/serve.mjs) in headless
// Chromium through playwright-core (the system /usr/bin/chromium: no browser download), once with WebGPU
// (--enable-unsafe-webgpu: SwiftShader without a GPU) and once without it (the CPU backend's WebAssembly
// engine), and checks every number the page shows against the Node pipelines on the same model and input.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createCpuBackend } from "@deberta/backend-cpu";
import { DebertaForSequenceClassification, DebertaModel } from "@deberta/heads";
import { pipeline } from "@deberta/pipelines";
import type { Tensor } from "@deberta/tensor";
import { fixturesDir, modelsDir } from "@deberta/testing";
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
// The page's default inputs (main.ts).
const TEXT = "A soccer game with multiple males playing.";
const PAIR = "Some men are playing a sport.";
const ZS_TEXT = "One day I will see the world.";
const ZS_LABELS = "travel, cooking, dancing";
const ZS_TEMPLATE = "This example is {}.";
const FE_TEXT = "Sentence embeddings in the browser.";
const QUESTION = "Where do I live?";
const CONTEXT = "My name is Wolfgang and I live in Berlin.";
const MASKED = "The capital of France is [MASK].";

// The tiny fixture checkpoints of every head (outside the repository; CI has them).
const FIXTURE_HEADS = path.join(modelsDir(), "base-like");
const haveFixtures = existsSync(path.join(FIXTURE_HEADS, "qa", "config.json"));
// A DeBERTa-v3-like NLI checkpoint and the SentencePiece tokenizer of the fixtures.
const V3_SEQCLS = path.join(fixturesDir(), "deberta-v2", "models", "v3-like", "ForSequenceClassification");
const V2_SPM = path.join(fixturesDir(), "deberta-v2", "tokenizer-spm");
const haveV2Fixtures =
  existsSync(path.join(V3_SEQCLS, "config.json")) && existsSync(path.join(V2_SPM, "spm.model"));

interface Scored {
  label: string;
  score: number;
}
interface Entity {
  entity: string;
  word: string;
  score: number;
  start: number;
  end: number;
}

/** What the Node pipelines give on the page's inputs (CPU backend in Node). */
const want = {} as {
  classification: Scored[];
  /** The v3-like NLI checkpoint with the SentencePiece tokenizer, on the page's default text pair. */
  v3Classification?: Scored[];
  zeroShot: Scored[];
  zeroShotMulti: Scored[];
  featuresMean: { dims: number[]; data: Float32Array };
  featuresCls: { dims: number[]; data: Float32Array };
  attention: { data: Float32Array; dims: number[] }[];
  qa?: { answers: Scored[]; start: number; end: number };
  fillMask?: Scored[];
  entities?: Entity[];
  entitiesFirst?: Entity[];
  /** base-like/model: every layer's terms, on the page's default text pair. */
  terms?: { c2c: Tensor; c2p?: Tensor; p2c?: Tensor }[];
};

let server: { url: string; close: () => Promise<void> };

async function openPage(
  webgpu: boolean,
  viewport = { width: 1280, height: 800 },
): Promise<{ page: Page; close: () => Promise<void> }> {
  const profile = mkdtempSync(path.join(tmpdir(), "playground-chromium-"));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: false,
    args: webgpu ? [...BASE_ARGS, "--enable-unsafe-webgpu"] : BASE_ARGS,
    viewport,
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
  await page.waitForFunction(
    () => document.querySelector("#model-name")?.textContent === "demo-model",
    null,
    {
      timeout: 120_000,
    },
  );
  expect(await pageError(page)).toBe("");
}

/** Loads a folder through the folder picker, as a user would; waits for the model (or tokenizer) to load. */
async function pickFolder(page: Page, folder: string, name: string): Promise<void> {
  await page.$eval("#status", (s) => {
    s.textContent = "";
  });
  await page.$eval("#error", (e) => {
    (e as HTMLElement).hidden = true;
  });
  await page.setInputFiles("#folder-input", folder);
  await page.waitForFunction(
    (n) =>
      (document.querySelector("#model-name")?.textContent === n &&
        /^(Loaded|Added)/.test(document.querySelector("#status")?.textContent ?? "")) ||
      !(document.querySelector("#error") as HTMLElement).hidden,
    name,
    { timeout: 120_000 },
  );
  expect(await pageError(page)).toBe("");
}

async function runTask(page: Page, task: string, fill: (page: Page) => Promise<void> = async () => {}) {
  await page.click(`#task-tabs button[data-task="${task}"]`);
  await fill(page);
  await page.$eval("#timing", (t) => {
    t.textContent = "";
  });
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

async function shownBars(page: Page): Promise<Scored[]> {
  return page.$$eval("#result .bar", (bars) =>
    bars.map((b) => ({
      label: (b as HTMLElement).dataset.label ?? "",
      score: Number((b as HTMLElement).dataset.score),
    })),
  );
}

function expectScores(shown: Scored[], expected: Scored[]): void {
  expect(shown.map((s) => s.label)).toEqual(expected.map((s) => s.label));
  for (const [i, s] of shown.entries()) expect(s.score).toBeCloseTo(expected[i]!.score, 4);
}

async function shownVector(page: Page): Promise<{ dims: number[]; data: number[] }> {
  return page.$eval("#result pre.vector", (p) => ({
    dims: ((p as HTMLElement).dataset.dims ?? "").split(",").map(Number),
    data: (p.textContent ?? "").trim().split(/\s+/).map(Number),
  }));
}

function expectVector(shown: { dims: number[]; data: number[] }, expected: typeof want.featuresMean) {
  expect(shown.dims).toEqual(expected.dims);
  expect(shown.data.length).toBe(Math.min(4096, expected.data.length));
  for (const [i, x] of shown.data.entries()) expect(x).toBeCloseTo(expected.data[i]!, 4);
}

async function shownEntities(page: Page): Promise<Entity[]> {
  return page.$$eval("#result tr.entity", (rows) =>
    rows.map((r) => {
      const d = (r as HTMLElement).dataset;
      return {
        entity: d.entity ?? "",
        word: d.word ?? "",
        score: Number(d.score),
        start: Number(d.start),
        end: Number(d.end),
      };
    }),
  );
}

function expectEntities(shown: Entity[], expected: Entity[]): void {
  expect(shown.map(({ entity, word, start, end }) => ({ entity, word, start, end }))).toEqual(
    expected.map(({ entity, word, start, end }) => ({ entity, word, start, end })),
  );
  for (const [i, e] of shown.entries()) expect(e.score).toBeCloseTo(expected[i]!.score, 4);
}

/** Moves the pointer to the centre of cell (query, key) of a heatmap canvas whose cells start at `origin`. */
async function hoverCell(
  page: Page,
  selector: string,
  query: number,
  key: number,
  origin = 0,
  cell?: number,
) {
  const g = await page.$eval(selector, (c) => {
    const canvas = c as HTMLCanvasElement;
    canvas.scrollIntoView({ block: "center" });
    const r = canvas.getBoundingClientRect();
    return { x: r.left, y: r.top, scale: r.width / canvas.width, cell: Number(canvas.dataset.cell) };
  });
  const size = cell ?? g.cell;
  await page.mouse.move(
    g.x + (origin + (key + 0.5) * size) * g.scale,
    g.y + (origin + (query + 0.5) * size) * g.scale,
  );
}

async function runAttention(page: Page): Promise<void> {
  await page.$eval("#attention-timing", (t) => {
    t.textContent = "";
  });
  await page.click("#attention-run");
  await page.waitForFunction(
    () =>
      /ms/.test(document.querySelector("#attention-timing")?.textContent ?? "") ||
      !(document.querySelector("#error") as HTMLElement).hidden,
    null,
    { timeout: 120_000 },
  );
  expect(await pageError(page)).toBe("");
}

const hasChromium = existsSync(CHROMIUM);
// CI installs chromium (.ci/run), so there a missing one is a broken setup, not a reason to skip.
const skip = !hasChromium && !process.env.CI;

describe.skipIf(skip)(
  skip
    ? `the playground in headless Chromium — skipped: ${CHROMIUM} is not installed`
    : "the playground in headless Chromium",
  () => {
    beforeAll(async () => {
      server = await startServer({ port: 0 });
      mkdirSync(SHOTS, { recursive: true });
      const backend = await createCpuBackend();
      try {
        const classify = await pipeline("text-classification", DEMO, { backend });
        want.classification = (await classify({ text: TEXT, text_pair: PAIR }, { top_k: null })) as never;
        classify.dispose();

        const zeroShot = await pipeline("zero-shot-classification", DEMO, { backend });
        for (const multi_label of [false, true]) {
          const r = await zeroShot(ZS_TEXT, ZS_LABELS, { multi_label, hypothesis_template: ZS_TEMPLATE });
          const scored = r.labels.map((label, i) => ({ label, score: r.scores[i]! }));
          if (multi_label) want.zeroShotMulti = scored;
          else want.zeroShot = scored;
        }
        zeroShot.dispose();

        const features = await pipeline("feature-extraction", DEMO, { backend });
        for (const [pooling, normalize] of [
          ["mean", true],
          ["cls", false],
        ] as const) {
          const t = (await features(FE_TEXT, {
            pooling,
            normalize,
            return_tensor: true,
          })) as unknown as Tensor;
          const v = { dims: [...t.dims], data: Float32Array.from(t.data as Float32Array) };
          if (pooling === "mean") want.featuresMean = v;
          else want.featuresCls = v;
        }
        features.dispose();

        const tokenizer = await DebertaTokenizer.from_pretrained(DEMO);
        const model = await DebertaForSequenceClassification.from_pretrained(DEMO, { backend });
        const enc = tokenizer(TEXT, { text_pair: PAIR, truncation: true, return_tensor: true });
        const out = await model({
          input_ids: enc.input_ids as Tensor,
          attention_mask: enc.attention_mask as Tensor,
          token_type_ids: enc.token_type_ids as Tensor,
          output_attentions: true,
        });
        want.attention = (out.attentions ?? []).map((t) => ({
          data: t.data as Float32Array,
          dims: [...t.dims],
        }));
        model.dispose();

        if (haveV2Fixtures) {
          const v3 = await pipeline("text-classification", V3_SEQCLS, { backend, tokenizer: V2_SPM });
          want.v3Classification = (await v3({ text: TEXT, text_pair: PAIR }, { top_k: null })) as never;
          v3.dispose();
        }

        if (!haveFixtures) return;
        const answer = await pipeline("question-answering", path.join(FIXTURE_HEADS, "qa"), { backend });
        const answers = (await answer({ question: QUESTION, context: CONTEXT }, { top_k: 3 })) as unknown as {
          answer: string;
          score: number;
          start: number;
          end: number;
        }[];
        answer.dispose();
        want.qa = {
          answers: answers.map((a) => ({ label: JSON.stringify(a.answer), score: a.score })),
          start: answers[0]!.start,
          end: answers[0]!.end,
        };

        const unmask = await pipeline("fill-mask", path.join(FIXTURE_HEADS, "mlm"), { backend });
        const candidates = (await unmask(MASKED, { top_k: 5 })) as unknown as {
          token_str: string;
          score: number;
        }[];
        want.fillMask = candidates.map((c) => ({ label: c.token_str, score: c.score }));
        unmask.dispose();

        const ner = await pipeline("token-classification", path.join(FIXTURE_HEADS, "tokcls"), { backend });
        for (const aggregation_strategy of ["simple", "first"] as const) {
          const entities = (await ner(CONTEXT, { aggregation_strategy })) as unknown as {
            entity_group: string;
            word: string;
            score: number;
            start: number;
            end: number;
          }[];
          const rows = entities.map((e) => ({ ...e, entity: e.entity_group }));
          if (aggregation_strategy === "simple") want.entities = rows;
          else want.entitiesFirst = rows;
        }
        ner.dispose();

        // The score terms of the checkpoint with both c2p and p2c, on the text the attention explorer shows.
        const base = path.join(FIXTURE_HEADS, "model");
        const baseTokenizer = await DebertaTokenizer.from_pretrained(base);
        const encoder = await DebertaModel.from_pretrained(base, { backend });
        const e = baseTokenizer(TEXT, { text_pair: PAIR, truncation: true, return_tensor: true });
        const terms = await encoder({
          input_ids: e.input_ids as Tensor,
          attention_mask: e.attention_mask as Tensor,
          token_type_ids: e.token_type_ids as Tensor,
          output_attention_terms: true,
        });
        want.terms = terms.attention_terms;
        encoder.dispose();
      } finally {
        backend.close();
      }
    });

    afterAll(async () => {
      await server?.close();
    });

    const DEVICES = [
      {
        name: "WebGPU",
        webgpu: true,
        device: "webgpu",
        label: /^WebGPU f32/,
        info: "Cross-origin isolated: yes",
      },
      {
        name: "CPU fallback (no WebGPU)",
        webgpu: false,
        device: "cpu",
        label: /^CPU \(wasm/,
        info: "No WebGPU",
      },
    ] as const;

    for (const d of DEVICES) {
      const tag = d.webgpu ? "webgpu" : "cpu";
      describe(`playground, ${d.name}`, () => {
        let page: Page;
        let close: () => Promise<void>;
        beforeAll(async () => {
          ({ page, close } = await openPage(d.webgpu));
        });
        afterAll(async () => close?.());

        it("picks its device, loads the demo model and shows the Node pipeline's classification scores", async () => {
          expect(await page.$eval("body", (b) => b.dataset.device)).toBe(d.device);
          expect(await page.textContent("#device-info")).toContain(d.info);
          await loadDemo(page);
          await runTask(page, "text-classification");
          expect(await page.$eval("#timing", (t) => (t as HTMLElement).dataset.device)).toMatch(d.label);
          expectScores(await shownBars(page), want.classification);
          // The tokens under the input (drawn 150 ms after the last edit): special tokens marked, ids shown.
          await page.waitForSelector("#tokens .tok", { timeout: 120_000 });
          const tokens = await page.$$eval(".tok", (ts) => ts.map((t) => t.className));
          expect(tokens.length).toBeGreaterThan(4);
          expect(tokens[0]).toContain("special");
          await page.screenshot({ path: path.join(SHOTS, `classification-${tag}.png`), fullPage: true });
        });

        it("zero-shot classification, single- and multi-label: the Node pipeline's scores", async () => {
          await runTask(page, "zero-shot-classification", async (p) => {
            await p.uncheck("#field-multi_label");
          });
          expectScores(await shownBars(page), want.zeroShot);
          await runTask(page, "zero-shot-classification", async (p) => {
            await p.check("#field-multi_label");
          });
          expectScores(await shownBars(page), want.zeroShotMulti);
          await page.screenshot({ path: path.join(SHOTS, `zero-shot-${tag}.png`), fullPage: true });
        });

        it("feature extraction with mean pooling + normalize, and CLS pooling without: the Node vectors", async () => {
          await runTask(page, "feature-extraction", async (p) => {
            await p.selectOption("#field-pooling", "mean");
            await p.check("#field-normalize");
          });
          expectVector(await shownVector(page), want.featuresMean);
          await runTask(page, "feature-extraction", async (p) => {
            await p.selectOption("#field-pooling", "cls");
            await p.uncheck("#field-normalize");
          });
          expectVector(await shownVector(page), want.featuresCls);
        });

        it("draws the attention explorer and shows the model's attention on hover", async () => {
          await page.click('#task-tabs button[data-task="text-classification"]');
          await runAttention(page);
          // A heatmap of the grid is drawn (not one colour).
          const distinct = await page.$eval("#attention-grid canvas", (c) => {
            const canvas = c as HTMLCanvasElement;
            const px = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
            const colours = new Set<number>();
            for (let i = 0; i < px.length; i += 4)
              colours.add((px[i]! << 16) | (px[i + 1]! << 8) | px[i + 2]!);
            return colours.size;
          });
          expect(distinct).toBeGreaterThan(3);
          const g = await page.$eval("#attention-head", (c) => ({ ...(c as HTMLElement).dataset }));
          const [query, key] = [2, 5];
          await hoverCell(page, "#attention-head", query, key, Number(g.origin), Number(g.cell));
          const hovered = await page.$eval("#attention-hover", (e) => ({ ...(e as HTMLElement).dataset }));
          expect([Number(hovered.query), Number(hovered.key)]).toEqual([query, key]);
          const layer = want.attention[Number(g.layer)]!;
          const L = layer.dims[3]!;
          expect(L).toBe(Number(g.length));
          expect(Number(hovered.value)).toBeCloseTo(layer.data[(Number(g.head) * L + query) * L + key]!, 4);
          await page.screenshot({ path: path.join(SHOTS, `attention-${tag}.png`), fullPage: true });
        });

        it("says clearly when the loaded checkpoint lacks the task's head", async () => {
          await page.click('#task-tabs button[data-task="fill-mask"]');
          expect(await page.textContent("#head-notice")).toContain("needs a DebertaForMaskedLM head");
          await page.click("#run");
          await page.waitForSelector("#error:not([hidden])", { timeout: 120_000 });
          expect(await pageError(page)).toContain("has no DebertaForMaskedLM head");
        });

        describe.skipIf(!haveFixtures)("the other heads, from local folders (fixtures)", () => {
          it("question answering: the answer span and scores are the Node pipeline's", async () => {
            await pickFolder(page, path.join(FIXTURE_HEADS, "qa"), "qa");
            await runTask(page, "question-answering");
            const mark = await page.$eval("#result mark", (m) => ({ ...(m as HTMLElement).dataset }));
            expect([Number(mark.start), Number(mark.end)]).toEqual([want.qa!.start, want.qa!.end]);
            expectScores(await shownBars(page), want.qa!.answers);
            await page.screenshot({
              path: path.join(SHOTS, `question-answering-${tag}.png`),
              fullPage: true,
            });
          });

          it("token classification (simple and first aggregation): the Node pipeline's entities", async () => {
            await pickFolder(page, path.join(FIXTURE_HEADS, "tokcls"), "tokcls");
            await runTask(page, "token-classification", async (p) => {
              await p.selectOption("#field-aggregation_strategy", "simple");
            });
            expect(want.entities!.length).toBeGreaterThan(0);
            expectEntities(await shownEntities(page), want.entities!);
            await page.screenshot({
              path: path.join(SHOTS, `token-classification-${tag}.png`),
              fullPage: true,
            });
            await runTask(page, "token-classification", async (p) => {
              await p.selectOption("#field-aggregation_strategy", "first");
            });
            expectEntities(await shownEntities(page), want.entitiesFirst!);
          });

          it("fill-mask: the candidates and scores are the Node pipeline's", async () => {
            await pickFolder(page, path.join(FIXTURE_HEADS, "mlm"), "mlm");
            await runTask(page, "fill-mask");
            expectScores(await shownBars(page), want.fillMask!);
            await page.screenshot({ path: path.join(SHOTS, `fill-mask-${tag}.png`), fullPage: true });
          });

          it("score split of a checkpoint with c2p and p2c: three terms, shares, and the Node model's term on hover", async () => {
            await pickFolder(page, path.join(FIXTURE_HEADS, "model"), "model");
            await page.click('#task-tabs button[data-task="text-classification"]');
            await runAttention(page);
            const figures = await page.$$eval("#score-split figure", (fs) =>
              fs.map((f) => ({ ...(f as HTMLElement).dataset })),
            );
            expect(figures.map((f) => f.term)).toEqual(["c2c", "c2p", "p2c"]);
            expect(figures.every((f) => f.missing === undefined)).toBe(true);
            const shares = figures.map((f) => Number(f.share));
            for (const s of shares) expect(s).toBeGreaterThan(0);
            expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
            const g = await page.$eval("#attention-head", (c) => ({ ...(c as HTMLElement).dataset }));
            for (const term of ["c2c", "c2p", "p2c"] as const) {
              const [query, key] = term === "c2p" ? [3, 1] : [1, 4];
              await hoverCell(page, `#score-split canvas[data-term="${term}"]`, query, key);
              const shown = await page.$eval("#term-hover", (e) => ({ ...(e as HTMLElement).dataset }));
              expect(shown.term).toBe(term);
              expect([shown.layer, shown.head, shown.query, shown.key].map(Number)).toEqual([
                Number(g.layer),
                Number(g.head),
                query,
                key,
              ]);
              const t = want.terms![Number(g.layer)]![term]!;
              const L = t.dims[3]!;
              const value = (t.data as Float32Array)[(Number(g.head) * L + query) * L + key]!;
              expect(Number(shown.value)).toBeCloseTo(value, 4);
            }
            await page.screenshot({ path: path.join(SHOTS, `score-split-${tag}.png`), fullPage: true });
          });

          it("score split of the p2c-only checkpoint: says there is no c2p", async () => {
            await pickFolder(page, path.join(modelsDir(), "p2c-only", "model"), "model");
            await pickFolder(page, path.join(fixturesDir(), "tokenizer"), "model");
            await runAttention(page);
            const figures = await page.$$eval("#score-split figure", (fs) =>
              fs.map((f) => ({
                term: (f as HTMLElement).dataset.term,
                missing: (f as HTMLElement).dataset.missing,
              })),
            );
            expect(figures).toEqual([
              { term: "c2c", missing: undefined },
              { term: "c2p", missing: "true" },
              { term: "p2c", missing: undefined },
            ]);
            expect(await page.textContent('#score-split figure[data-term="c2p"]')).toContain("No c2p");
          });
        });
      });
    }

    // The loopback test Hub of @deberta/hub (its test-only server, imported from source: it is not part of the
    // package build), with CORS headers so that the page on another port may fetch from it.
    interface TestHub {
      readonly url: string;
      faults: { kind: "slow"; file: string; chunkBytes: number; delayMs: number }[];
      readonly requests: { method: string; path: string; file: string | undefined }[];
      close(): Promise<void>;
    }
    interface TestHubModule {
      HubTestServer: {
        start(options: {
          repos: Record<string, { files: Record<string, Uint8Array> }>;
          cors: boolean;
        }): Promise<TestHub>;
      };
      readFolder(dir: string): Record<string, Uint8Array>;
    }
    const testHubSource = path.resolve(here, "../../../packages/hub/src/hub-test-server.ts");

    describe("playground, Hub models and Cancel (CPU)", () => {
      let hub: TestHub;
      let page: Page;
      let close: () => Promise<void>;
      beforeAll(async () => {
        const { HubTestServer, readFolder } = (await import(
          /* @vite-ignore */ testHubSource
        )) as TestHubModule;
        const files = readFolder(DEMO);
        // A DeBERTa-v3 repository as microsoft/deberta-v3-* lay theirs out: spm.model, no tokenizer.json.
        const v3 = readFolder(V3_SEQCLS);
        const spm = readFolder(V2_SPM);
        const v3Files = {
          "config.json": v3["config.json"]!,
          "model.safetensors": v3["model.safetensors"]!,
          "spm.model": spm["spm.model"]!,
          "tokenizer_config.json": spm["tokenizer_config.json"]!,
        };
        hub = await HubTestServer.start({
          repos: {
            "acme/tiny-nli": { files },
            "acme/slow-nli": { files },
            "acme/tiny-v3-nli": { files: v3Files },
          },
          cors: true,
        });
        ({ page, close } = await openPage(false));
      });
      afterAll(async () => {
        await close?.();
        await hub?.close();
      });

      const modelFileRequests = () => hub.requests.filter((r) => r.file !== undefined);

      async function loadFromHub(repo: string, done: RegExp): Promise<void> {
        await page.fill("#hub-endpoint", hub.url);
        await page.fill("#hub-id", repo);
        await page.$eval("#status", (s) => {
          s.textContent = "";
        });
        await page.click("#load-hub");
        await page.waitForFunction(
          (pattern) =>
            new RegExp(pattern).test(document.querySelector("#status")?.textContent ?? "") ||
            !(document.querySelector("#error") as HTMLElement).hidden,
          done.source,
          { timeout: 120_000 },
        );
        expect(await pageError(page)).toBe("");
        expect(await page.textContent("#model-name")).toBe(repo);
      }

      /** Resolves once the download progress bar has been seen part-way (0 < value < 1). */
      function progressSeen(): Promise<unknown> {
        return page.waitForFunction(
          () => {
            const bar = document.querySelector("#download-progress") as HTMLProgressElement;
            return !bar.hidden && bar.value > 0 && bar.value < 1;
          },
          null,
          { timeout: 120_000, polling: 20 },
        );
      }

      it("downloads a Hub model with a progress bar, keeps it in Cache Storage: after a reload no model-file request", async () => {
        // About a second for the weights, so the bar is seen part-way however loaded the machine is.
        hub.faults = [{ kind: "slow", file: "model.safetensors", chunkBytes: 8192, delayMs: 40 }];
        const seen = progressSeen();
        await loadFromHub("acme/tiny-nli", /^Downloaded acme\/tiny-nli/);
        await seen;
        hub.faults = [];
        expect(modelFileRequests().some((r) => r.file === "model.safetensors")).toBe(true);
        expect(await page.$eval("#download-progress", (b) => (b as HTMLElement).hidden)).toBe(true);
        expect(await page.$eval("#cache-info", (e) => (e as HTMLElement).dataset.models)).toBe("1");
        await runTask(page, "text-classification");
        expectScores(await shownBars(page), want.classification);
        await page.screenshot({ path: path.join(SHOTS, "hub-model.png"), fullPage: true });

        const before = modelFileRequests().length;
        await page.reload();
        await page.waitForSelector("body[data-ready=true]", { timeout: 120_000 });
        // The endpoint is remembered.
        expect(await page.inputValue("#hub-endpoint")).toBe(hub.url);
        await loadFromHub("acme/tiny-nli", /from the browser's cache/);
        expect(modelFileRequests().length).toBe(before);
        await runTask(page, "text-classification");
        expectScores(await shownBars(page), want.classification);

        // Forgotten: the next load downloads again.
        await page.click("#forget-cache");
        await page.waitForFunction(
          () => document.querySelector<HTMLElement>("#cache-info")?.dataset.models === "0",
        );
        await loadFromHub("acme/tiny-nli", /^Downloaded acme\/tiny-nli/);
        expect(modelFileRequests().length).toBeGreaterThan(before);
      });

      it("Cancel stops a long download; the worker restarts with the previous model and the page stays usable", async () => {
        // About 20 s for the weights: the test cancels long before.
        hub.faults = [{ kind: "slow", file: "model.safetensors", chunkBytes: 4096, delayMs: 300 }];
        await page.fill("#hub-id", "acme/slow-nli");
        const seen = progressSeen();
        await page.click("#load-hub");
        await seen;
        expect(await page.isEnabled("#cancel")).toBe(true);
        expect(await page.textContent("#running")).toMatch(/working… \d/);
        await page.click("#cancel");
        await page.waitForFunction(
          () =>
            /^Cancelled; the worker was restarted with acme\/tiny-nli/.test(
              document.querySelector("#status")?.textContent ?? "",
            ),
          null,
          { timeout: 120_000 },
        );
        hub.faults = [];
        expect(await pageError(page)).toBe("");
        expect(await page.$eval("#download-progress", (b) => (b as HTMLElement).hidden)).toBe(true);
        expect(await page.isEnabled("#cancel")).toBe(false);
        expect(await page.textContent("#model-name")).toBe("acme/tiny-nli");
        await runTask(page, "text-classification");
        expectScores(await shownBars(page), want.classification);
      });

      it.skipIf(!haveV2Fixtures)(
        "a DeBERTa-v3 Hub model: spm.model downloaded, the v2 head and tokenizer picked by model_type, the Node scores",
        async () => {
          await loadFromHub("acme/tiny-v3-nli", /^Downloaded acme\/tiny-v3-nli/);
          const info = (await page.textContent("#model-info")) ?? "";
          expect(info).toContain("DebertaV2ForSequenceClassification");
          expect(info).toContain("spm.model");
          await runTask(page, "text-classification");
          expect(want.v3Classification!.length).toBe(3);
          expectScores(await shownBars(page), want.v3Classification!);
          // The head a task needs is named for this model_type.
          await page.click('#task-tabs button[data-task="fill-mask"]');
          expect(await page.textContent("#head-notice")).toContain("needs a DebertaV2ForMaskedLM head");
        },
      );
    });

    describe("playground, keyboard and layout", () => {
      let page: Page;
      let close: () => Promise<void>;
      beforeAll(async () => {
        ({ page, close } = await openPage(false, { width: 1280, height: 800 }));
      });
      afterAll(async () => close?.());

      it("every control has a label, Tab reaches them in order, and Enter works them", async () => {
        const unlabelled = await page.$$eval("input, select, textarea, progress", (els) =>
          els
            .filter((e) => {
              const el = e as HTMLInputElement;
              return (el.labels?.length ?? 0) === 0 && !el.getAttribute("aria-label");
            })
            .map((e) => e.id || e.outerHTML.slice(0, 60)),
        );
        expect(unlabelled).toEqual([]);
        const order: string[] = [];
        await page.focus("body");
        for (let i = 0; i < 30; i++) {
          await page.keyboard.press("Tab");
          order.push(
            await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName || ""),
          );
        }
        const at = (id: string) => order.indexOf(id);
        for (const id of [
          "load-demo",
          "folder-input",
          "hub-id",
          "hub-endpoint",
          "load-hub",
          "forget-cache",
          "device-select",
        ])
          expect(at(id), `${id} in ${order.join(" ")}`).toBeGreaterThanOrEqual(0);
        expect(at("load-demo")).toBeLessThan(at("folder-input"));
        expect(at("folder-input")).toBeLessThan(at("hub-id"));
        expect(at("hub-endpoint")).toBeLessThan(at("load-hub"));
        expect(at("load-hub")).toBeLessThan(at("device-select"));
        // The keyboard alone: load the demo model, then run the task.
        await page.focus("#load-demo");
        await page.keyboard.press("Enter");
        await page.waitForFunction(() => document.querySelector("#model-name")?.textContent === "demo-model");
        await page.focus("#run");
        await page.keyboard.press("Enter");
        await page.waitForFunction(() => /ms$/.test(document.querySelector("#timing")?.textContent ?? ""));
        expectScores(await shownBars(page), want.classification);
      });

      it("reads at 1280x800 and on a narrow window (no sideways scrolling); screenshots of both", async () => {
        await page.click("#attention-run");
        await page.waitForSelector("#attention-head", { timeout: 120_000 });
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: path.join(SHOTS, "page-1280x800.png") });
        await page.screenshot({ path: path.join(SHOTS, "page-1280x800-full.png"), fullPage: true });
        const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(wide).toBeLessThanOrEqual(0);
        await page.setViewportSize({ width: 400, height: 800 });
        const narrow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(narrow).toBeLessThanOrEqual(0);
        await page.screenshot({ path: path.join(SHOTS, "page-narrow-400.png"), fullPage: true });
      });
    });
  },
);
