// Native programs (src/native/program.ts, native/binding_program.cc, src/native/executor.ts):
//   - the addon refuses a malformed program before running any of it (status + 16 × the command's index):
//     wrong code type, unknown opcode, array indices and offsets outside the arrays, wrong element types,
//     a disposed packed weight, an attention command's relative index table that is short, not int32 or
//     has an entry outside [0, 2·span), an index past the table at run time;
//   - asynchronous programs keep their order with later synchronous calls, and survive destroyEngine /
//     freePacked issued while they run;
//   - on the backend: ops are recorded and run at download (one asynchronous program), JavaScript kernels
//     that need a recorded result run it first, integer transposes and ranks past the native limit work,
//     close() while a download waits rejects it with BACKEND_DISPOSED.
import { Tensor } from "@deberta/tensor";
import { afterAll, describe, expect, it } from "vitest";
import { CpuBackend } from "../cpu-backend.js";
import { createCpuBackend } from "../create.js";
import { jsGemm } from "../gemm.js";
import { loadNativeAddon, type NativeEngineHandle } from "./addon.js";
import { createNativeGemm, type NativeGemm } from "./native-gemm.js";
import { NativeProgram, OPCODES } from "./program.js";

const loaded = await loadNativeAddon();
const f = (n: number, fill = 0) => new Float32Array(n).fill(fill);
const seq = (n: number) => Float32Array.from({ length: n }, (_, i) => i + 1);

