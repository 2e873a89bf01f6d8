// Property runs over random and mutated pickle opcode streams, through the public readers (the unpickler
// itself, and pytorch_model.bin in both torch.save formats): every case ends in a value or a WeightsError with
// a code, and no global outside the whitelist ever reaches the value. Seeded, so every run replays the same
// cases.
import { describe, expect, it } from "vitest";
import { fuzz, type Rng } from "./fuzz-support.js";
import { PickleGlobal, unpickle } from "./pickle.js";
import {
  concat,
  expectWeightsError,
  legacyPreamble,
  stateDictPickle,
  type TorchTensorSpec,
  torchLegacy,
  torchZip,
} from "./test-support.js";
import { readTorchBin, TORCH_GLOBALS, TORCH_REFUSALS } from "./torch-bin.js";

const CASES = 10_000;
const FILE = "fuzz/pytorch_model.bin";
const encoder = new TextEncoder();

/** Module and name pairs for GLOBAL, INST and STACK_GLOBAL: whitelisted, refused, dangerous, malformed. */
const GLOBAL_NAMES: readonly (readonly [string, string])[] = [
  ...[...TORCH_GLOBALS.keys(), ...TORCH_REFUSALS.keys()].map((q) => {
    const dot = q.lastIndexOf(".");
    return [q.slice(0, dot), q.slice(dot + 1)] as const;
  }),
  ["os", "system"],
  ["builtins", "eval"],
  ["builtins", "exec"],
  ["builtins", "getattr"],
  ["__builtin__", "__import__"],
  ["subprocess", "Popen"],
  ["torch", "tensor"],
  ["collections", "__proto__"],
  ["", ""],
  ["constructor", "prototype"],
  ["a\u00ff", "b c"],
];

