import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DATA_GLOBALS, PickleGlobal, unpickle } from "./pickle.js";
import { concat, expectWeightsError, latin1, PickleBuilder } from "./test-support.js";
import { TORCH_GLOBALS, TORCH_REFUSALS } from "./torch-bin.js";

// Generated with CPython 3 pickle.dumps(SAMPLE, protocol=p) for p = 0..5 (see SAMPLE below).
const PYTHON_PICKLES: Readonly<Record<number, string>> = {
  0: [
    "KGRwMApWbm9uZQpwMQpOc1Z0CnAyCkkwMQpzVmYKcDMKSTAwCnNWaTEKcDQKSTcKc1ZpMgpwNQpJMTAwMApzVmk0CnA2CkktMTIz",
    "NDU2CnNWYmlnCnA3CkwxMTgwNTkxNjIwNzE3NDExMzAzNDI0TApzVm5lZwpwOApMLTkyMjMzNzIwMzY4NTQ3NzU4MDhMCnNWZmxv",
    "YXQKcDkKRjEuNQpzVm5lZ3plcm8KcDEwCkYtMC4wCnNWcwpwMTEKVmjpbGxvIFx1MjcxMyBcVTAwMDFmNjAwCnAxMgpzVmxvbmcK",
    "cDEzClZhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFi",
    "YWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJh",
    "YmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFi",
    "YWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiCnAxNApzVmIKcDE1CmNf",
    "Y29kZWNzCmVuY29kZQpwMTYKKFZcdTAwMDAB/wpwMTcKVmxhdGluMQpwMTgKdHAxOQpScDIwCnNWbGlzdApwMjEKKGxwMjIKSTEK",
    "YShscDIzCkkyCmFJMwphYSh0YXNWdHVwMQpwMjQKKEkxCnRwMjUKc1Z0dXAyCnAyNgooSTEKSTIKdHAyNwpzVnR1cDMKcDI4CihJ",
    "MQpJMgpJMwp0cDI5CnNWdHVwNApwMzAKKEkxCkkyCkkzCkk0CnRwMzEKc1ZzaGFyZWQKcDMyCigobHAzMwpJMQphSTIKYWczMwp0",
    "cDM0CnNWc2V0CnAzNQpjX19idWlsdGluX18Kc2V0CnAzNgooKGxwMzcKSTEKYUkyCmF0cDM4ClJwMzkKc1ZmcwpwNDAKY19fYnVp",
    "bHRpbl9fCmZyb3plbnNldApwNDEKKChscDQyCkkzCmF0cDQzClJwNDQKc1ZvZApwNDUKY2NvbGxlY3Rpb25zCk9yZGVyZWREaWN0",
    "CnA0NgoodFJwNDcKVmEKcDQ4CkkxCnNnMTUKSTIKc3NJNQpWaW50a2V5CnA0OQpzLg==",
  ].join(""),
  1: [
    "fXEAKFgEAAAAbm9uZXEBTlgBAAAAdHECSTAxClgBAAAAZnEDSTAwClgCAAAAaTFxBEsHWAIAAABpMnEFTegDWAIAAABpNHEGSsAd",
    "/v9YAwAAAGJpZ3EHTDExODA1OTE2MjA3MTc0MTEzMDM0MjRMClgDAAAAbmVncQhMLTkyMjMzNzIwMzY4NTQ3NzU4MDhMClgFAAAA",
    "ZmxvYXRxCUc/+AAAAAAAAFgHAAAAbmVnemVyb3EKR4AAAAAAAAAAWAEAAABzcQtYDwAAAGjDqWxsbyDinJMg8J+YgHEMWAQAAABs",
    "b25ncQ1YGAEAAGFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJh",
    "YmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFi",
    "YWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJh",
    "YmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJxDlgBAAAAYnEP",
    "Y19jb2RlY3MKZW5jb2RlCnEQKFgEAAAAAAHDv3ERWAYAAABsYXRpbjFxEnRxE1JxFFgEAAAAbGlzdHEVXXEWKEsBXXEXKEsCSwNl",
    "KWVYBAAAAHR1cDFxGChLAXRxGVgEAAAAdHVwMnEaKEsBSwJ0cRtYBAAAAHR1cDNxHChLAUsCSwN0cR1YBAAAAHR1cDRxHihLAUsC",
    "SwNLBHRxH1gGAAAAc2hhcmVkcSAoXXEhKEsBSwJlaCF0cSJYAwAAAHNldHEjY19fYnVpbHRpbl9fCnNldApxJChdcSUoSwFLAmV0",
    "cSZScSdYAgAAAGZzcShjX19idWlsdGluX18KZnJvemVuc2V0CnEpKF1xKksDYXRxK1JxLFgCAAAAb2RxLWNjb2xsZWN0aW9ucwpP",
    "cmRlcmVkRGljdApxLilScS8oWAEAAABhcTBLAWgPSwJ1SwVYBgAAAGludGtleXExdS4=",
  ].join(""),
  2: [
    "gAJ9cQAoWAQAAABub25lcQFOWAEAAAB0cQKIWAEAAABmcQOJWAIAAABpMXEESwdYAgAAAGkycQVN6ANYAgAAAGk0cQZKwB3+/1gD",
    "AAAAYmlncQeKCQAAAAAAAAAAQFgDAAAAbmVncQiKCAAAAAAAAACAWAUAAABmbG9hdHEJRz/4AAAAAAAAWAcAAABuZWd6ZXJvcQpH",
    "gAAAAAAAAABYAQAAAHNxC1gPAAAAaMOpbGxvIOKckyDwn5iAcQxYBAAAAGxvbmdxDVgYAQAAYWJhYmFiYWJhYmFiYWJhYmFiYWJh",
    "YmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFi",
    "YWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJh",
    "YmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFi",
    "YWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYnEOWAEAAABicQ9jX2NvZGVjcwplbmNvZGUKcRBYBAAAAAABw79xEVgG",
    "AAAAbGF0aW4xcRKGcRNScRRYBAAAAGxpc3RxFV1xFihLAV1xFyhLAksDZSllWAQAAAB0dXAxcRhLAYVxGVgEAAAAdHVwMnEaSwFL",
    "AoZxG1gEAAAAdHVwM3EcSwFLAksDh3EdWAQAAAB0dXA0cR4oSwFLAksDSwR0cR9YBgAAAHNoYXJlZHEgXXEhKEsBSwJlaCGGcSJY",
    "AwAAAHNldHEjY19fYnVpbHRpbl9fCnNldApxJF1xJShLAUsCZYVxJlJxJ1gCAAAAZnNxKGNfX2J1aWx0aW5fXwpmcm96ZW5zZXQK",
    "cSldcSpLA2GFcStScSxYAgAAAG9kcS1jY29sbGVjdGlvbnMKT3JkZXJlZERpY3QKcS4pUnEvKFgBAAAAYXEwSwFoD0sCdUsFWAYA",
    "AABpbnRrZXlxMXUu",
  ].join(""),
  3: [
    "gAN9cQAoWAQAAABub25lcQFOWAEAAAB0cQKIWAEAAABmcQOJWAIAAABpMXEESwdYAgAAAGkycQVN6ANYAgAAAGk0cQZKwB3+/1gD",
    "AAAAYmlncQeKCQAAAAAAAAAAQFgDAAAAbmVncQiKCAAAAAAAAACAWAUAAABmbG9hdHEJRz/4AAAAAAAAWAcAAABuZWd6ZXJvcQpH",
    "gAAAAAAAAABYAQAAAHNxC1gPAAAAaMOpbGxvIOKckyDwn5iAcQxYBAAAAGxvbmdxDVgYAQAAYWJhYmFiYWJhYmFiYWJhYmFiYWJh",
    "YmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFi",
    "YWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJh",
    "YmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFi",
    "YWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYnEOWAEAAABicQ9DAwAB/3EQWAQAAABsaXN0cRFdcRIoSwFdcRMoSwJL",
    "A2UpZVgEAAAAdHVwMXEUSwGFcRVYBAAAAHR1cDJxFksBSwKGcRdYBAAAAHR1cDNxGEsBSwJLA4dxGVgEAAAAdHVwNHEaKEsBSwJL",
    "A0sEdHEbWAYAAABzaGFyZWRxHF1xHShLAUsCZWgdhnEeWAMAAABzZXRxH2NidWlsdGlucwpzZXQKcSBdcSEoSwFLAmWFcSJScSNY",
    "AgAAAGZzcSRjYnVpbHRpbnMKZnJvemVuc2V0CnElXXEmSwNhhXEnUnEoWAIAAABvZHEpY2NvbGxlY3Rpb25zCk9yZGVyZWREaWN0",
    "CnEqKVJxKyhYAQAAAGFxLEsBaA9LAnVLBVgGAAAAaW50a2V5cS11Lg==",
  ].join(""),
  4: [
    "gASVcwIAAAAAAAB9lCiMBG5vbmWUTowBdJSIjAFmlImMAmkxlEsHjAJpMpRN6AOMAmk0lErAHf7/jANiaWeUigkAAAAAAAAAAECM",
    "A25lZ5SKCAAAAAAAAACAjAVmbG9hdJRHP/gAAAAAAACMB25lZ3plcm+UR4AAAAAAAAAAjAFzlIwPaMOpbGxvIOKckyDwn5iAlIwE",
    "bG9uZ5RYGAEAAGFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJh",
    "YmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFi",
    "YWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJh",
    "YmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWKUjAFilEMDAAH/",
    "lIwEbGlzdJRdlChLAV2UKEsCSwNlKWWMBHR1cDGUSwGFlIwEdHVwMpRLAUsChpSMBHR1cDOUSwFLAksDh5SMBHR1cDSUKEsBSwJL",
    "A0sEdJSMBnNoYXJlZJRdlChLAUsCZWgdhpSMA3NldJSPlChLAUsCkIwCZnOUKEsDkZSMAm9klIwLY29sbGVjdGlvbnOUjAtPcmRl",
    "cmVkRGljdJSTlClSlCiMAWGUSwFoD0sCdUsFjAZpbnRrZXmUdS4=",
  ].join(""),
  5: [
    "gAWVcwIAAAAAAAB9lCiMBG5vbmWUTowBdJSIjAFmlImMAmkxlEsHjAJpMpRN6AOMAmk0lErAHf7/jANiaWeUigkAAAAAAAAAAECM",
    "A25lZ5SKCAAAAAAAAACAjAVmbG9hdJRHP/gAAAAAAACMB25lZ3plcm+UR4AAAAAAAAAAjAFzlIwPaMOpbGxvIOKckyDwn5iAlIwE",
    "bG9uZ5RYGAEAAGFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJh",
    "YmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFi",
    "YWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJh",
    "YmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWKUjAFilEMDAAH/",
    "lIwEbGlzdJRdlChLAV2UKEsCSwNlKWWMBHR1cDGUSwGFlIwEdHVwMpRLAUsChpSMBHR1cDOUSwFLAksDh5SMBHR1cDSUKEsBSwJL",
    "A0sEdJSMBnNoYXJlZJRdlChLAUsCZWgdhpSMA3NldJSPlChLAUsCkIwCZnOUKEsDkZSMAm9klIwLY29sbGVjdGlvbnOUjAtPcmRl",
    "cmVkRGljdJSTlClSlCiMAWGUSwFoD0sCdUsFjAZpbnRrZXmUdS4=",
  ].join(""),
};

