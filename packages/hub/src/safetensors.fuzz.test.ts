// Property runs over damaged and hostile safetensors files, through the public readers: every case ends in
// tensors or a WeightsError with a code, never another exception. Seeded, so every run replays the same cases.
import { describe, expect, it } from "vitest";
import { STORED_DTYPES, type StoredDtype, UNSUPPORTED_SAFETENSORS_DTYPES } from "./dtypes.js";
import { fuzz, type Rng } from "./fuzz-support.js";
import { readWeightsFromBuffer } from "./read-weights.js";
import { readSafetensors, readSafetensorsHeader } from "./safetensors.js";

const CASES = 10_000;
const FILE = "fuzz/model.safetensors";
const DTYPES = Object.keys(STORED_DTYPES) as StoredDtype[];
const ODD_STRINGS = [
  "",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "__metadata__",
  "F32 ",
  "f32",
  "\u0000",
  "\ud800",
  "x".repeat(300),
  ...UNSUPPORTED_SAFETENSORS_DTYPES,
];

function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.below(depth > 2 ? 6 : 8)) {
    case 0:
      return rng.edgyInt();
    case 1:
      return rng.pick([0.5, -0, 1e308, -1e308, 1e-300, 3.0000001]);
    case 2:
      return rng.pick(ODD_STRINGS);
    case 3:
      return rng.pick([null, true, false]);
    case 4:
      return rng.pick(DTYPES);
    case 5:
      return [];
    case 6:
      return Array.from({ length: rng.below(4) }, () => randomValue(rng, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: rng.below(3) }, () => [rng.pick(ODD_STRINGS), randomValue(rng, depth + 1)]),
      );
  }
}

/** A valid file of a few small tensors of random bytes, laid out as the reference writer does. */
function validFile(rng: Rng): Uint8Array {
  const header: Record<string, unknown> = {};
  if (rng.chance(0.3)) header.__metadata__ = { format: "pt" };
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (let t = rng.below(4); t >= 0; t--) {
    const dtype = rng.pick(DTYPES);
    const shape = Array.from({ length: rng.below(3) }, () => rng.below(4));
    const size = shape.reduce((a, b) => a * b, 1) * STORED_DTYPES[dtype].size;
    const name = `t${t}.${rng.pick(["weight", "bias", "__proto__", "constructor"])}`;
    header[name] = { dtype, shape, data_offsets: [offset, offset + size] };
    parts.push(rng.bytes(size));
    offset += size;
  }
  const data = new Uint8Array(offset);
  let at = 0;
  for (const part of parts) {
    data.set(part, at);
    at += part.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function withHeader(header: unknown, data: Uint8Array, rng: Rng): Uint8Array {
  let json = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(rng.below(8)));
  if (rng.chance(0.1)) json = json.subarray(0, rng.below(json.length + 1));
  const out = new Uint8Array(8 + json.length + data.length);
  let length = BigInt(json.length);
  if (rng.chance(0.15)) length = BigInt(Math.max(0, rng.edgyInt())) + BigInt(rng.below(3));
  if (rng.chance(0.05)) length = (1n << 63n) + BigInt(rng.below(100));
  new DataView(out.buffer).setBigUint64(0, length & 0xffff_ffff_ffff_ffffn, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Mutates the header of a valid file as JSON: the entries' dtypes, shapes, offsets, keys. */
function mutatedHeader(rng: Rng): Uint8Array {
  const file = validFile(rng);
  const length = Number(new DataView(file.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + length))) as Record<
    string,
    Record<string, unknown>
  >;
  const data = file.subarray(8 + length);
  const keys = Object.keys(header);
  for (let n = 1 + rng.below(3); n > 0; n--) {
    const key = rng.pick(keys);
    const entry = header[key];
    const field = rng.pick(["dtype", "shape", "data_offsets", "entry", "new", "metadata"]);
    if (field === "entry") header[key] = randomValue(rng) as Record<string, unknown>;
    else if (field === "new") header[rng.pick(ODD_STRINGS)] = randomValue(rng) as Record<string, unknown>;
    else if (field === "metadata") header.__metadata__ = randomValue(rng) as Record<string, unknown>;
    else if (typeof entry === "object" && entry !== null && !Array.isArray(entry)) {
      if (field === "data_offsets" && rng.chance(0.5)) {
        entry.data_offsets = [rng.edgyInt(), rng.edgyInt()];
      } else if (field === "shape" && rng.chance(0.5)) {
        entry.shape = Array.from({ length: rng.below(6) }, () => rng.edgyInt());
      } else {
        entry[field] = randomValue(rng);
      }
    }
  }
  return withHeader(header, rng.chance(0.2) ? data.subarray(0, rng.below(data.length + 1)) : data, rng);
}

/** Byte-level damage to a valid file: flips, truncation, insertion. */
function mutatedBytes(rng: Rng): Uint8Array {
  let bytes = validFile(rng).slice();
  switch (rng.below(3)) {
    case 0:
      for (let n = 1 + rng.below(4); n > 0; n--) bytes[rng.below(bytes.length)] = rng.below(256);
      break;
    case 1:
      bytes = bytes.subarray(0, rng.below(bytes.length));
      break;
    default: {
      const at = rng.below(bytes.length);
      const extra = rng.bytes(1 + rng.below(16));
      const out = new Uint8Array(bytes.length + extra.length);
      out.set(bytes.subarray(0, at));
      out.set(extra, at);
      out.set(bytes.subarray(at), at + extra.length);
      bytes = out;
    }
  }
  return bytes;
}

function safetensorsCase(rng: Rng): Uint8Array {
  const kind = rng.below(10);
  if (kind < 5) return mutatedHeader(rng);
  if (kind < 8) return mutatedBytes(rng);
  if (kind < 9) return withHeader(randomValue(rng), rng.bytes(rng.below(64)), rng);
  return rng.bytes(rng.below(40));
}

describe("safetensors readers under fuzzing (10,000 seeded cases each)", () => {
  it("readSafetensors: tensors whose data matches their shape, or a WeightsError with a code", async () => {
    const outcome = await fuzz(0x5afe_7e45, CASES, safetensorsCase, (bytes) => {
      for (const [key, tensor] of readSafetensors(bytes, FILE)) {
        const numel = tensor.shape.reduce((a, b) => a * b, 1);
        expect(tensor.data.length, key).toBe(numel);
      }
    });
    // The generator must reach both outcomes, else it tests nothing.
    expect(outcome.values).toBeGreaterThan(100);
    expect(outcome.errors.get("WEIGHTS_CORRUPT")).toBeGreaterThan(100);
  }, 60_000);

  it("readSafetensorsHeader with a fileSize larger than the bytes given (the lazy reader's path)", async () => {
    const outcome = await fuzz(0x0ead_e25, CASES, safetensorsCase, (bytes) =>
      readSafetensorsHeader(bytes.subarray(0, Math.min(bytes.length, 8 + (bytes.length >> 1))), FILE, {
        fileSize: bytes.length,
      }),
    );
    expect(outcome.errors.get("WEIGHTS_CORRUPT")).toBeGreaterThan(100);
  }, 60_000);

  it("readWeightsFromBuffer (format detection, then the reader)", async () => {
    const outcome = await fuzz(0xb0f_fe25, CASES, safetensorsCase, (bytes) =>
      readWeightsFromBuffer(bytes, FILE),
    );
    expect(outcome.values).toBeGreaterThan(100);
  }, 60_000);
});