function le(value: number | bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = BigInt.asUintN(bytes * 8, BigInt(value));
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** A length field of `size` bytes followed by that many bytes, or a lying (often huge) length. */
function counted(rng: Rng, size: number): Uint8Array {
  const body = rng.bytes(rng.below(12));
  if (rng.chance(0.7)) return concat(le(body.length, size), body);
  return concat(le(rng.edgyInt(), size), body);
}

function line(rng: Rng): Uint8Array {
  const text = rng.pick([
    String(rng.edgyInt()),
    `${rng.edgyInt()}L`,
    "01",
    "00",
    "1.5",
    "nan",
    "-inf",
    "'abc'",
    '"\\x4"',
    "'\\",
    "\\u12",
    "\\U0010ffff",
    "",
    "x".repeat(rng.below(40)),
  ]);
  return encoder.encode(rng.chance(0.95) ? `${text}\n` : text);
}

function globalArg(rng: Rng): Uint8Array {
  const [module, name] = rng.pick(GLOBAL_NAMES);
  return rng.chance(0.95) ? encoder.encode(`${module}\n${name}\n`) : encoder.encode(`${module}\n${name}`);
}

const NO_ARG = [
  0x2e, 0x28, 0x29, 0x5d, 0x7d, 0x8f, 0x90, 0x91, 0x4e, 0x88, 0x89, 0x74, 0x85, 0x86, 0x87, 0x61, 0x65, 0x73,
  0x75, 0x6c, 0x64, 0x94, 0x93, 0x52, 0x62, 0x81, 0x92, 0x6f, 0x51, 0x30, 0x31, 0x32, 0x97, 0x98,
];

/** One opcode with a plausible (or deliberately broken) argument. */
function randomOp(rng: Rng): Uint8Array {
  switch (rng.below(14)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return Uint8Array.of(rng.pick(NO_ARG));
    case 4:
      return concat([rng.pick([0x63, 0x69])], globalArg(rng));
    case 5: {
      const [module, name] = rng.pick(GLOBAL_NAMES);
      return concat(
        [0x8c, module.length],
        encoder.encode(module),
        [0x8c, name.length],
        encoder.encode(name),
        [0x93],
      );
    }
    case 6:
      return concat([rng.pick([0x4b, 0x68, 0x71, 0x55, 0x43, 0x8c, 0x82, 0x80])], [rng.below(256)]);
    case 7:
      return concat([rng.pick([0x4a, 0x6a, 0x72, 0x58, 0x42, 0x54, 0x84])], le(rng.edgyInt(), 4));
    case 8:
      return concat([rng.pick([0x4d, 0x83])], rng.bytes(2));
    case 9:
      return concat([rng.pick([0x8a, 0x8b])], counted(rng, rng.chance(0.5) ? 1 : 4));
    case 10:
      return concat([rng.pick([0x8d, 0x8e, 0x96, 0x95])], counted(rng, 8));
    case 11:
      return concat([rng.pick([0x58, 0x42, 0x54])], counted(rng, 4));
    case 12:
      return concat([rng.pick([0x47])], rng.bytes(8));
    default:
      return concat([rng.pick([0x49, 0x4c, 0x46, 0x53, 0x56, 0x70, 0x67, 0x50])], line(rng));
  }
}

/** Deeply nested lists, tuples or marks: the interpreter must not recurse, nor the value walk below. */
function deepNesting(rng: Rng): Uint8Array {
  const depth = 1 + rng.below(20_000);
  const parts: Uint8Array[] = [Uint8Array.of(0x80, 2)];
  switch (rng.below(4)) {
    case 0: // [[[...]]]
      parts.push(new Uint8Array(depth).fill(0x5d), new Uint8Array(depth - 1).fill(0x61));
      break;
    case 1: // ((((x,),),),)
      parts.push(Uint8Array.of(0x4e), new Uint8Array(depth).fill(0x85));
      break;
    case 2: // MARK MARK MARK ... TUPLE TUPLE ...
      parts.push(new Uint8Array(depth).fill(0x28), new Uint8Array(rng.below(depth + 2)).fill(0x74));
      break;
    default: // a list that contains itself, appended again and again
      parts.push(
        Uint8Array.of(0x5d, 0x71, 0),
        ...Array.from({ length: 1 + rng.below(50) }, () => Uint8Array.of(0x68, 0, 0x61)),
      );
  }
  parts.push(Uint8Array.of(0x2e));
  return concat(...parts);
}

function randomStream(rng: Rng): Uint8Array {
  if (rng.chance(0.05)) return deepNesting(rng);
  const ops: Uint8Array[] = rng.chance(0.8) ? [Uint8Array.of(0x80, rng.pick([2, 2, 4, 5, 0, 255]))] : [];
  for (let n = rng.below(40); n > 0; n--) ops.push(randomOp(rng));
  if (rng.chance(0.9)) ops.push(Uint8Array.of(0x2e));
  return concat(...ops);
}

const SPECS: TorchTensorSpec[] = [
  {
    name: "a.weight",
    storageType: "FloatStorage",
    key: "0",
    numel: 6,
    offset: 0,
    size: [2, 3],
    stride: [3, 1],
  },
  {
    name: "a.bias",
    storageType: "HalfStorage",
    key: "1",
    numel: 4,
    offset: 1,
    size: [3],
    stride: [1],
    parameter: true,
  },
];

/** A valid state dict pickle with a few bytes changed, cut short, or spliced with random opcodes. */
function mutatedStateDict(rng: Rng, legacy: boolean): Uint8Array {
  const bytes = stateDictPickle(SPECS, legacy).slice();
  switch (rng.below(3)) {
    case 0:
      for (let n = 1 + rng.below(3); n > 0; n--) bytes[rng.below(bytes.length)] = rng.below(256);
      return bytes;
    case 1:
      return bytes.subarray(0, rng.below(bytes.length));
    default: {
      const at = rng.below(bytes.length);
      return concat(bytes.subarray(0, at), randomOp(rng), bytes.subarray(at));
    }
  }
}

/** Checks that no global outside the whitelist reached the value (iteratively: values may nest deeply or loop). */
function expectOnlyWhitelistedGlobals(value: unknown): void {
  const seen = new Set<unknown>();
  const todo: unknown[] = [value];
  while (todo.length > 0) {
    const v = todo.pop();
    if (typeof v !== "object" || v === null || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof PickleGlobal) expect(TORCH_GLOBALS.has(v.qualifiedName), v.qualifiedName).toBe(true);
    else if (Array.isArray(v) || v instanceof Set) todo.push(...v);
    else if (v instanceof Map) for (const [k, x] of v) todo.push(k, x);
  }
}

describe("pickle readers under fuzzing (10,000 seeded cases each)", () => {
  it("unpickle with the torch whitelist: random opcode streams", async () => {
    const outcome = await fuzz(0x91c_c1e, CASES, randomStream, (bytes) => {
      const { value } = unpickle(bytes, { file: FILE, globals: TORCH_GLOBALS, refusals: TORCH_REFUSALS });
      expectOnlyWhitelistedGlobals(value);
    });
    expect(outcome.values).toBeGreaterThan(50);
    expect(outcome.errors.get("WEIGHTS_CORRUPT")).toBeGreaterThan(1000);
    expect(outcome.errors.get("WEIGHTS_UNSAFE_PICKLE")).toBeGreaterThan(50);
  }, 60_000);

  it("readTorchBin: legacy and zip checkpoints around random and mutated state dict pickles", async () => {
    const storages = new Map([
      ["0", new Uint8Array(24)],
      ["1", new Uint8Array(8)],
    ]);
    const outcome = await fuzz(
      0x7_0c4b,
      CASES,
      (rng) => {
        const legacy = rng.chance(0.5);
        const pickle = rng.chance(0.5) ? mutatedStateDict(rng, legacy) : randomStream(rng);
        if (!legacy) return torchZip([], storages, { pickle });
        const records: [string, number, Uint8Array][] = [
          ["0", 6, new Uint8Array(24)],
          ["1", 4, new Uint8Array(8)],
        ];
        if (rng.chance(0.8)) return torchLegacy([], records, { pickle });
        // A damaged preamble too.
        return concat(
          mutatedStateDict(rng, true).subarray(0, 0),
          legacyPreamble().subarray(0, rng.below(60)),
          pickle,
        );
      },
      (bytes) => {
        for (const [key, tensor] of readTorchBin(bytes, FILE)) {
          expect(tensor.data.length, key).toBe(tensor.shape.reduce((a, b) => a * b, 1));
        }
      },
    );
    // Few random pickles are state dicts, but some must be, else the tensor path goes untested.
    expect(outcome.values).toBeGreaterThan(20);
    expect(outcome.errors.get("WEIGHTS_CORRUPT")).toBeGreaterThan(1000);
  }, 60_000);
});

// Cases the fuzzer found: each was a RangeError or TypeError from an error message that printed the value.
describe("pickled values named in error messages", () => {
  const nested = (depth: number) =>
    concat([0x80, 2], new Uint8Array(depth).fill(0x5d), new Uint8Array(depth - 1).fill(0x61), [0x2e]);
  const bigintKeyDict = () => concat([0x80, 2, 0x7d, 0x8a, 9], new Uint8Array(8), [1, 0x4e, 0x73, 0x2e]);

  it("a legacy protocol version that is a list nested 10,000 deep: WEIGHTS_UNSUPPORTED", async () => {
    const magic = legacyPreamble().subarray(0, legacyPreamble().indexOf(0x2e) + 1);
    const error = await expectWeightsError(
      () => readTorchBin(concat(magic, nested(10_000)), FILE),
      "WEIGHTS_UNSUPPORTED",
      FILE,
    );
    expect(error.message).toContain("protocol version a list");
  });

  it("a state dict whose only key is a bigint: WEIGHTS_UNSUPPORTED naming the integer", async () => {
    const error = await expectWeightsError(
      () => readTorchBin(torchZip([], new Map(), { pickle: bigintKeyDict() }), FILE),
      "WEIGHTS_UNSUPPORTED",
      FILE,
    );
    expect(error.message).toContain("the integer 18446744073709551616");
  });

  it("a persistent id whose tag is a bigint or a self-containing list: WEIGHTS_UNSUPPORTED", async () => {
    // {"w": persistent_load(pid)} with pid = (2**64,) or a list that contains itself.
    const withPid = (pid: number[]) => concat([0x80, 2, 0x7d, 0x8c, 1, 0x77], pid, [0x51, 0x73, 0x2e]);
    for (const pid of [
      [0x8a, 9, ...new Uint8Array(8), 1, 0x85],
      [0x5d, 0x71, 0, 0x68, 0, 0x61],
    ]) {
      await expectWeightsError(
        () => readTorchBin(torchZip([], new Map(), { pickle: withPid(pid) }), FILE),
        "WEIGHTS_UNSUPPORTED",
        FILE,
      );
    }
  });
});