const FILE = "evil/pytorch_model.bin";

function load(bytes: Uint8Array, globals = DATA_GLOBALS) {
  return unpickle(bytes, { file: FILE, globals }).value;
}

function base64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "base64"));
}

describe("unpickle: CPython pickles of plain data", () => {
  it.each([0, 1, 2, 3, 4, 5])("protocol %i", (protocol) => {
    const value = load(base64(PYTHON_PICKLES[protocol]!)) as Map<unknown, unknown>;
    expect(value).toBeInstanceOf(Map);
    const get = (key: unknown) => value.get(key);
    expect(get("none")).toBeNull();
    expect(get("t")).toBe(true);
    expect(get("f")).toBe(false);
    expect(get("i1")).toBe(7);
    expect(get("i2")).toBe(1000);
    expect(get("i4")).toBe(-123456);
    expect(get("big")).toBe(2n ** 70n);
    expect(get("neg")).toBe(-(2n ** 63n));
    expect(get("float")).toBe(1.5);
    expect(Object.is(get("negzero"), -0)).toBe(true);
    expect(get("s")).toBe("h\u00e9llo \u2713 \u{1F600}");
    expect(get("long")).toBe("ab".repeat(140));
    expect(get("b")).toEqual(new Uint8Array([0, 1, 255]));
    expect(get("list")).toEqual([1, [2, 3], []]);
    expect(get("tup1")).toEqual([1]);
    expect(get("tup2")).toEqual([1, 2]);
    expect(get("tup3")).toEqual([1, 2, 3]);
    expect(get("tup4")).toEqual([1, 2, 3, 4]);
    expect(Object.isFrozen(get("tup2"))).toBe(true);
    expect(Object.isFrozen(get("list"))).toBe(false);
    const shared = get("shared") as unknown[][];
    expect(shared[0]).toEqual([1, 2]);
    expect(shared[0]).toBe(shared[1]);
    expect(get("set")).toEqual(new Set([1, 2]));
    expect(get("fs")).toEqual(new Set([3]));
    expect(get("od")).toEqual(
      new Map([
        ["a", 1],
        ["b", 2],
      ]),
    );
    expect(get(5)).toBe("intkey");
    expect(value.size).toBe(23);
  });

  it("reports where the pickle ends, so consecutive pickles can be read", () => {
    const one = new PickleBuilder().proto(2).int(1).stop().bytes();
    const two = new PickleBuilder().proto(2).str("two").stop().bytes();
    const bytes = concat(one, two);
    const first = unpickle(bytes, { file: FILE, globals: DATA_GLOBALS });
    expect(first).toEqual({ value: 1, end: one.length });
    expect(unpickle(bytes, { file: FILE, globals: DATA_GLOBALS, start: first.end })).toEqual({
      value: "two",
      end: bytes.length,
    });
  });

  it("decodes LONG1 of the legacy torch magic number", () => {
    const bytes = new PickleBuilder().proto(2).int(0x1950a86a20f9469cfc6cn).stop().bytes();
    expect(load(bytes)).toBe(0x1950a86a20f9469cfc6cn);
  });

  it("passes persistent ids to persistentLoad", () => {
    const bytes = new PickleBuilder().proto(2).mark().str("storage").int(3).tuple().raw(0x51).stop().bytes();
    const seen: unknown[] = [];
    const value = unpickle(bytes, {
      file: FILE,
      globals: DATA_GLOBALS,
      persistentLoad: (pid) => {
        seen.push(pid);
        return "loaded";
      },
    }).value;
    expect(value).toBe("loaded");
    expect(seen).toEqual([["storage", 3]]);
  });

  it("returns whitelisted globals as inert markers", () => {
    const bytes = new PickleBuilder().proto(2).global("torch", "FloatStorage").stop().bytes();
    const value = load(bytes, TORCH_GLOBALS);
    expect(value).toBeInstanceOf(PickleGlobal);
    expect((value as PickleGlobal).qualifiedName).toBe("torch.FloatStorage");
  });
});

