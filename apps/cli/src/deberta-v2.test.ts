// `deberta run` on DeBERTa-v2 / v3 checkpoints, as a spawned process: each v2 fixture head (config.json +
// model.safetensors) in a folder with the SentencePiece tokenizer (spm.model + tokenizer_config.json, as
// microsoft/deberta-v3-* ship), the task picked from the checkpoint's architectures as a user would. Row 1 of
// the fixtures' batch is what the tokenizer gives for its decoded text, so the CLI's answers on that text are
// checked against the fixtures' float64 outputs.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DebertaV2Tokenizer, readWeightsFile } from "deberta";
import { afterAll, describe, expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, "../dist/cli.js");
const fixtures = process.env.DEBERTA_FIXTURES ?? path.resolve(here, "../../../../shared/fixtures");
const V2 = path.join(fixtures, "deberta-v2");
const SPM = path.join(V2, "tokenizer-spm");
const ROW = 1;
const tmp = mkdtempSync(path.join(tmpdir(), "deberta-cli-v2-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The task a user runs a checkpoint with, from its architecture. */
const TASK_OF: Record<string, string> = {
  DebertaV2ForSequenceClassification: "text-classification",
  DebertaV2ForTokenClassification: "token-classification",
  DebertaV2ForQuestionAnswering: "question-answering",
  DebertaV2ForMaskedLM: "fill-mask",
  DebertaV2Model: "feature-extraction",
};

/** A model folder as the Hub has it: the fixture checkpoint's files and the tokenizer's, linked. */
function modelFolder(head: string): { dir: string; fixture: string; task: string } {
  const fixture = path.join(V2, "models", "v3-like", head);
  const dir = mkdtempSync(path.join(tmp, `${head}-`));
  for (const f of ["config.json", "model.safetensors"]) symlinkSync(path.join(fixture, f), path.join(dir, f));
  for (const f of ["spm.model", "tokenizer_config.json"]) symlinkSync(path.join(SPM, f), path.join(dir, f));
  const architecture = (
    JSON.parse(readFileSync(path.join(fixture, "config.json"), "utf8")) as {
      architectures: string[];
    }
  ).architectures[0]!;
  const task = TASK_OF[architecture];
  if (task === undefined) throw new Error(`no task for ${architecture}`);
  return { dir, fixture, task };
}

function deberta(args: string[], stdin: string) {
  const r = spawnSync(process.execPath, [cli, ...args], {
    input: stdin,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, HF_HUB_OFFLINE: "1" },
  });
  return { code: r.status, stderr: r.stderr, lines: r.stdout.split("\n").filter((l) => l.length > 0) };
}

const tokenizer = await DebertaV2Tokenizer.from_pretrained(SPM);

/** Row ROW of a fixture output, and the text the tokenizer encodes to that row's ids. */
async function fixtureRow(
  fixture: string,
  name: string,
): Promise<{ values: number[]; ids: number[]; text: string }> {
  const expected = await readWeightsFile(path.join(fixture, "expected.safetensors"));
  const row = (key: string) => {
    const t = expected.get(key)!;
    const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
    return Array.from(t.data as ArrayLike<number | bigint>, Number).slice(ROW * width, (ROW + 1) * width);
  };
  const ids = row("input_ids");
  const text = tokenizer.decode(ids.slice(1, -1));
  expect(tokenizer(text).input_ids).toEqual(ids);
  return { values: row(name), ids, text };
}

const softmax = (z: readonly number[]) => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

describe("deberta run on DeBERTa-v2 checkpoints", () => {
  it("text-classification: one JSON line per input, the label and score of the fixture's logits", async () => {
    const { dir, fixture, task } = modelFolder("ForSequenceClassification");
    expect(task).toBe("text-classification");
    const { values, text } = await fixtureRow(fixture, "logits");
    const r = deberta(
      ["run", "--task", task, "--model", dir],
      `${JSON.stringify(text)}\n${JSON.stringify({ text })}\n`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines).toHaveLength(2);
    const scores = softmax(values);
    const best = scores.indexOf(Math.max(...scores));
    const id2label = (
      JSON.parse(readFileSync(path.join(fixture, "config.json"), "utf8")) as {
        id2label: Record<string, string>;
      }
    ).id2label;
    for (const line of r.lines) {
      const got = JSON.parse(line) as { label: string; score: number };
      expect(got.label).toBe(id2label[best]);
      expect(Math.abs(got.score - scores[best]!)).toBeLessThan(1e-5);
    }
  });

  it("fill-mask with [MASK]: the top tokens of the fixture's logits at the mask", async () => {
    const { dir, fixture, task } = modelFolder("ForMaskedLM");
    expect(task).toBe("fill-mask");
    const { values, ids, text } = await fixtureRow(fixture, "logits");
    const position = ids.indexOf(tokenizer.mask_token_id!);
    const vocab = values.length / ids.length;
    const probs = softmax(values.slice(position * vocab, (position + 1) * vocab));
    const top = probs
      .map((_, i) => i)
      .sort((a, b) => probs[b]! - probs[a]!)
      .slice(0, 3);
    const r = deberta(["run", "--task", task, "--model", dir], `${JSON.stringify({ text, top_k: 3 })}\n`);
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.lines[0]!) as { token: number; score: number }[];
    expect(got.map((c) => c.token)).toEqual(top);
    got.forEach((c, k) => {
      expect(Math.abs(c.score - probs[top[k]!]!)).toBeLessThan(1e-5);
    });
  });

  it("feature-extraction: the fixture's last hidden state as nested JSON arrays", async () => {
    const { dir, fixture, task } = modelFolder("Model");
    expect(task).toBe("feature-extraction");
    const { values, ids, text } = await fixtureRow(fixture, "last_hidden_state");
    const r = deberta(["run", "--task", task, "--model", dir], `${JSON.stringify(text)}\n`);
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.lines[0]!) as number[][][];
    expect(got).toHaveLength(1);
    expect(got[0]).toHaveLength(ids.length);
    const flat = got[0]!.flat();
    expect(flat).toHaveLength(values.length);
    expect(Math.max(...values.map((v, i) => Math.abs(flat[i]! - v)))).toBeLessThan(1e-4);
  });

  it("token-classification and question-answering: entities and answers are spans of the input", async () => {
    const ner = modelFolder("ForTokenClassification");
    const { text } = await fixtureRow(ner.fixture, "logits");
    const r = deberta(
      ["run", "--task", ner.task, "--model", ner.dir],
      `${JSON.stringify({ text, aggregation_strategy: "first" })}\n`,
    );
    expect(r.code, r.stderr).toBe(0);
    const groups = JSON.parse(r.lines[0]!) as { word: string; start: number; end: number }[];
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) expect(g.word).toBe(text.slice(g.start, g.end));

    const qa = modelFolder("ForQuestionAnswering");
    const context = "My name is Wolfgang and I live in Berlin.";
    const answer = deberta(
      ["run", "--task", qa.task, "--model", qa.dir],
      `${JSON.stringify({ question: "Where do I live?", context })}\n`,
    );
    expect(answer.code, answer.stderr).toBe(0);
    const got = JSON.parse(answer.lines[0]!) as { answer: string; start: number; end: number; score: number };
    expect(got.answer).toBe(context.slice(got.start, got.end));
  });
});
