// token-classification on the tokcls checkpoint (O, B-PER, I-PER, B-LOC, I-LOC), every aggregation
// strategy. The reference below is transformers' postprocess (gather_pre_entities, aggregate_words,
// group_entities) written out step by step on the head's raw logits.
import { DebertaConfig } from "@deberta/config";
import { DebertaForTokenClassification } from "@deberta/heads";
import { DebertaTokenizer } from "@deberta/tokenizer";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { pipeline } from "../pipeline.js";
import { int64, modelDir, newBackend } from "../test-support.js";

const backend = await newBackend();
afterAll(() => backend.close());

let tokenizer: DebertaTokenizer;
let tokcls: DebertaForTokenClassification;
beforeAll(async () => {
  tokenizer = await DebertaTokenizer.from_pretrained(modelDir("tokcls"));
  tokcls = await DebertaForTokenClassification.from_pretrained(modelDir("tokcls"), { backend });
});

const TEXTS = [
  "Hello worldwide, Parisians are unbelievable people in London.",
  "My name is Wolfgang and I live in Berlin",
];

type Strategy = "none" | "simple" | "first" | "average" | "max";
type Entity = Record<string, string | number>;
const entities = (value: unknown): Entity[] => value as Entity[];

async function reference(
  model: DebertaForTokenClassification,
  text: string,
  strategy: Strategy,
  ignore = ["O"],
): Promise<Entity[]> {
  const enc = tokenizer(text, { return_offsets_mapping: true, return_special_tokens_mask: true });
  const ids = enc.input_ids as number[];
  const out = await model({
    input_ids: int64([ids]),
    attention_mask: int64([enc.attention_mask as number[]]),
  });
  const width = out.logits!.dims[2]!;
  const data = out.logits!.data as Float32Array;
  const id2label = model.config.id2label;
  // 1. per-token softmax; special tokens dropped; is_subword = neither the character before the token
  //    nor its first character is a space.
  const pre: { scores: number[]; start: number; end: number; index: number; sub: boolean }[] = [];
  for (let t = 0; t < ids.length; t++) {
    if ((enc.special_tokens_mask as number[])[t] === 1) continue;
    const z = Array.from(data.subarray(t * width, (t + 1) * width));
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    const [start, end] = (enc.offset_mapping as [number, number][])[t]!;
    const around = text.slice(start - 1, start + 1);
    pre.push({ scores: e.map((v) => v / s), start, end, index: t, sub: start > 0 && !around.includes(" ") });
  }
  const best = (scores: number[]) => scores.indexOf(Math.max(...scores));
  // 2. tokens or words with a label.
  let labelled: { entity: string; score: number; start: number; end: number; index?: number }[];
  if (strategy === "none" || strategy === "simple") {
    labelled = pre.map((p) => ({
      entity: id2label[best(p.scores)]!,
      score: Math.max(...p.scores),
      start: p.start,
      end: p.end,
      index: p.index,
    }));
  } else {
    const words: (typeof pre)[] = [];
    for (const p of pre) {
      if (p.sub && words.length > 0) words[words.length - 1]!.push(p);
      else words.push([p]);
    }
    labelled = words.map((w) => {
      let scores = w[0]!.scores;
      if (strategy === "max") {
        let top = -1;
        for (const p of w) {
          if (Math.max(...p.scores) > top) {
            top = Math.max(...p.scores);
            scores = p.scores;
          }
        }
      }
      if (strategy === "average")
        scores = scores.map((_, c) => w.reduce((a, p) => a + p.scores[c]!, 0) / w.length);
      return {
        entity: id2label[best(scores)]!,
        score: Math.max(...scores),
        start: w[0]!.start,
        end: w[w.length - 1]!.end,
      };
    });
  }
  if (strategy === "none") {
    return labelled
      .filter((e) => !ignore.includes(e.entity))
      .map((e) => ({
        entity: e.entity,
        score: e.score,
        index: e.index!,
        word: text.slice(e.start, e.end),
        start: e.start,
        end: e.end,
      }));
  }
  // 3. group_entities: join the previous group when same tag and not a B- (no prefix = I-).
  const tagOf = (label: string) =>
    label.startsWith("B-") || label.startsWith("I-") ? [label[0]!, label.slice(2)] : ["I", label];
  const groups: (typeof labelled)[] = [];
  for (const e of labelled) {
    const last = groups[groups.length - 1];
    const [bi, tag] = tagOf(e.entity);
    if (last !== undefined && tagOf(last[last.length - 1]!.entity)[1] === tag && bi !== "B") last.push(e);
    else groups.push([e]);
  }
  return groups
    .map((g) => {
      const label = g[0]!.entity;
      const start = g[0]!.start;
      const end = g[g.length - 1]!.end;
      return {
        entity_group: label.includes("-") ? label.slice(label.indexOf("-") + 1) : label,
        score: g.reduce((a, e) => a + e.score, 0) / g.length,
        word: text.slice(start, end),
        start,
        end,
      };
    })
    .filter((g) => !ignore.includes(g.entity_group));
}

