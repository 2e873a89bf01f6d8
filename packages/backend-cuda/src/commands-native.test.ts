// native/commands.cc reads the command lists src/commands.ts writes: compiled here with g++ against a
// harness whose fake driver entry points print what they receive (test/native/commands-harness.cc).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type BlasLtCommand, CommandList } from "./commands.js";
import { Params } from "./params.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cxx = process.env.CXX ?? "g++";
const hasCxx = spawnSync(cxx, ["--version"]).status === 0;
const work = mkdtempSync(path.join(tmpdir(), "deberta-cuda-commands-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let harness: string | undefined;
// Built with AddressSanitizer + UndefinedBehaviorSanitizer (any report fatal) where the compiler has their
// runtimes, as the CPU addon's sanitizer run; plainly otherwise.
const SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-g"];
function build(): string {
  if (harness !== undefined) return harness;
  const out = path.join(work, "harness");
  const args = [
    "-std=c++17",
    "-fno-exceptions",
    "-Wall",
    "-Werror",
    `-I${path.join(root, "native")}`,
    path.join(root, "native", "commands.cc"),
    path.join(root, "test", "native", "commands-harness.cc"),
    "-o",
    out,
  ];
  if (spawnSync(cxx, [...SANITIZE, ...args]).status !== 0) execFileSync(cxx, args);
  harness = out;
  return harness;
}

function run(list: CommandList, mode: number, id: number, failAt?: number): string[] {
  const file = path.join(work, `list-${mode}-${id}-${failAt ?? 0}.bin`);
  writeFileSync(file, list.encoded());
  const args = [file, String(mode), String(id), ...(failAt === undefined ? [] : [String(failAt)])];
  const env = { ...process.env, ASAN_OPTIONS: "detect_leaks=0:halt_on_error=1" };
  return execFileSync(build(), args, { encoding: "utf8", env }).trim().split("\n");
}

const origin = { op: "t", what: "t" };
const gemm: BlasLtCommand = {
  transa: 1,
  transb: 0,
  m: 64,
  n: 8,
  k: 32,
  a: 2 ** 40,
  lda: 32,
  strideA: 0,
  b: 2 ** 40 + 4096,
  ldb: 32,
  strideB: 0,
  d: 2 ** 41,
  ldd: 64,
  strideD: 0,
  batch: 1,
  bias: 2 ** 41 + 1024,
  dataType: 2,
  computeType: 68,
};

function sample(): CommandList {
  const list = new CommandList();
  // 24 parameter bytes (a pointer, four int32), passed exactly: no padding after the last one.
  list.launch(
    2,
    [3, 1, 1],
    [256, 1, 1],
    0,
    new Params()
      .ptr(2 ** 33)
      .i32(5)
      .i32(6)
      .i32(-1)
      .i32(9)
      .finish(),
    origin,
  );
  list.blasLt(gemm, origin);
  list.memsetD32(2 ** 36, 0xff800000, 10, origin);
  list.copyDtoD(2 ** 36 + 64, 2 ** 36, 40, origin);
  return list;
}

describe.skipIf(!hasCxx)(`native/commands.cc${hasCxx ? "" : ` — skipped: no C++ compiler (${cxx})`}`, () => {
  it("issues every command as recorded, the launch's parameter buffer exactly as packed", () => {
    const lines = run(sample(), 0, 0);
    const params = Array.from(
      new Params()
        .ptr(2 ** 33)
        .i32(5)
        .i32(6)
        .i32(-1)
        .i32(9)
        .finish(),
    ).join(" ");
    expect(lines).toEqual([
      `launch 102 3 1 1 256 1 1 0 params ${params}`,
      `blaslt 1 0 64 8 32 ${2 ** 40} 32 0 ${2 ** 40 + 4096} 32 0 ${2 ** 41} 64 0 1 ${2 ** 41 + 1024} 2 68`,
      `memset ${2 ** 36} ${0xff800000} 10`,
      `copy ${2 ** 36 + 64} ${2 ** 36} 40`,
      "status 0 failed 0 graphs 0",
    ]);
    expect(params.split(" ")).toHaveLength(24);
  });

  it("captures into a graph (thread-local mode, cuBLASLt ready first), launches and replays it", () => {
    const lines = run(sample(), 1, 7);
    expect(lines[0]).toBe("ensureBlasLt");
    expect(lines[1]).toBe("beginCapture 1");
    expect(lines.slice(6)).toEqual([
      "endCapture",
      "instantiate",
      "graphDestroy",
      `graphLaunch ${0x88}`,
      "status 0 failed 0 graphs 1",
      `graphLaunch ${0x88}`,
      "replay 0",
      "execDestroy",
    ]);
  });

  it("ends a capture whose command failed, keeps no graph, and reports the failing command", () => {
    const lines = run(sample(), 1, 7, 3);
    expect(lines.slice(-4)).toEqual([
      `memset ${2 ** 36} ${0xff800000} 10`,
      "endCapture",
      "graphDestroy",
      "status 719 failed 2 graphs 0",
    ]);
    expect(lines).not.toContain("instantiate");
    expect(run(sample(), 0, 0, 2).at(-1)).toBe("status 719 failed 1 graphs 0");
  });

  it("refuses malformed lists before issuing anything", () => {
    const list = sample();
    const bytes = list.encoded();
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(8, 3, true); // function 3 of 3
    expect(run(list, 0, 0)).toEqual(["status 99005 failed 0 graphs 0"]);
    const truncated = new CommandList();
    truncated.copyDtoD(8, 16, 4, origin);
    const cut = truncated.encoded();
    new DataView(cut.buffer, cut.byteOffset).setUint32(4, 24, true);
    expect(run(truncated, 0, 0)).toEqual(["status 99005 failed 0 graphs 0"]);
    expect(run(new CommandList(), 2, 5)).toEqual(["status 99007 failed 0 graphs 0"]);
  });
});
