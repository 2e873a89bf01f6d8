// Checkpoints that would run code under torch.load: each is refused with a typed error, and nothing runs.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readWeightsFile } from "./read-weights.js";
import {
  concat,
  expectWeightsError,
  legacyPreamble,
  PickleBuilder,
  torchLegacy,
  torchZip,
} from "./test-support.js";
import { readTorchBin } from "./torch-bin.js";

const FILE = "ckpt/pytorch_model.bin";

/** `module.name("touch <marker>")` as a protocol 2 pickle. */
function exploit(module: string, name: string, marker: string): Uint8Array {
  return new PickleBuilder()
    .proto(2)
    .global(module, name)
    .str(`touch ${marker}`)
    .raw(0x85)
    .reduce()
    .stop()
    .bytes();
}

describe("malicious pytorch_model.bin files are refused and nothing is executed", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "deberta-hub-bin-"));
  const marker = path.join(dir, "pwned");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const variants: Record<string, (pickle: Uint8Array) => Uint8Array> = {
    "a bare pickle": (pickle) => pickle,
    "a torch zip's data.pkl": (pickle) => torchZip([], new Map(), { pickle }),
    "a legacy checkpoint's state dict": (pickle) => torchLegacy([], [], { pickle }),
    "a legacy checkpoint's sys_info": (pickle) => concat(legacyPreamble().subarray(0, 21), pickle),
  };

  for (const [module, name] of [
    ["os", "system"],
    ["builtins", "eval"],
    ["posix", "system"],
    ["subprocess", "Popen"],
  ] as const) {
    it.each(Object.keys(variants))(`${module}.${name} in %s`, async (variant) => {
      const bytes = variants[variant]!(exploit(module, name, marker));
      const file = path.join(dir, "pytorch_model.bin");
      writeFileSync(file, bytes);
      await expectWeightsError(
        () => readWeightsFile(file),
        "WEIGHTS_UNSAFE_PICKLE",
        file,
        `${module}.${name}`,
        /nothing was imported or executed/,
      );
      await expectWeightsError(
        () => readTorchBin(bytes, FILE),
        "WEIGHTS_UNSAFE_PICKLE",
        FILE,
        `${module}.${name}`,
      );
      expect(existsSync(marker)).toBe(false);
    });
  }

  it("a forbidden global hidden inside a tensor's rebuild arguments", async () => {
    const pickle = new PickleBuilder()
      .proto(2)
      .raw(0x7d)
      .str("w")
      .global("torch._utils", "_rebuild_tensor_v2")
      .mark()
      .global("os", "system")
      .str(`touch ${marker}`)
      .raw(0x85)
      .reduce()
      .int(0)
      .intTuple([1])
      .intTuple([1])
      .tuple()
      .reduce()
      .raw(0x73)
      .stop()
      .bytes();
    await expectWeightsError(
      () => readTorchBin(torchZip([], new Map(), { pickle }), FILE),
      "WEIGHTS_UNSAFE_PICKLE",
      FILE,
      "os.system",
    );
    expect(existsSync(marker)).toBe(false);
  });

  it("a tensor whose storage is not a persistent storage (a forged tuple)", async () => {
    const pickle = new PickleBuilder()
      .proto(2)
      .raw(0x7d)
      .str("w")
      .global("torch._utils", "_rebuild_tensor_v2")
      .mark()
      .mark()
      .str("storage")
      .tuple()
      .int(0)
      .intTuple([1])
      .intTuple([1])
      .tuple()
      .reduce()
      .raw(0x73)
      .stop()
      .bytes();
    await expectWeightsError(
      () => readTorchBin(torchZip([], new Map(), { pickle }), FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      "torch._utils._rebuild_tensor_v2",
      /not a persistent storage/,
    );
  });
});
