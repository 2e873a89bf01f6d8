// The attention explorer: a layer x head grid of heatmaps, one head large with token labels and exact
// values on hover, per-head entropy, the relative-distance profile, the score split (c2c / c2p / p2c terms
// before the softmax, where the model returns them), and PNG / JSON export.
import { fmt, h } from "./dom.js";
import type { AttentionResult } from "./protocol.js";

type Rgb = [number, number, number];

/** White to deep blue, for probabilities in [0, max]. */
function sequential(t: number): Rgb {
  const x = Math.max(0, Math.min(1, t));
  return [Math.round(255 - 225 * x), Math.round(255 - 170 * x), Math.round(255 - 60 * x)];
}

/** Blue (negative) - white - red (positive), for score terms on one symmetric scale. */
function diverging(t: number): Rgb {
  const x = Math.max(-1, Math.min(1, t));
  if (x >= 0) return [255, Math.round(255 - 200 * x), Math.round(255 - 210 * x)];
  return [Math.round(255 + 210 * x), Math.round(255 + 150 * x), 255];
}

export function headSlice(data: Float32Array, head: number, length: number): Float32Array {
  return data.subarray(head * length * length, (head + 1) * length * length);
}

/** Mean over queries of the entropy (nats) of each query's distribution over the keys. */
export function entropy(p: Float32Array, length: number): number {
  let total = 0;
  for (let i = 0; i < length; i++) {
    let e = 0;
    for (let j = 0; j < length; j++) {
      const v = p[i * length + j]!;
      if (v > 0) e -= v * Math.log(v);
    }
    total += e;
  }
  return total / length;
}

/** Average probability by key minus query position, d = -(L-1) .. L-1. */
export function distanceProfile(p: Float32Array, length: number): { d: number; mean: number }[] {
  const out: { d: number; mean: number }[] = [];
  for (let d = -(length - 1); d <= length - 1; d++) {
    let s = 0;
    let n = 0;
    for (let i = 0; i < length; i++) {
      const j = i + d;
      if (j < 0 || j >= length) continue;
      s += p[i * length + j]!;
      n++;
    }
    out.push({ d, mean: n > 0 ? s / n : 0 });
  }
  return out;
}

function paint(
  canvas: HTMLCanvasElement,
  values: Float32Array,
  length: number,
  cell: number,
  origin: number,
  color: (v: number) => Rgb,
): void {
  const ctx = canvas.getContext("2d")!;
  for (let i = 0; i < length; i++)
    for (let j = 0; j < length; j++) {
      const [r, g, b] = color(values[i * length + j]!);
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      ctx.fillRect(origin + j * cell, origin + i * cell, cell, cell);
    }
}

function label(token: string): string {
  const t = token.replace(/^Ġ/, "·").replace(/Ċ/g, "⏎");
  return t.length > 10 ? `${t.slice(0, 9)}…` : t;
}

export interface Selection {
  layer: number;
  head: number;
}

