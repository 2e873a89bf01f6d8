// The deberta command end to end, as a spawned process: JSON lines in, JSON lines out, exit codes, errors
// naming the line, --on-error, --help. Runs dist/cli.js (turbo builds before testing) on the demo model.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { probeCuda } from "@deberta/backend-cuda";
import { describe, expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, "../dist/cli.js");
const demo = path.resolve(here, "../../../examples/demo-model");
const fixtures = process.env.DEBERTA_FIXTURES ?? path.resolve(here, "../../../../shared/fixtures");

function deberta(args: string[], stdin = "", env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], {
    input: stdin,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, HF_HUB_OFFLINE: "1", ...env },
  });
  return {
    code: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    lines: r.stdout.split("\n").filter((l) => l.length > 0),
  };
}

const cuda = await probeCuda();

const pair = JSON.stringify({
  text: "A soccer game with multiple males playing.",
  text_pair: "Some men are playing a sport.",
});

describe("deberta (built CLI)", () => {
  it("is built (turbo runs the build before the tests)", () => {
    expect(existsSync(cli), cli).toBe(true);
  });

  it("prints help and version", () => {
    const help = deberta(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: deberta <command>");
    for (const command of ["run", "serve", "download", "env", "bench"]) {
      const r = deberta([command, "--help"]);
      expect(r.code, command).toBe(0);
      expect(r.stdout).toContain(`Usage: deberta ${command}`);
    }
    expect(deberta(["--version"]).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("exits 2 on bad usage, with the reason on stderr and nothing on stdout", () => {
    for (const args of [
      [],
      ["frobnicate"],
      ["run", "--model", demo],
      ["run", "--task", "nope", "--model", demo],
      ["run", "--task", "fill-mask", "--model", demo, "--batch-size", "0"],
      ["run", "--task", "fill-mask", "--model", demo, "--on-error", "maybe"],
    ]) {
      const r = deberta(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.length).toBeGreaterThan(0);
    }
  });

  it("classifies a pair per JSON line, one result per line, same as a single call", () => {
    const r = deberta(["run", "--task", "text-classification", "--model", demo], `${pair}\n${pair}\n`);
    expect(r.code).toBe(0);
    expect(r.lines).toHaveLength(2);
    const first = JSON.parse(r.lines[0]!);
    expect(Object.keys(first).sort()).toEqual(["label", "score"]);
    expect(["contradiction", "neutral", "entailment"]).toContain(first.label);
    expect(r.lines[1]).toBe(r.lines[0]);
  });

  it("gives the same line results whatever --batch-size is", () => {
    const input = [
      pair,
      JSON.stringify("Hello world"),
      JSON.stringify({ text: "Hello world", top_k: 2 }),
      JSON.stringify("Another line"),
    ].join("\n");
    const one = deberta(["run", "--task", "text-classification", "--model", demo], input);
    const three = deberta(
      ["run", "--task", "text-classification", "--model", demo, "--batch-size", "3"],
      input,
    );
    expect(one.code).toBe(0);
    expect(three.code).toBe(0);
    expect(three.lines).toHaveLength(4);
    const parsed = (lines: string[]) => lines.map((l) => JSON.parse(l));
    const a = parsed(one.lines);
    const b = parsed(three.lines);
    for (let i = 0; i < 4; i++)
      expect(JSON.stringify(b[i], (_, v) => (typeof v === "number" ? Number(v.toFixed(6)) : v))).toBe(
        JSON.stringify(a[i], (_, v) => (typeof v === "number" ? Number(v.toFixed(6)) : v)),
      );
    expect(Array.isArray(a[2])).toBe(true);
  });

  it("names the bad line; stop (default) stops with exit 1", () => {
    const r = deberta(["run", "--task", "text-classification", "--model", demo], `${pair}\n{oops\n${pair}\n`);
    expect(r.code).toBe(1);
    expect(r.lines).toHaveLength(1);
    expect(r.stderr).toMatch(/line 2: invalid JSON/);
  });

  it("skip goes on and exits 1; report also writes an error object in the line's place", () => {
    const input = `${pair}\n{oops\n{"text_pair": "no text"}\n${pair}\n`;
    const skip = deberta(
      ["run", "--task", "text-classification", "--model", demo, "--on-error", "skip"],
      input,
    );
    expect(skip.code).toBe(1);
    expect(skip.lines).toHaveLength(2);
    expect(skip.stderr).toMatch(/line 2: invalid JSON/);
    expect(skip.stderr).toMatch(/line 3: missing "text"/);
    const report = deberta(
      ["run", "--task", "text-classification", "--model", demo, "--on-error", "report"],
      input,
    );
    expect(report.code).toBe(1);
    expect(report.lines).toHaveLength(4);
    expect(JSON.parse(report.lines[1]!)).toEqual({
      error: { line: 2, message: expect.stringContaining("invalid JSON") },
    });
    expect(JSON.parse(report.lines[2]!).error.line).toBe(3);
  });

  it("reads --input files and runs other tasks", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "deberta-cli-"));
    const file = path.join(dir, "in.jsonl");
    writeFileSync(
      file,
      `${JSON.stringify({ text: "A soccer game.", candidate_labels: ["sport", "politics"] })}\n`,
    );
    const zs = deberta(["run", "--task", "zero-shot-classification", "--model", demo, "--input", file]);
    expect(zs.code).toBe(0);
    const out = JSON.parse(zs.lines[0]!);
    expect(out.sequence).toBe("A soccer game.");
    expect([...out.labels].sort()).toEqual(["politics", "sport"]);
    const mlm = path.join(fixtures, "models", "base-like", "mlm");
    const fill = deberta(
      ["run", "--task", "fill-mask", "--model", mlm],
      `${JSON.stringify({ text: "The capital of France is [MASK].", top_k: 2 })}\n`,
    );
    expect(fill.code, fill.stderr).toBe(0);
    expect(JSON.parse(fill.lines[0]!)).toHaveLength(2);
  });

  it("fails with exit 1 and a clear message for a model that does not exist", () => {
    const r = deberta(
      ["run", "--task", "text-classification", "--model", path.join(tmpdir(), "no-such-model-folder")],
      `${pair}\n`,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no-such-model-folder/);
  });

  it("env reports every backend: available with what it runs on, or why not", () => {
    const r = deberta(["env"]);
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith("}\n"), JSON.stringify(r.stdout.slice(-20))).toBe(true);
    // Dawn's native warnings about the adapter's limits stay off the terminal unless --verbose asks.
    expect(r.stderr).not.toMatch(/artificially reduced/);
    const env = JSON.parse(r.stdout);
    expect(env.backends.cpu.available).toBe(true);
    // WebGPU depends on the machine's Vulkan driver (none, a GPU's, or a software one in CI).
    const webgpu = env.backends.webgpu;
    if (webgpu.available) expect(webgpu.adapter.vendor, JSON.stringify(webgpu)).toEqual(expect.any(String));
    else expect(webgpu.reason).toMatch(/adapter|Vulkan|webgpu/);
    // CUDA from its probe, once (not one entry per registered "cuda:N"): the GPUs, or why not.
    expect(Object.keys(env.backends).filter((k) => k.startsWith("cuda"))).toEqual(["cuda"]);
    if (cuda.available)
      expect(env.backends.cuda.gpus[0].name, JSON.stringify(env.backends.cuda)).toBe(cuda.devices[0]!.name);
    else expect(env.backends.cuda).toMatchObject({ available: false, reason: cuda.reason, gpus: [] });
  });

  for (const device of ["0", "cuda", "cuda:1"]) {
    it.skipIf(cuda.available)(
      `run --device ${device} without a usable GPU exits 3 saying why${cuda.available ? " — skipped: this machine has a GPU" : ""}`,
      () => {
        const r = deberta(
          ["run", "--task", "text-classification", "--model", demo, "--device", device],
          `${pair}\n`,
        );
        expect(r.code, r.stderr).toBe(3);
        expect(r.stdout).toBe("");
        const name = device === "0" ? "cuda" : device;
        expect(r.stderr).toBe(
          `deberta: --device ${device} cannot be used here: backend "${name}": ${cuda.reason}. Run "deberta env" to see what this machine offers; --device cpu runs on the CPU.\n`,
        );
      },
    );
  }

  it("run --device with a device nothing registers exits 3 naming the package to install", () => {
    const r = deberta(
      ["run", "--task", "text-classification", "--model", demo, "--device", "tpu"],
      `${pair}\n`,
    );
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^deberta: --device tpu cannot be used here: no backend "tpu" is registered/);
  });

  it("bench prints a JSON timing", () => {
    const r = deberta(["bench", "--model", demo, "--length", "16", "--repeats", "2"]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.medianMs).toBeGreaterThan(0);
    expect(result.length).toBe(16);
  });
});