describe.skipIf(loaded.addon === undefined)(
  "native programs (skipped where the addon is not built)",
  async () => {
    const addon = loaded.addon!;
    const gemm = (await createNativeGemm({ threads: 2 })).gemm as NativeGemm;
    const engine = (gemm as unknown as { handle: NativeEngineHandle }).handle;
    afterAll(() => gemm.close());
    const run = (buffers: (Float32Array | Int32Array)[], code: number[], async = false) =>
      addon.runProgram(engine, buffers, [], Float64Array.from(code), async);
    const affine = (x: number, out: number, count: number, scale = 2, shift = 1) => [
      OPCODES.affine,
      x,
      out,
      count,
      scale,
      shift,
    ];

    it("runs commands in order: out = 2x + 1, then 2out + 1", () => {
      const x = seq(5);
      const y = f(5);
      const z = f(5);
      expect(run([x, y, z], [...affine(0, 1, 5), ...affine(1, 2, 5)])).toBe(0);
      expect(Array.from(z)).toEqual(Array.from(x, (v) => 4 * v + 3));
    });

    it("refuses a malformed program before running any of it", () => {
      const x = seq(4);
      const y = f(4, 7);
      const untouched = () => expect(Array.from(y)).toEqual([7, 7, 7, 7]);
      // Code that is not a Float64Array: ERR_ARGUMENT (1).
      expect(addon.runProgram(engine, [x, y], [], Float32Array.from(affine(0, 1, 4)) as never, false)).toBe(
        1,
      );
      // Unknown opcode in the second command: 1 + 16 × 1; the first command did not run.
      expect(run([x, y], [...affine(0, 1, 4), 99, 0, 1])).toBe(1 + 16);
      untouched();
      // An array index past the list, a count past the array (ERR_SHAPE, 2), a truncated command.
      expect(run([x, y], affine(0, 2, 4))).toBe(1);
      expect(run([x, y], affine(0, 1, 5))).toBe(2);
      expect(run([x, y], affine(0, 1, 4).slice(0, 4))).toBe(1);
      // Non-integer and negative counts, NaN and infinite scalars.
      expect(run([x, y], affine(0, 1, 2.5))).toBe(1);
      expect(run([x, y], affine(0, 1, -1))).toBe(1);
      expect(run([x, y], [OPCODES.affine, 0, 1, 4, Number.NaN, 0])).toBe(1);
      expect(run([x, y], [OPCODES.affine, 0, 1, 4, 1, Number.POSITIVE_INFINITY])).toBe(1);
      // An int32 array where floats are read.
      expect(run([new Int32Array(4), y], affine(0, 1, 4))).toBe(1);
      untouched();
    });

    it("refuses strided views reaching outside their arrays", () => {
      const a = seq(6);
      const b = seq(3);
      const out = f(6, 7);
      const binary = (dims: number[], aStrides: number[], bStrides: number[], bOffset = 0) => [
        OPCODES.binary,
        0,
        0,
        1,
        2,
        ...NativeProgram.strided(dims, [
          { offset: 0, strides: aStrides },
          { offset: bOffset, strides: bStrides },
        ]),
      ];
      expect(run([a, b, out], binary([2, 3], [3, 1], [0, 1]))).toBe(0);
      expect(Array.from(out)).toEqual([2, 4, 6, 5, 7, 9]);
      out.fill(7);
      expect(run([a, b, out], binary([2, 3], [3, 1], [1, 1]))).toBe(2); // b read up to index 3
      expect(run([a, b, out], binary([2, 3], [3, 1], [0, 1], 1))).toBe(2); // offset 1 + 2 > 2
      expect(run([a, b, out], binary([3, 3], [3, 1], [0, 1]))).toBe(2); // a has 6, out 6
      expect(
        run(
          [a, b, out],
          [...binary([2, 3], [3, 1], [0, 1])].map((v, i) => (i === 5 ? 7 : v)),
        ),
      ).toBe(1); // rank 7
      expect(Array.from(out)).toEqual([7, 7, 7, 7, 7, 7]);
    });

    it("checks gather indices again when the program runs", () => {
      const table = seq(6); // 3 rows of 2
      const ids = Int32Array.from([2, 0]);
      const out = f(4, 7);
      const gather = [OPCODES.gather, 0, 3, 2, 1, 2, 2];
      expect(run([table, ids, out], gather)).toBe(0);
      expect(Array.from(out)).toEqual([5, 6, 1, 2]);
      out.fill(7);
      ids[1] = 3; // changed after the TypeScript side checked it: refused, nothing written
      expect(run([table, ids, out], gather)).toBe(2);
      expect(Array.from(out)).toEqual([7, 7, 7, 7]);
      ids[1] = -1;
      expect(run([table, ids, out], gather)).toBe(2);
    });

    it("refuses an attention command whose relative index table is short, not int32 or points past 2·span", () => {
      // B 1, L 3, 1 head of size 2, span 2: qkv [1, 3, 6], posKey [1, 4, 2], table [5].
      const [L, hs, span] = [3, 2, 2];
      const arrays = (table: Float32Array | Int32Array) => [
        seq(L * 3 * hs), // 0 qkv
        f(hs), // 1 qBias (also kBias, vBias)
        new Int32Array(L).fill(1), // 2 keep
        seq(2 * span * hs), // 3 posKey
        f(L * hs, 7), // 4 context
        table, // 5
      ];
      const attention = [OPCODES.attention, 0, 1, 1, 2, 0, 3, -1, 4, -1, 1, L, 1, hs, span, 0.5, 1, 5];
      const good = Int32Array.from([0, 1, 2, 3, 3]);
      const ok = arrays(good);
      expect(run(ok, attention)).toBe(0);
      expect((ok[4] as Float32Array).some((v) => v !== 7)).toBe(true);
      // Each refused before anything runs (status + 16 × 1 for the second command; the first never ran).
      for (const [table, status] of [
        [Int32Array.from([0, 1, 2, 3, 4]), 2], // 4 = 2·span: past posKey's rows
        [Int32Array.from([0, -1, 2, 3, 3]), 2],
        [Int32Array.from([0, 1, 2, 3]), 2], // [2L − 2]: one short
        [Float32Array.from([0, 1, 2, 3, 3]), 1], // not int32
      ] as const) {
        const bad = arrays(table);
        expect(run(bad, [...affine(3, 3, 1), ...attention])).toBe(status + 16);
        expect(Array.from(bad[4] as Float32Array)).toEqual(new Array(L * hs).fill(7));
        expect(Array.from(bad[3] as Float32Array)).toEqual(Array.from(seq(2 * span * hs)));
      }
    });

    it("refuses a disposed packed weight", () => {
      const packed = gemm.packLinearWeight(seq(6), 3, 2);
      const handle = (packed as unknown as { handleFor(op: string): unknown }).handleFor("test");
      packed.dispose();
      const code = Float64Array.from([OPCODES.linearPacked, 0, 0, 0, 1, 0, 1, -1, 0]);
      expect(addon.runProgram(engine, [seq(2), f(3)], [handle as never], code, false)).toBe(5);
    });

    it("an asynchronous program runs off the JavaScript thread, before later synchronous calls", async () => {
      // A long program: 200 passes of +1 over 2 M floats.
      const n = 1 << 21;
      const x = f(n, 1);
      const y = f(n);
      const code: number[] = [];
      for (let i = 0; i < 100; i++) code.push(...affine(0, 1, n, 1, 1), ...affine(1, 0, n, 1, 1));
      const done = run([x, y], code, true);
      expect(done).toBeInstanceOf(Promise);
      // A synchronous matmul issued now waits for its turn; the program's result is then final.
      const c = f(1);
      gemm.matmul(x, 0, f(1, 1), 0, c, 0, 1, 1, 1, false);
      expect(c[0]).toBe(201);
      expect(x[n - 1]).toBe(201);
      expect(await done).toBe(0);
    });

    it("destroyEngine and freePacked while a program runs: it completes, then they take effect", async () => {
      const other = (await createNativeGemm({ threads: 2 })).gemm as NativeGemm;
      const otherEngine = (other as unknown as { handle: NativeEngineHandle }).handle;
      const packed = other.packLinearWeight(seq(4 * 256), 4, 256);
      const handle = (packed as unknown as { handleFor(op: string): unknown }).handleFor("test");
      const rows = 4096;
      const x = f(rows * 256, 1);
      const out = f(rows * 4);
      const code: number[] = [];
      for (let i = 0; i < 50; i++) code.push(OPCODES.linearPacked, 0, 0, 0, 1, 0, rows, -1, 0);
      const done = addon.runProgram(otherEngine, [x, out], [handle as never], Float64Array.from(code), true);
      packed.dispose();
      other.close();
      expect(await done).toBe(0);
      // Row r of out = Σ_k w[j, k] · 1 = Σ_k (256 j + k + 1).
      for (let j = 0; j < 4; j++) expect(out[j]).toBe(256 * 256 * j + (256 * 257) / 2);
      expect(addon.runProgram(otherEngine, [], [], new Float64Array(0), false)).toBe(5);
    });
  },
);

