// `deberta serve` as a spawned process: its flags, the same answers as `deberta run` for the same JSON, SIGTERM
// exiting 0, and the exit codes of bad usage (2) and an unusable --device (3). The server itself is tested in
// @deberta/serve.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, "../dist/cli.js");
const demo = path.resolve(here, "../../../examples/demo-model");
const env = { ...process.env, HF_HUB_OFFLINE: "1" };

function run(args: string[], stdin = "") {
  const r = spawnSync(process.execPath, [cli, ...args], {
    input: stdin,
    encoding: "utf8",
    timeout: 120_000,
    env,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `deberta serve`; resolves with its URL once its log says it listens, and its exit. */
function serve(args: string[]): {
  child: ChildProcess;
  url: Promise<string>;
  exit: Promise<number | null>;
  stderr: () => string;
} {
  const child = spawn(process.execPath, [cli, "serve", "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  let stdout = "";
  let stderr = "";
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const match = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    child.on("exit", () => reject(new Error(`serve exited before listening: ${stderr}`)));
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, url, exit, stderr: () => stderr };
}

async function healthy(url: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (
      (await fetch(`${url}/health`).then(
        (r) => r.status,
        () => 0,
      )) === 200
    )
      return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the server did not become ready");
}

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: await r.json() }));

describe("deberta serve", () => {
  it("prints its help with every flag", () => {
    const r = run(["serve", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: deberta serve --model");
    for (const flag of [
      "--max-batch-tokens",
      "--max-batch-wait-ms",
      "--max-queue",
      "--host",
      "--port",
      "--device",
      "--task",
    ])
      expect(r.stdout).toContain(flag);
  });

  it("exits 2 on bad usage", () => {
    for (const args of [
      ["serve"],
      ["serve", "--model", demo, "--port", "eighty"],
      ["serve", "--model", demo, "--pooling", "max"],
      ["serve", "--model", demo, "--max-queue", "0"],
      ["serve", "--model", demo, "--log-level", "loud"],
      ["serve", "--model", demo, "--task", "translation", "--port", "0"],
    ]) {
      const r = run(args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^deberta: /);
    }
  });

  it("exits 3 when --device cannot be used here", async () => {
    const s = serve(["--model", demo, "--device", "tpu"]);
    expect(await s.exit).toBe(3);
    expect(s.stderr()).toMatch(/^deberta: --device tpu cannot be used here: no backend "tpu" is registered/);
  });

  it("answers as deberta run does for the same JSON, and exits 0 on SIGTERM", async () => {
    const s = serve(["--model", demo, "--max-batch-wait-ms", "1"]);
    try {
      const url = await s.url;
      await healthy(url);
      const line = {
        text: "A soccer game with multiple males playing.",
        text_pair: "Some men are playing a sport.",
      };
      const expected = JSON.parse(
        run(["run", "--task", "text-classification", "--model", demo], `${JSON.stringify(line)}\n`).stdout,
      );
      const viaPipelines = await post(`${url}/pipelines/text-classification`, line);
      expect(viaPipelines.status).toBe(200);
      expect(viaPipelines.body.label).toBe(expected.label);
      expect(Math.abs(viaPipelines.body.score - expected.score)).toBeLessThanOrEqual(1e-5);
      const predict = await post(`${url}/predict`, { inputs: [line.text, line.text_pair] });
      expect(predict.status).toBe(200);
      expect(predict.body[0].label).toBe(expected.label);
      const info = await fetch(`${url}/info`).then((r) => r.json());
      expect(info).toMatchObject({ device: "cpu", task: "text-classification", max_batch_wait_ms: 1 });
      s.child.kill("SIGTERM");
      expect(await s.exit).toBe(0);
    } finally {
      s.child.kill("SIGKILL");
    }
  });
});