/** `module.name(command)` as protocol 2 GLOBAL + TUPLE1 + REDUCE: what `pickle.dumps` of an exploit gives. */
function callPickle(module: string, name: string, command: string): Uint8Array {
  return new PickleBuilder().proto(2).global(module, name).str(command).raw(0x85).reduce().stop().bytes();
}

/** The same through protocol 4's STACK_GLOBAL. */
function stackGlobalPickle(module: string, name: string, command: string): Uint8Array {
  const short = (text: string) => {
    const bytes = new TextEncoder().encode(text);
    return [0x8c, bytes.length, ...bytes, 0x94];
  };
  return new PickleBuilder()
    .proto(4)
    .raw(short(module), short(name), 0x93)
    .str(command)
    .raw(0x85)
    .reduce()
    .stop()
    .bytes();
}

/** The same through protocol 0's INST. */
function instPickle(module: string, name: string, command: string): Uint8Array {
  return latin1(`(S'${command}'\ni${module}\n${name}\np0\n.`);
}

const UNSAFE_GLOBALS = [
  ["os", "system"],
  ["builtins", "eval"],
  ["builtins", "exec"],
  ["builtins", "getattr"],
  ["builtins", "__import__"],
  ["__builtin__", "eval"],
  ["posix", "system"],
  ["nt", "system"],
  ["subprocess", "Popen"],
  ["subprocess", "check_output"],
  ["torch", "load"],
  ["numpy.core.multiarray", "_reconstruct"],
  ["collections", "defaultdict"],
] as const;

