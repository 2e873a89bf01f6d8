// Task outputs drawn as people read them: bars for scores, entities and answers highlighted in the text.
import { fmt, h } from "./dom.js";
import type { TaskName } from "./protocol.js";

interface Scored {
  label: string;
  score: number;
}

export function bars(items: Scored[]): HTMLElement {
  return h(
    "div",
    { className: "bars" },
    items.map((it) =>
      h(
        "div",
        { className: "bar", "data-label": it.label, "data-score": String(it.score) },
        h("span", { className: "label", title: it.label }, it.label),
        h(
          "span",
          { className: "track" },
          h("span", { className: "fill", style: { width: `${Math.max(0, Math.min(1, it.score)) * 100}%` } }),
        ),
        h("span", { className: "value" }, fmt(it.score)),
      ),
    ),
  );
}

const COLORS = ["#ffd27a", "#9fd8ff", "#b8f0a8", "#ffb3c7", "#d6c2ff", "#ffc99a", "#a8efe4"];

/** The text with spans [start, end) marked, each with an optional tag; overlapping spans are skipped. */
export function highlight(
  text: string,
  spans: { start: number; end: number; tag?: string; title?: string; color?: string }[],
): HTMLElement {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const out = h("div", { className: "highlighted" });
  let at = 0;
  for (const s of sorted) {
    if (s.start < at || s.end <= s.start) continue;
    out.append(text.slice(at, s.start));
    out.append(
      h(
        "mark",
        {
          style: { background: s.color ?? COLORS[0] },
          title: s.title,
          "data-start": s.start,
          "data-end": s.end,
        },
        text.slice(s.start, s.end),
        s.tag ? h("span", { className: "tag" }, s.tag) : null,
      ),
    );
    at = s.end;
  }
  out.append(text.slice(at));
  return out;
}

function colorOf(tag: string, palette: Map<string, string>): string {
  let c = palette.get(tag);
  if (c === undefined) {
    c = COLORS[palette.size % COLORS.length]!;
    palette.set(tag, c);
  }
  return c;
}

function asList<T>(x: T | T[]): T[] {
  return Array.isArray(x) ? x : [x];
}

export function renderResult(task: TaskName, output: unknown, input: Record<string, unknown>): HTMLElement {
  switch (task) {
    case "text-classification": {
      const items = asList(output as Scored | Scored[]).flat() as Scored[];
      return bars(items);
    }
    case "zero-shot-classification": {
      const r = output as { sequence: string; labels: string[]; scores: number[] };
      return h(
        "div",
        {},
        h("p", { className: "muted" }, r.sequence),
        bars(r.labels.map((label, i) => ({ label, score: r.scores[i]! }))),
      );
    }
    case "fill-mask": {
      // One mask: a list of candidates; several masks: a list per mask.
      const raw = output as unknown[];
      const groups = (Array.isArray(raw[0]) ? raw : [raw]) as {
        token_str: string;
        score: number;
        sequence: string;
      }[][];
      return h(
        "div",
        {},
        groups.map((g, i) =>
          h(
            "div",
            {},
            groups.length > 1 ? h("h4", {}, `mask ${i + 1}`) : null,
            bars(g.map((c) => ({ label: c.token_str, score: c.score }))),
            h("p", { className: "muted" }, `best: ${g[0]?.sequence ?? ""}`),
          ),
        ),
      );
    }
    case "question-answering": {
      const answers = asList(
        output as { answer: string; score: number; start: number; end: number }[],
      ).flat();
      const context = String(input.context ?? "");
      const best = answers[0];
      return h(
        "div",
        {},
        best
          ? highlight(context, [
              { start: best.start, end: best.end, tag: fmt(best.score, 3), title: `score ${best.score}` },
            ])
          : h("p", {}, "No answer."),
        bars(answers.map((a) => ({ label: JSON.stringify(a.answer), score: a.score }))),
      );
    }
    case "token-classification": {
      const text = String(input.text ?? "");
      const entities = output as {
        entity?: string;
        entity_group?: string;
        score: number;
        start: number | null;
        end: number | null;
        word: string;
      }[];
      const palette = new Map<string, string>();
      const spans = entities
        .filter((e) => e.start !== null && e.end !== null)
        .map((e) => {
          const tag = e.entity_group ?? e.entity ?? "?";
          return {
            start: e.start!,
            end: e.end!,
            tag,
            color: colorOf(tag.replace(/^[BI]-/, ""), palette),
            title: `${tag} ${fmt(e.score)}`,
          };
        });
      return h(
        "div",
        {},
        entities.length === 0
          ? h("p", { className: "muted" }, "No entities (every token got an ignored label).")
          : null,
        highlight(text, spans),
        h(
          "table",
          { className: "simple" },
          h("tr", {}, h("th", {}, "entity"), h("th", {}, "word"), h("th", {}, "score"), h("th", {}, "span")),
          entities.map((e) =>
            h(
              "tr",
              {
                className: "entity",
                "data-entity": e.entity_group ?? e.entity ?? "",
                "data-word": e.word,
                "data-score": String(e.score),
                "data-start": String(e.start),
                "data-end": String(e.end),
              },
              h("td", {}, e.entity_group ?? e.entity ?? ""),
              h("td", {}, e.word),
              h("td", {}, fmt(e.score)),
              h("td", {}, `${e.start}–${e.end}`),
            ),
          ),
        ),
      );
    }
    case "feature-extraction": {
      const r = output as { dims: number[]; data: number[] };
      const norm = Math.sqrt(r.data.reduce((s, x) => s + x * x, 0));
      return h(
        "div",
        {},
        h(
          "p",
          {},
          `Tensor of shape [${r.dims.join(", ")}]; first ${r.data.length} values shown (L2 norm of those ${fmt(norm)}).`,
        ),
        h(
          "pre",
          { className: "vector", "data-dims": r.dims.join(","), tabindex: 0 },
          r.data.map((x) => fmt(x, 5)).join(" "),
        ),
      );
    }
  }
}
