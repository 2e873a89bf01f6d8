#!/usr/bin/env node
// The DeBERTa-v3-base-sized synthetic checkpoint for the v3 benchmark, written on demand into the git-ignored
// .synthetic/deberta-v3-base/ (about 740 MB; never committed):
//
//   node packages/heads/bench/make-synthetic-v3-base.mjs [--no-onnx]
//
// - config.json: microsoft/deberta-v3-base's configuration (model_type "deberta-v2"), DebertaV2Model.
// - model.safetensors: deterministic pseudo-random weights, written here in JavaScript (no Python needed).
//   Every tensor has its own generator (mulberry32 seeded from an FNV-1a hash of its key, so the values do not
//   depend on the order of the keys); values are N(0, 0.02) by Box-Muller, LayerNorm weights 1 + N(0, 0.02).
//   A real checkpoint would do as well, but none can be downloaded here, and uniform hash values (v1's
//   generator) are too regular for a 128k-row embedding.
// - onnx/model.onnx: the same weights exported by PyTorch from transformers' DebertaV2Model (legacy
//   TorchScript exporter; input_ids / attention_mask int64 -> last_hidden_state, dynamic batch and
//   sequence), by export-deberta-v2-onnx.py in a virtual environment this script makes under .synthetic/venv
//   with pip's own configuration (offline: a local package index). The export checks itself: onnxruntime
//   on the exported graph against PyTorch at a shape other than the traced one. Where Python, the packages or
//   the export are missing, `ensureSyntheticV3` reports why and the benchmark runs without its onnxruntime
//   anchor.
//
// Environment: DEBERTA_PYTHON (the interpreter that makes the venv; default python3).
import { spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { repoRoot } from "./synthetic.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
/** Git-ignored, like v1's synthetic checkpoint. */
export const syntheticV3Dir = path.join(repoRoot, ".synthetic", "deberta-v3-base");
export const venvDir = path.join(repoRoot, ".synthetic", "venv");
/** Bumped whenever the weights or the config change: a stale checkpoint (and its export) is rewritten. */
const GENERATOR = "deberta-v3-base-synthetic/1";
const PIP_PACKAGES = ["torch==2.13.0+cpu", "transformers==5.18.0", "safetensors", "onnx", "onnxruntime"];

/** microsoft/deberta-v3-base's config.json, with `pos_att_type` as the list transformers 5 writes. */
export const v3BaseConfig = {
  architectures: ["DebertaV2Model"],
  model_type: "deberta-v2",
  attention_probs_dropout_prob: 0.1,
  hidden_act: "gelu",
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  max_position_embeddings: 512,
  relative_attention: true,
  position_buckets: 256,
  norm_rel_ebd: "layer_norm",
  share_att_key: true,
  pos_att_type: ["p2c", "c2p"],
  layer_norm_eps: 1e-7,
  max_relative_positions: -1,
  position_biased_input: false,
  num_attention_heads: 12,
  num_hidden_layers: 12,
  type_vocab_size: 0,
  vocab_size: 128100,
  pad_token_id: 0,
  torch_dtype: "float32",
};

/** The checkpoint keys of transformers' DebertaV2Model for `config` (shared keys, no absolute positions). */
export function v3Parameters(config) {
  const h = config.hidden_size;
  const params = [
    ["embeddings.word_embeddings.weight", [config.vocab_size, h]],
    ["embeddings.LayerNorm.weight", [h]],
    ["embeddings.LayerNorm.bias", [h]],
  ];
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `encoder.layer.${l}.`;
    for (const proj of ["query_proj", "key_proj", "value_proj"])
      params.push([`${p}attention.self.${proj}.weight`, [h, h]], [`${p}attention.self.${proj}.bias`, [h]]);
    params.push(
      [`${p}attention.output.dense.weight`, [h, h]],
      [`${p}attention.output.dense.bias`, [h]],
      [`${p}attention.output.LayerNorm.weight`, [h]],
      [`${p}attention.output.LayerNorm.bias`, [h]],
      [`${p}intermediate.dense.weight`, [config.intermediate_size, h]],
      [`${p}intermediate.dense.bias`, [config.intermediate_size]],
      [`${p}output.dense.weight`, [h, config.intermediate_size]],
      [`${p}output.dense.bias`, [h]],
      [`${p}output.LayerNorm.weight`, [h]],
      [`${p}output.LayerNorm.bias`, [h]],
    );
  }
  params.push(
    ["encoder.rel_embeddings.weight", [2 * config.position_buckets, h]],
    ["encoder.LayerNorm.weight", [h]],
    ["encoder.LayerNorm.bias", [h]],
  );
  return params;
}

function fnv1a(text) {
  let x = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) x = Math.imul(x ^ text.charCodeAt(i), 0x01000193);
  return x >>> 0;
}

/** Fills `out` with the next N(mean, std) values of a Box-Muller stream over mulberry32 state `state[0]`. */
function fillNormal(out, state, mean, std) {
  const uniform = () => {
    state[0] = (state[0] + 0x6d2b79f5) | 0;
    let t = Math.imul(state[0] ^ (state[0] >>> 15), 1 | state[0]);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = 0; i < out.length; i += 2) {
    // 1 - u keeps the logarithm's argument in (0, 1].
    const r = Math.sqrt(-2 * Math.log(1 - uniform())) * std;
    const theta = 2 * Math.PI * uniform();
    out[i] = mean + r * Math.cos(theta);
    if (i + 1 < out.length) out[i + 1] = mean + r * Math.sin(theta);
  }
}