describe.skipIf(loaded.addon === undefined)(
  "the native engine records ops and runs them as programs (skipped where the addon is not built)",
  async () => {
    const backend = await createCpuBackend({ engine: "native", threads: 2 });
    const js = new CpuBackend({ gemm: jsGemm });
    afterAll(() => {
      backend.close();
      js.close();
    });
    const t = (data: Float32Array | Int32Array, dims: number[]) =>
      new Tensor(data instanceof Float32Array ? "float32" : "int32", data, dims);

    it("a chain of ops is one asynchronous program, run at download", async () => {
      const before = backend.nativeStats()!;
      const x = backend.upload(t(seq(6), [2, 3]));
      const w = backend.upload(t(seq(12), [4, 3]));
      const y = backend.fused.linear!({ x, weight: w }, { activation: "relu" });
      const z = backend.run("transpose", { x: y }, { perm: [1, 0] });
      const s = backend.run("slice", { x: z }, { starts: [1], ends: [3], axes: [0] });
      const r = backend.run("reshape", { x: s }, { shape: [-1] });
      const out = await backend.download(r);
      const after = backend.nativeStats()!;
      expect(after.asyncPrograms - before.asyncPrograms).toBe(1);
      expect(after.syncPrograms - before.syncPrograms).toBe(0);
      expect(after.commands - before.commands).toBe(4);
      // y = x · wᵀ: rows [14 32 50 68] and [32 77 122 167]; transposed rows 1..2, flattened.
      expect(Array.from(out.data as Float32Array)).toEqual([32, 77, 50, 122]);
      expect(out.dims).toEqual([4]);
      for (const h of [x, w, y, z, s, r]) backend.dispose(h);
    });

    it("a JavaScript kernel reading a recorded result runs the program first (synchronously)", async () => {
      const before = backend.nativeStats()!;
      const x = backend.upload(t(seq(6), [2, 3]));
      const doubled = backend.run("affine", { x }, { scale: 2, shift: 0 });
      const summed = backend.run("reduce", { x: doubled }, { op: "sum", axis: 1, keepDims: false });
      expect(backend.nativeStats()!.syncPrograms - before.syncPrograms).toBe(1);
      expect(Array.from((await backend.download(summed)).data as Float32Array)).toEqual([12, 30]);
      for (const h of [x, doubled, summed]) backend.dispose(h);
    });

    it("transposes int32 tensors natively and takes ranks past six in JavaScript", async () => {
      const ids = backend.upload(t(Int32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]));
      const tr = backend.run("transpose", { x: ids }, { perm: [1, 0] });
      const got = await backend.download(tr);
      expect(got.type).toBe("int32");
      expect(Array.from(got.data as Int32Array)).toEqual([1, 4, 2, 5, 3, 6]);
      const dims = [1, 2, 1, 2, 1, 2, 1];
      const big = backend.upload(t(seq(8), dims));
      const twice = backend.run("affine", { x: big }, { scale: 2, shift: 0 });
      const sum = backend.run("binary", { a: twice, b: big }, { op: "add" });
      const moved = backend.run("transpose", { x: sum }, { perm: [6, 5, 4, 3, 2, 1, 0] });
      const want = js.run(
        "transpose",
        {
          x: js.upload(
            t(
              seq(8).map((v) => 3 * v),
              dims,
            ),
          ),
        },
        {
          perm: [6, 5, 4, 3, 2, 1, 0],
        },
      );
      expect(Array.from((await backend.download(moved)).data as Float32Array)).toEqual(
        Array.from(js.read(want)),
      );
      for (const h of [ids, tr, big, twice, sum, moved]) backend.dispose(h);
    });

    it("broadcast binary ops and the masked softmax match the JavaScript kernels", async () => {
      const shapes: [number[], number[]][] = [
        [[2, 3, 4], [4]],
        [
          [2, 1, 4],
          [3, 1],
        ],
        [[5], []],
        [
          [2, 3, 1],
          [1, 3, 4],
        ],
      ];
      for (const op of ["add", "sub", "mul", "div", "max", "min"] as const)
        for (const [sa, sb] of shapes) {
          const a = seq(sa.reduce((p, d) => p * d, 1)).map((v) => v - 3.5);
          const b = seq(sb.reduce((p, d) => p * d, 1)).map((v) => 2.25 - v);
          const got = backend.run(
            "binary",
            { a: backend.upload(t(a, sa)), b: backend.upload(t(b, sb)) },
            { op },
          );
          const want = js.run("binary", { a: js.upload(t(a, sa)), b: js.upload(t(b, sb)) }, { op });
          expect(Array.from((await backend.download(got)).data as Float32Array), `${op} ${sa} ${sb}`).toEqual(
            Array.from(js.read(want)),
          );
        }
      const x = seq(2 * 3 * 5).map((v) => Math.sin(v) * 4);
      const mask = Float32Array.from([1, 0, 1, 1, 0, 1, 1, 1, 1, 0]);
      const got = backend.fused.maskedSoftmax!(
        { x: backend.upload(t(x, [2, 3, 5])), mask: backend.upload(t(mask, [2, 1, 5])) },
        {},
      );
      const want = js.fused.maskedSoftmax!(
        { x: js.upload(t(x, [2, 3, 5])), mask: js.upload(t(mask, [2, 1, 5])) },
        {},
      );
      const g = (await backend.download(got)).data as Float32Array;
      const w = js.read(want) as Float32Array;
      for (let i = 0; i < g.length; i++) expect(Math.abs(g[i]! - w[i]!)).toBeLessThan(1e-6);
    });

    it("close() while a download waits rejects it with BACKEND_DISPOSED", async () => {
      const other = await createCpuBackend({ engine: "native", threads: 2 });
      const x = other.upload(t(f(1 << 20, 1), [1 << 20]));
      let y = x;
      for (let i = 0; i < 20; i++) y = other.run("affine", { x: y }, { scale: 1, shift: 1 });
      const first = other.download(y); // submitted now, runs on a worker thread
      const z = other.run("affine", { x: y }, { scale: 1, shift: 1 }); // recorded, waits for the next program
      const second = other.download(z);
      other.close();
      await expect(second).rejects.toMatchObject({ code: "BACKEND_DISPOSED" });
      await first.catch(() => undefined);
    });
  },
);