export function renderAttention(
  root: HTMLElement,
  a: AttentionResult,
  onExportReady: (x: Exporter) => void,
): void {
  root.replaceChildren();
  const L = a.length;
  const tokens = a.tokens.tokens.map((t) => t.token);
  const sel: Selection = { layer: a.layers - 1, head: 0 };
  const entropies = a.probs.map((layer) =>
    Array.from({ length: a.heads }, (_, hd) => entropy(headSlice(layer, hd, L), L)),
  );
  const maxEntropy = Math.log(L);

  // The grid: one small heatmap per (layer, head), each scaled to its own maximum.
  const grid = h("div", {
    className: "attn-grid",
    id: "attention-grid",
    style: { gridTemplateColumns: `repeat(${a.heads}, auto)` },
  });
  const thumbs: HTMLCanvasElement[] = [];
  const small = Math.max(2, Math.floor(72 / L));
  for (let layer = 0; layer < a.layers; layer++)
    for (let head = 0; head < a.heads; head++) {
      const values = headSlice(a.probs[layer]!, head, L);
      let max = 0;
      for (const v of values) max = Math.max(max, v);
      const c = h("canvas", {
        width: small * L,
        height: small * L,
        "data-layer": layer,
        "data-head": head,
        title: `layer ${layer}, head ${head}; entropy ${fmt(entropies[layer]![head]!, 3)} nats`,
        tabindex: 0,
        role: "button",
        "aria-label": `Show layer ${layer}, head ${head}`,
        onclick: () => {
          sel.layer = layer;
          sel.head = head;
          drawSelected();
        },
        onkeydown: (ev: KeyboardEvent) => {
          if (ev.key !== "Enter" && ev.key !== " ") return;
          ev.preventDefault();
          sel.layer = layer;
          sel.head = head;
          drawSelected();
        },
      });
      paint(c, values, L, small, 0, (v) => sequential(max > 0 ? v / max : 0));
      thumbs.push(c);
      grid.append(
        h(
          "div",
          { className: "cell" },
          c,
          h("span", {}, `L${layer} H${head} · H=${fmt(entropies[layer]![head]!, 2)}`),
        ),
      );
    }

  const cell = Math.max(8, Math.min(28, Math.floor(480 / L)));
  const margin = 90;
  const big = h("canvas", { id: "attention-head", width: margin + cell * L, height: margin + cell * L });
  big.dataset.origin = String(margin);
  big.dataset.cell = String(cell);
  big.dataset.length = String(L);
  const hover = h("div", { id: "attention-hover" }, "Hover a cell for its exact value.");
  const profile = h("canvas", { id: "attention-profile", width: 480, height: 160 });
  const stats = h("div", { className: "muted" });
  const split = h("div", { id: "score-split" });
  const caption = h("h3", {});

  function drawSelected(): void {
    for (const t of thumbs)
      t.classList.toggle(
        "selected",
        Number(t.dataset.layer) === sel.layer && Number(t.dataset.head) === sel.head,
      );
    const values = headSlice(a.probs[sel.layer]!, sel.head, L);
    big.dataset.layer = String(sel.layer);
    big.dataset.head = String(sel.head);
    caption.textContent = `Layer ${sel.layer}, head ${sel.head}`;
    const ctx = big.getContext("2d")!;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, big.width, big.height);
    // Scaled to this head's maximum: an untrained model's near-uniform rows would otherwise look blank.
    let max = 0;
    for (const v of values) max = Math.max(max, v);
    paint(big, values, L, cell, margin, (v) => sequential(max > 0 ? v / max : 0));
    ctx.fillStyle = "#1d2330";
    ctx.font = `${Math.min(12, cell)}px ui-monospace, monospace`;
    ctx.textBaseline = "middle";
    ctx.textAlign = "right";
    for (let i = 0; i < L; i++) ctx.fillText(label(tokens[i]!), margin - 4, margin + i * cell + cell / 2);
    for (let j = 0; j < L; j++) {
      ctx.save();
      ctx.translate(margin + j * cell + cell / 2, margin - 4);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "left";
      ctx.fillText(label(tokens[j]!), 0, 0);
      ctx.restore();
    }
    const e = entropies[sel.layer]![sel.head]!;
    stats.textContent = `Entropy ${fmt(e, 3)} nats (uniform: ${fmt(maxEntropy, 3)}). Rows: queries; columns: keys; colour white (0) → blue (${fmt(max, 4)}, this head's maximum).`;
    drawProfile(distanceProfile(values, L));
    drawSplit();
  }

  function drawProfile(points: { d: number; mean: number }[]): void {
    const ctx = profile.getContext("2d")!;
    const W = profile.width;
    const H = profile.height - 20;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, W, profile.height);
    const max = Math.max(1e-9, ...points.map((p) => p.mean));
    const bw = W / points.length;
    for (const [k, p] of points.entries()) {
      ctx.fillStyle = p.d === 0 ? "#c0392b" : "#2f5fd0";
      const bh = (p.mean / max) * (H - 4);
      ctx.fillRect(k * bw + 1, H - bh, Math.max(1, bw - 2), bh);
    }
    ctx.fillStyle = "#5b6475";
    ctx.font = "11px system-ui";
    ctx.textAlign = "left";
    ctx.fillText(`key − query = ${points[0]?.d ?? 0}`, 2, H + 12);
    ctx.textAlign = "right";
    ctx.fillText(`${points.at(-1)?.d ?? 0}   (max mean ${fmt(max, 3)})`, W - 2, H + 12);
  }

  function drawSplit(): void {
    split.replaceChildren();
    if (a.terms === undefined) return;
    const layer = a.terms[sel.layer];
    if (layer === undefined) return;
    const names = ["c2c", "c2p", "p2c"] as const;
    // Which terms the head has comes from the config (pos_att_type, relative_attention), not from the arrays.
    const present = names.filter(
      (n) => (n === "c2c" || a.positionTerms.includes(n)) && layer[n] !== undefined,
    );
    const slices = new Map(present.map((n) => [n, headSlice(layer[n]!, sel.head, L)]));
    let maxAbs = 1e-12;
    const sums = new Map<string, number>();
    for (const [n, s] of slices) {
      let sum = 0;
      for (const v of s) {
        maxAbs = Math.max(maxAbs, Math.abs(v));
        sum += Math.abs(v);
      }
      sums.set(n, sum);
    }
    const total = [...sums.values()].reduce((x, y) => x + y, 0) || 1;
    const c = Math.max(4, Math.min(16, Math.floor(240 / L)));
    const termHover = h("div", { id: "term-hover" }, "Hover a cell of a term for its exact value.");
    split.append(
      h("h3", {}, `Score split: layer ${sel.layer}, head ${sel.head}`),
      h(
        "p",
        { className: "muted" },
        `Pre-softmax terms (c2c + c2p + p2c, then the softmax gives the probabilities above), on one colour scale: blue −${fmt(maxAbs, 3)} … white 0 … red +${fmt(maxAbs, 3)}. Share = Σ|term| / Σ|all terms| over this head.`,
      ),
      h(
        "div",
        { className: "terms" },
        names.map((n) => {
          const s = slices.get(n);
          if (s === undefined)
            return h(
              "figure",
              { "data-term": n, "data-missing": "true" },
              h(
                "p",
                { className: "notice" },
                `No ${n}: this model's pos_att_type is ${JSON.stringify(a.positionTerms)}${
                  a.positionTerms.length === 0 ? " (no relative attention)" : ""
                }, so its heads have no ${n} term.`,
              ),
            );
          const canvas = h("canvas", {
            width: c * L,
            height: c * L,
            "data-term": n,
            "data-cell": c,
            "aria-label": `${n} term heatmap`,
          });
          paint(canvas, s, L, c, 0, (v) => diverging(v / maxAbs));
          canvas.addEventListener("mousemove", (ev) => {
            const r = canvas.getBoundingClientRect();
            const i = Math.floor(((ev.clientY - r.top) * (canvas.height / r.height)) / c);
            const j = Math.floor(((ev.clientX - r.left) * (canvas.width / r.width)) / c);
            if (i < 0 || j < 0 || i >= L || j >= L) return;
            const v = s[i * L + j]!;
            Object.assign(termHover.dataset, {
              term: n,
              layer: String(sel.layer),
              head: String(sel.head),
              query: String(i),
              key: String(j),
              value: String(v),
            });
            termHover.textContent = `${n}, query ${i} ${JSON.stringify(tokens[i])} → key ${j} ${JSON.stringify(tokens[j])}: ${v.toPrecision(6)}`;
          });
          const share = (sums.get(n) ?? 0) / total;
          return h(
            "figure",
            { "data-term": n, "data-share": share },
            canvas,
            h("figcaption", {}, `${n}: ${fmt(share * 100, 1)}% of the total`),
          );
        }),
      ),
      termHover,
    );
  }

  big.addEventListener("mousemove", (ev) => {
    const r = big.getBoundingClientRect();
    const x = (ev.clientX - r.left) * (big.width / r.width) - margin;
    const y = (ev.clientY - r.top) * (big.height / r.height) - margin;
    const i = Math.floor(y / cell);
    const j = Math.floor(x / cell);
    if (x < 0 || y < 0 || i >= L || j >= L) return;
    const v = headSlice(a.probs[sel.layer]!, sel.head, L)[i * L + j]!;
    hover.dataset.query = String(i);
    hover.dataset.key = String(j);
    hover.dataset.value = String(v);
    hover.textContent = `query ${i} ${JSON.stringify(tokens[i])} → key ${j} ${JSON.stringify(tokens[j])}: ${v.toPrecision(6)}`;
  });

  root.append(
    grid,
    caption,
    h(
      "div",
      { className: "attn-main" },
      big,
      h("div", {}, hover, stats, h("h4", {}, "Relative-distance profile"), profile),
    ),
    split,
  );
  drawSelected();

  onExportReady({
    png: () =>
      new Promise<Blob>((resolve, reject) => {
        // The large heatmap with its labels and, under it, the distance profile.
        const out = h("canvas", {
          width: Math.max(big.width, profile.width),
          height: big.height + profile.height + 30,
        });
        const ctx = out.getContext("2d")!;
        ctx.fillStyle = "#fff";
        ctx.fillRect(0, 0, out.width, out.height);
        ctx.fillStyle = "#1d2330";
        ctx.font = "14px system-ui";
        ctx.fillText(`Layer ${sel.layer}, head ${sel.head}`, 4, 16);
        ctx.drawImage(big, 0, 0);
        ctx.drawImage(profile, 0, big.height + 30);
        out.toBlob((b) => (b ? resolve(b) : reject(new Error("the canvas gave no PNG"))), "image/png");
      }),
    json: () =>
      JSON.stringify({
        tokens: a.tokens.tokens,
        text: a.tokens.text,
        text_pair: a.tokens.text_pair,
        layers: a.layers,
        heads: a.heads,
        length: L,
        selected: { ...sel },
        entropy: entropies,
        distance_profile: distanceProfile(headSlice(a.probs[sel.layer]!, sel.head, L), L),
        attentions: a.probs.map((layer) =>
          Array.from({ length: a.heads }, (_, hd) =>
            Array.from({ length: L }, (_, i) =>
              Array.from(layer.subarray((hd * L + i) * L, (hd * L + i + 1) * L)),
            ),
          ),
        ),
      }),
  });
}

export interface Exporter {
  png: () => Promise<Blob>;
  json: () => string;
}
