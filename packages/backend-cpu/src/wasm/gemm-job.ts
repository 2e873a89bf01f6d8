// A product (or packing / softmax) job, and handing its shares to the workers through their control-block
// slots (the layout is in protocol.ts): the caller's side of the protocol gemm-worker.js implements.
import { activationCode, checkDims, type MatmulOptions } from "./gemm-options.js";
import type { GemmExports } from "./kernels.js";
import { COMMANDS, SLOT_FIELDS, STATUS } from "./protocol.js";

export interface Job {
  cmd: number;
  a: number;
  lda: number;
  pb: number;
  c: number;
  ldc: number;
  M: number;
  N: number;
  K: number;
  bias: number;
  beta: number;
  src: number;
  ldb: number;
  trans: number;
  act: number;
}

/** A GEMM job (command still 0) for C[M x N] = A[M x K] · B, its dimensions, options and pointers checked. */
export function matmulJob(
  aPtr: number,
  M: number,
  K: number,
  N: number,
  cPtr: number,
  options: MatmulOptions,
  checkRange: (what: string, ptr: number, floats: number) => void,
): Job {
  checkDims(M, K);
  checkDims(N, 1);
  const lda = options.lda ?? K;
  const ldc = options.ldc ?? N;
  if (lda < K || ldc < N) throw new RangeError("GemmEngine: leading dimension smaller than the row length");
  const bias = options.biasPtr ?? 0;
  const act = activationCode(options.activation);
  if (M > 0 && N > 0) {
    if (K > 0) checkRange("A", aPtr, (M - 1) * lda + K);
    checkRange("C", cPtr, (M - 1) * ldc + N);
    if (bias !== 0) checkRange("bias", bias, N);
  }
  return {
    cmd: 0,
    a: aPtr,
    lda,
    pb: 0,
    c: cPtr,
    ldc,
    M,
    N,
    K,
    bias,
    beta: options.accumulate ? 1 : 0,
    src: 0,
    ldb: 0,
    trans: 0,
    act,
  };
}

export function emptyJob(cmd: number): Job {
  return {
    cmd,
    a: 0,
    lda: 0,
    pb: 0,
    c: 0,
    ldc: 0,
    M: 0,
    N: 0,
    K: 0,
    bias: 0,
    beta: 0,
    src: 0,
    ldb: 0,
    trans: 0,
    act: 0,
  };
}

/**
 * Writes `job` with the share [r0, r1, c0, c1] (rows, columns) into the worker slot at int32 index `base`,
 * then publishes sequence number `seq` and wakes the worker.
 */
export function postShare(
  ctl: Int32Array,
  ctlF: Float32Array,
  base: number,
  job: Job,
  [r0, r1, c0, c1]: [number, number, number, number],
  seq: number,
): void {
  const F = SLOT_FIELDS;
  ctl[base + F.CMD] = job.cmd;
  ctl[base + F.A] = job.a;
  ctl[base + F.LDA] = job.lda;
  ctl[base + F.PB] = job.pb;
  ctl[base + F.C] = job.c;
  ctl[base + F.LDC] = job.ldc;
  ctl[base + F.M] = job.M;
  ctl[base + F.N] = job.N;
  ctl[base + F.K] = job.K;
  ctl[base + F.BIAS] = job.bias;
  ctlF[base + F.BETA] = job.beta;
  ctl[base + F.R0] = r0;
  ctl[base + F.R1] = r1;
  ctl[base + F.C0] = c0;
  ctl[base + F.C1] = c1;
  ctl[base + F.SRC] = job.src;
  ctl[base + F.LDB] = job.ldb;
  ctl[base + F.TRANS] = job.trans;
  ctl[base + F.ACT] = job.act;
  Atomics.store(ctl, base + F.SEQ, seq);
  Atomics.notify(ctl, base + F.SEQ, 1);
}

/**
 * Waits until the worker of the slot at int32 index `base` has finished job `seq`: polls with Atomics.load,
 * and where `canWait`, sleeps in Atomics.wait once it has polled for `spinMs`. Returns whether it succeeded.
 */
export function awaitShare(
  ctl: Int32Array,
  base: number,
  seq: number,
  canWait: boolean,
  spinMs: number,
): boolean {
  const F = SLOT_FIELDS;
  const doneIdx = base + F.DONE;
  let polls = 0;
  let since = -1;
  let v = Atomics.load(ctl, doneIdx);
  while (v !== seq) {
    if (canWait && (++polls & 1023) === 0) {
      const now = performance.now();
      if (since < 0) since = now;
      else if (now - since > spinMs) {
        Atomics.wait(ctl, doneIdx, v);
        since = -1;
      }
    }
    v = Atomics.load(ctl, doneIdx);
  }
  return ctl[base + F.STATUS] === STATUS.OK;
}

/** Runs the share [r0, r1) x [c0, c1) of `job` on this thread: packs B's panels of it, then multiplies. */
export function runShare(w: GemmExports, job: Job, r0: number, r1: number, c0: number, c1: number): void {
  if (job.cmd & COMMANDS.PACK) {
    const src = job.src + 4 * (job.trans ? c0 * job.ldb : c0);
    w.packBStrided(src, job.ldb, job.K, c1 - c0, job.trans, job.pb + 4 * c0 * job.K);
  }
  if (job.cmd & COMMANDS.GEMM) {
    w.gemm(
      job.a,
      job.lda,
      job.pb,
      job.c,
      job.ldc,
      job.M,
      job.N,
      job.K,
      job.bias,
      job.beta,
      r0,
      r1,
      c0,
      c1,
      job.act,
    );
  }
}
