// Embedding lookup, one command (native/gather.cc). Every index is checked here first (gatherOperands), on
// the JavaScript thread; the addon checks them again before it copies a row.
import type { TensorHandle } from "@deberta/tensor";
import type { CpuTensor } from "../../cpu-tensor.js";
import { output } from "../../kernels/context.js";
import { gatherOperands } from "../../kernels/gather.js";
import { OPCODES } from "../program.js";
import { hostRead, input, type NativeOpContext } from "./context.js";

export function gatherNative(
  ctx: NativeOpContext,
  inputs: { table: TensorHandle; indices: TensorHandle },
): CpuTensor | undefined {
  // The indices are read now (checked), so they must be final.
  const raw = inputs.indices as CpuTensor;
  if (raw.alive) hostRead(ctx, raw);
  const { table, indices, rows, width } = gatherOperands(inputs);
  const ids = indices.data;
  if (!(ids instanceof Int32Array)) return undefined;
  const out = output(ctx.cpu, "float32", [...indices.shape, width]);
  const p = ctx.executor.program();
  const args = [p.buffer(input(ctx, table)), rows, width, p.buffer(ids), ids.length, p.buffer(out.f32)];
  p.emit("gather", OPCODES.gather, args, [out.f32]);
  ctx.executor.wrote(out.f32);
  return out;
}