function writeSafetensors(file, params) {
  const header = {};
  let offset = 0;
  for (const [name, shape] of params) {
    const bytes = 4 * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  header.__metadata__ = { format: "pt", generator: GENERATOR };
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const partial = `${file}.partial`;
  const fd = openSync(partial, "w");
  try {
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    writeSync(fd, length);
    writeSync(fd, Buffer.from(json));
    // Chunks of 1M values keep the writer's memory small beside the 393 MB embedding.
    const chunk = new Float32Array(1 << 20);
    for (const [name, shape] of params) {
      const state = Int32Array.of(fnv1a(name) | 0);
      const mean = name.endsWith("LayerNorm.weight") ? 1 : 0;
      let left = shape.reduce((a, b) => a * b, 1);
      while (left > 0) {
        const part = chunk.subarray(0, Math.min(left, chunk.length));
        fillNormal(part, state, mean, 0.02);
        writeSync(fd, new Uint8Array(part.buffer, 0, part.byteLength));
        left -= part.length;
      }
    }
  } finally {
    closeSync(fd);
  }
  renameSync(partial, file);
  return offset;
}

const readJson = (file) => {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
};

/** Writes config.json and model.safetensors unless this generator's version of them is there. */
export function ensureV3Weights(dir = syntheticV3Dir) {
  const stamp = path.join(dir, "synthetic.json");
  if (readJson(stamp)?.generator === GENERATOR && existsSync(path.join(dir, "model.safetensors"))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  writeFileSync(path.join(dir, "config.json"), `${JSON.stringify(v3BaseConfig, null, 2)}\n`);
  const bytes = writeSafetensors(path.join(dir, "model.safetensors"), v3Parameters(v3BaseConfig));
  writeFileSync(stamp, `${JSON.stringify({ generator: GENERATOR, weightBytes: bytes }, null, 2)}\n`);
  process.stderr.write(
    `wrote ${dir}/model.safetensors (${(bytes / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  return dir;
}

/** Whether the venv's Python imports what the export needs; the failure's last line otherwise. */
function venvReady(python) {
  if (!existsSync(python)) return { ok: false, why: `no ${python}` };
  const r = spawnSync(
    python,
    [
      "-c",
      "import torch, transformers, safetensors, onnx, onnxruntime; print(torch.__version__, transformers.__version__)",
    ],
    { encoding: "utf8" },
  );
  if (r.status === 0) return { ok: true, versions: r.stdout.trim() };
  return { ok: false, why: lastLine(r.stderr) || `exit ${r.status}` };
}

const lastLine = (text) =>
  String(text ?? "")
    .trim()
    .split("\n")
    .pop();

/** The venv's python with torch, transformers and onnx; or why there is none. */
export function ensureVenv() {
  const python = path.join(venvDir, "bin", "python");
  if (venvReady(python).ok) return { python };
  const base = process.env.DEBERTA_PYTHON ?? "python3";
  process.stderr.write(`making ${venvDir} with ${base} (pip: ${PIP_PACKAGES.join(" ")})\n`);
  const venv = spawnSync(base, ["-m", "venv", venvDir], {
    encoding: "utf8",
    stdio: ["ignore", "inherit", "pipe"],
  });
  if (venv.error) return { reason: `${base} not found (set DEBERTA_PYTHON): ${venv.error.message}` };
  if (venv.status !== 0) return { reason: `${base} -m venv ${venvDir} failed: ${lastLine(venv.stderr)}` };
  // --retries 0: offline, pip's default index (pypi.org) fails at once instead of after 5 retries per
  // package (six minutes for this list); the local index of pip's configuration answers.
  const pip = spawnSync(python, ["-m", "pip", "install", "--retries", "0", ...PIP_PACKAGES], {
    encoding: "utf8",
    stdio: ["ignore", "inherit", "pipe"],
  });
  if (pip.status !== 0)
    return { reason: `pip install ${PIP_PACKAGES.join(" ")} failed in ${venvDir}: ${lastLine(pip.stderr)}` };
  const ready = venvReady(python);
  return ready.ok ? { python } : { reason: `the venv's packages do not import: ${ready.why}` };
}

/**
 * The checkpoint, and its ONNX export where one can be made here.
 * @returns {{ dir: string, onnx?: string, onnxSkipped?: string }}
 */
export function ensureSyntheticV3({ onnx = true } = {}) {
  const dir = ensureV3Weights();
  if (!onnx) return { dir, onnxSkipped: "not asked for (--no-onnx)" };
  const model = path.join(dir, "onnx", "model.onnx");
  const stamp = path.join(dir, "onnx", "export.json");
  if (readJson(stamp)?.generator === GENERATOR && existsSync(model)) return { dir, onnx: model };
  const venv = ensureVenv();
  if (venv.reason) return { dir, onnxSkipped: venv.reason };
  mkdirSync(path.dirname(model), { recursive: true });
  process.stderr.write(`exporting ${model} with PyTorch (transformers' DebertaV2Model)\n`);
  const t0 = performance.now();
  const r = spawnSync(venv.python, [path.join(here, "export-deberta-v2-onnx.py"), dir, model, GENERATOR], {
    encoding: "utf8",
    stdio: ["ignore", "inherit", "pipe"],
  });
  if (r.status !== 0) {
    process.stderr.write(r.stderr ?? "");
    return { dir, onnxSkipped: `the ONNX export failed: ${lastLine(r.stderr) || `exit ${r.status}`}` };
  }
  process.stderr.write(`exported in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  return { dir, onnx: model };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = ensureSyntheticV3({ onnx: !process.argv.includes("--no-onnx") });
  console.log(JSON.stringify(result, null, 2));
  if (result.onnxSkipped && !process.argv.includes("--no-onnx")) process.exitCode = 1;
}
