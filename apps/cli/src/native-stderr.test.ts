// The stderr filter that keeps Dawn's native warnings off the user's terminal, on a stand-in child process
// that writes what Dawn and the CLI write: noise lines, real errors, and a progress bar redrawn with "\r".
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { isDawnNoise, mayCreateWebGpuDevice, runWithFilteredStderr } from "./native-stderr.js";

const noise =
  "Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.";

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

describe("native stderr filter", () => {
  it("recognises Dawn's limit warnings and nothing else", () => {
    expect(isDawnNoise(noise)).toBe(true);
    expect(isDawnNoise("Warning: model has no pooler\n")).toBe(false);
    expect(isDawnNoise("deberta: HeadError HEAD_INPUT: input_ids is required\n")).toBe(false);
  });

  it("filters only when a WebGPU device may be created and --verbose is not given", () => {
    expect(mayCreateWebGpuDevice(["env"])).toBe(true);
    expect(mayCreateWebGpuDevice(["env", "--verbose"])).toBe(false);
    expect(mayCreateWebGpuDevice(["run", "--task", "fill-mask", "--device", "webgpu"])).toBe(true);
    expect(mayCreateWebGpuDevice(["run", "--device=webgpu"])).toBe(true);
    expect(mayCreateWebGpuDevice(["run", "--device", "cpu"])).toBe(false);
    expect(mayCreateWebGpuDevice(["run", "--device", "webgpu", "--help"])).toBe(false);
    expect(mayCreateWebGpuDevice(["download", "org/name"])).toBe(false);
  });

  it("drops the noise, passes everything else through (partial progress lines too) and keeps the exit code", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "deberta-stderr-"));
    const script = path.join(dir, "child.mjs");
    writeFileSync(
      script,
      [
        `process.stderr.write(${JSON.stringify(`${noise}\n`)});`,
        `process.stderr.write("\\rdownloading [##....] 33%");`,
        `process.stderr.write(${JSON.stringify(`\r\x1b[2K${noise.replace("Uniform", "Storage")}\n`)});`,
        `process.stderr.write("deberta: a real error\\n");`,
        `process.stderr.write(${JSON.stringify(noise)});`,
        "process.exitCode = 3;",
      ].join("\n"),
    );
    const out = sink();
    const code = await runWithFilteredStderr([], { script, sink: out.stream });
    expect(code).toBe(3);
    expect(out.text()).not.toMatch(/artificially reduced/);
    expect(out.text()).toContain("\rdownloading [##....] 33%");
    expect(out.text()).toContain("deberta: a real error\n");
  });
});