describe("unpickle refuses every global outside the whitelist and executes nothing", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "deberta-hub-pickle-"));
  const marker = path.join(dir, "pwned");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("the exploit pickle is the classic one", () => {
    const bytes = callPickle("os", "system", "touch x");
    expect(bytes).toEqual(latin1("\x80\x02cos\nsystem\nX\x07\x00\x00\x00touch x\x85R."));
  });

  it.each(UNSAFE_GLOBALS)("%s.%s via GLOBAL, STACK_GLOBAL and INST", async (module, name) => {
    const qualified = `${module}.${name}`;
    for (const bytes of [
      callPickle(module, name, `touch ${marker}`),
      stackGlobalPickle(module, name, `touch ${marker}`),
      instPickle(module, name, `touch ${marker}`),
    ]) {
      const error = await expectWeightsError(
        () => load(bytes, TORCH_GLOBALS),
        "WEIGHTS_UNSAFE_PICKLE",
        FILE,
        qualified,
        /nothing was imported or executed/,
      );
      expect(error.message).toContain(qualified);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it("refuses a forbidden global nested in the arguments of a whitelisted one", async () => {
    const bytes = new PickleBuilder()
      .proto(2)
      .global("collections", "OrderedDict")
      .mark()
      .global("os", "system")
      .str(`touch ${marker}`)
      .raw(0x85)
      .reduce()
      .tuple()
      .reduce()
      .stop()
      .bytes();
    await expectWeightsError(() => load(bytes), "WEIGHTS_UNSAFE_PICKLE", FILE, "os.system");
    expect(existsSync(marker)).toBe(false);
  });

  it("refuses torch.storage._load_from_bytes (a nested unrestricted torch.load) with the reason", async () => {
    const bytes = new PickleBuilder()
      .proto(2)
      .global("torch.storage", "_load_from_bytes")
      .raw(0x43, 3, 1, 2, 3, 0x85)
      .reduce()
      .stop()
      .bytes();
    const error = await expectWeightsError(
      () => unpickle(bytes, { file: FILE, globals: TORCH_GLOBALS, refusals: TORCH_REFUSALS }),
      "WEIGHTS_UNSAFE_PICKLE",
      FILE,
      "torch.storage._load_from_bytes",
    );
    expect(error.message).toMatch(/torch\.load on embedded bytes/);
  });

  it("refuses the extension registry (EXT1/EXT2/EXT4)", async () => {
    for (const op of [
      [0x82, 1],
      [0x83, 1, 0],
      [0x84, 1, 0, 0, 0],
    ]) {
      const bytes = new PickleBuilder().proto(2).raw(op).stop().bytes();
      await expectWeightsError(() => load(bytes), "WEIGHTS_UNSAFE_PICKLE", FILE, "extension 1");
    }
  });

  it("refuses to call a global that is only a marker", async () => {
    const bytes = new PickleBuilder()
      .proto(2)
      .global("torch", "FloatStorage")
      .raw(0x29)
      .reduce()
      .stop()
      .bytes();
    await expectWeightsError(
      () => load(bytes, TORCH_GLOBALS),
      "WEIGHTS_UNSUPPORTED",
      FILE,
      "torch.FloatStorage",
    );
  });
});

describe("unpickle rejects malformed pickles", () => {
  it.each([
    [
      "truncated",
      new PickleBuilder().proto(2).raw(0x58, 10, 0, 0, 0).raw(latin1("abc")).bytes(),
      /truncated/,
    ],
    ["no STOP", new PickleBuilder().proto(2).int(1).bytes(), /STOP/],
    ["unknown opcode", new PickleBuilder().proto(2).raw(0xff).stop().bytes(), /unknown opcode/],
    ["stack underflow", new PickleBuilder().proto(2).raw(0x85).stop().bytes(), /stack is empty/],
    [
      "pop below a mark",
      new PickleBuilder().proto(2).int(1).mark().raw(0x85).stop().bytes(),
      /stack is empty/,
    ],
    ["missing memo", new PickleBuilder().proto(2).raw(0x68, 9).stop().bytes(), /memo entry 9/],
    [
      "append to a tuple",
      new PickleBuilder().proto(2).raw(0x29).int(1).raw(0x61).stop().bytes(),
      /not a list/,
    ],
    [
      "setitem on a list",
      new PickleBuilder().proto(2).raw(0x5d).int(1).int(2).raw(0x73).stop().bytes(),
      /not a dict/,
    ],
    [
      "call of a non-global",
      new PickleBuilder().proto(2).int(1).raw(0x29).reduce().stop().bytes(),
      /not a whitelisted/,
    ],
    ["protocol 6", new PickleBuilder().proto(6).stop().bytes(), /protocol 6/],
    ["invalid UTF-8", new PickleBuilder().proto(2).raw(0x8c, 1, 0xff).stop().bytes(), /UTF-8/],
    [
      "persistent id without a loader",
      new PickleBuilder().proto(2).int(1).raw(0x51).stop().bytes(),
      /persistent/,
    ],
  ])("%s", async (_name, bytes, message) => {
    await expectWeightsError(() => load(bytes), "WEIGHTS_CORRUPT", FILE, undefined, message);
  });

  it("bad arguments to a whitelisted constructor name it", async () => {
    const bytes = new PickleBuilder()
      .proto(2)
      .global("collections", "OrderedDict")
      .int(1)
      .raw(0x85)
      .reduce()
      .stop()
      .bytes();
    await expectWeightsError(
      () => load(bytes),
      "WEIGHTS_CORRUPT",
      FILE,
      "collections.OrderedDict",
      /bad arguments/,
    );
  });

  it("out-of-band buffers are unsupported", async () => {
    const bytes = new PickleBuilder().proto(5).raw(0x97).stop().bytes();
    await expectWeightsError(() => load(bytes), "WEIGHTS_UNSUPPORTED", FILE);
  });
});