function expectEntities(got: unknown, want: Entity[]) {
  const list = entities(got);
  const strip = (e: Entity) => ({ ...e, score: 0 });
  expect(list.map(strip)).toEqual(want.map(strip));
  list.forEach((e, i) => {
    expect(Math.abs((e.score as number) - (want[i]!.score as number))).toBeLessThan(1e-6);
  });
}

describe("token-classification", () => {
  it.each(["none", "simple", "first", "average", "max"] as const)(
    "aggregation_strategy %s matches transformers' rule on the raw logits",
    async (strategy) => {
      const ner = await pipeline("ner", { model: tokcls, tokenizer });
      expect(ner.task).toBe("token-classification");
      for (const text of TEXTS) {
        const want = await reference(tokcls, text, strategy);
        expect(want.length).toBeGreaterThan(0);
        const got = await ner(text, { aggregation_strategy: strategy });
        expectEntities(got, want);
        for (const e of entities(got)) expect(e.word).toBe(text.slice(e.start as number, e.end as number));
      }
    },
  );

  it("the strategies really differ on these inputs (so each comparison above is meaningful)", async () => {
    const ner = await pipeline("token-classification", { model: tokcls, tokenizer });
    const outputs = [];
    for (const strategy of ["simple", "first", "average", "max"] as const) {
      outputs.push(JSON.stringify(await ner(TEXTS[0]!, { aggregation_strategy: strategy })));
    }
    expect(new Set(outputs).size).toBe(4);
    // Sub-word grouping: "worldwide" (Ġw or l d w i de) is one word under "first", with its span.
    const first = entities(await ner(TEXTS[0]!, { aggregation_strategy: "first", ignore_labels: [] }));
    expect(first.some((e) => (e.word as string).includes(" worldwide"))).toBe(true);
  });

  it("B-/I- handling with a relabelled config: labels without a prefix continue, B- always opens a group", async () => {
    const config = DebertaConfig.from_dict({
      ...tokcls.config.to_dict(),
      id2label: { 0: "O", 1: "B-PER", 2: "PER", 3: "I-LOC", 4: "MISC" },
      label2id: { O: 0, "B-PER": 1, PER: 2, "I-LOC": 3, MISC: 4 },
    });
    const relabelled = await DebertaForTokenClassification.from_pretrained(modelDir("tokcls"), {
      backend,
      config,
    });
    const ner = await pipeline("token-classification", { model: relabelled, tokenizer });
    for (const strategy of ["simple", "first", "average", "max"] as const) {
      for (const text of TEXTS) {
        expectEntities(
          await ner(text, { aggregation_strategy: strategy }),
          await reference(relabelled, text, strategy),
        );
      }
    }
    // Under "simple", B-PER followed by PER (an unprefixed label counts as I-) merges into one "PER"
    // group, and two B-PER in a row never merge: check on the token labels of the second text.
    const tokens = entities(await ner(TEXTS[1]!, { ignore_labels: [] }));
    const groups = entities(await ner(TEXTS[1]!, { aggregation_strategy: "simple", ignore_labels: [] }));
    let expectedGroups = 0;
    tokens.forEach((t, i) => {
      const prev = tokens[i - 1];
      const tag = (l: string) => l.replace(/^[BI]-/, "");
      if (
        prev === undefined ||
        tag(prev.entity as string) !== tag(t.entity as string) ||
        (t.entity as string).startsWith("B-")
      ) {
        expectedGroups++;
      }
    });
    expect(groups).toHaveLength(expectedGroups);
    expect(groups.length).toBeLessThan(tokens.length);
  });

  it("ignore_labels: [] keeps O; a custom list drops those groups; batches give a list per input", async () => {
    const ner = await pipeline("token-classification", { model: tokcls, tokenizer }, { batch_size: 2 });
    const all = entities(await ner(TEXTS[0]!, { ignore_labels: [] }));
    expectEntities(all, await reference(tokcls, TEXTS[0]!, "none", []));
    expect(all.some((e) => e.entity === "O")).toBe(true);
    expectEntities(
      await ner(TEXTS[0]!, { aggregation_strategy: "simple", ignore_labels: ["O", "LOC"] }),
      await reference(tokcls, TEXTS[0]!, "simple", ["O", "LOC"]),
    );
    const forward = vi.spyOn(tokcls, "forward");
    const batch = await ner([TEXTS[0]!, TEXTS[1]!, TEXTS[0]!], { aggregation_strategy: "average" });
    expect(forward).toHaveBeenCalledTimes(2);
    forward.mockRestore();
    expect(batch).toHaveLength(3);
    expectEntities(batch[1], await reference(tokcls, TEXTS[1]!, "average"));
    expectEntities(batch[2], await reference(tokcls, TEXTS[0]!, "average"));
    await expect(ner(TEXTS[0]!, { aggregation_strategy: "longest" as never })).rejects.toMatchObject({
      code: "PIPELINE_ARGUMENT",
      argument: "aggregation_strategy",
    });
  });
});
