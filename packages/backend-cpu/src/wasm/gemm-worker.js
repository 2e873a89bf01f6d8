// @ts-check
// GEMM worker of @deberta/backend-cpu (Node worker_threads and browser module Workers).
//
// Plain JavaScript on purpose: the same file runs unbundled from src/ (tests) and from dist/ (tsup emits it
// next to index.js), and it imports nothing but node:worker_threads (Node only, dynamically), so a browser
// bundler can take it through `new Worker(new URL("./gemm-worker.js", import.meta.url), { type: "module" })`.
//
// Protocol: the only message is the init message below. The worker instantiates the GEMM module over the
// shared memory, answers { type: "ready" } (or { type: "error" }), then never returns to its event loop: it
// waits on its slot of the control block (an Int32Array in the shared memory) for a new sequence number
// (polling with Atomics.load for `spinMicros`, then sleeping in Atomics.wait), runs the job described in the
// slot, stores STATUS and then DONE = sequence number, and notifies DONE. A job with the EXIT bit ends the
// loop. The slot layout and the command bits come with the init message (src/wasm/protocol.ts).

/**
 * @typedef {object} InitMessage
 * @property {"init"} type
 * @property {WebAssembly.Module} module compiled GEMM module (shared-memory variant)
 * @property {WebAssembly.Memory} memory the shared memory
 * @property {number} slot byte offset of this worker's slot in the control block
 * @property {number} spinMicros how long a waiting worker polls with Atomics.load before it sleeps in Atomics.wait
 * @property {Record<string, number>} fields int32 index of each field within the slot
 * @property {Record<string, number>} commands command bits
 */

/**
 * @param {Record<string, number>} fields
 * @param {string} name
 * @returns {number}
 */
function field(fields, name) {
  const v = fields[name];
  if (typeof v !== "number") throw new Error(`gemm-worker: missing field ${name}`);
  return v;
}

/**
 * @param {InitMessage} init
 * @param {any} w the GEMM module's exports
 * @param {(msg: unknown) => void} post
 */
function run(init, w, post) {
  const f = init.fields;
  const EXIT = init.commands.EXIT ?? 0;
  const PACK = init.commands.PACK ?? 0;
  const GEMM = init.commands.GEMM ?? 0;
  const SOFTMAX = init.commands.SOFTMAX ?? 0;
  // The control block lies in the first pages of the memory, so these views stay valid after growth.
  const ctl = new Int32Array(init.memory.buffer);
  const ctlF = new Float32Array(init.memory.buffer);
  const base = init.slot >> 2;
  const SEQ = base + field(f, "SEQ");
  const DONE = base + field(f, "DONE");
  const STATUS = base + field(f, "STATUS");
  const CMD = base + field(f, "CMD");
  const A = base + field(f, "A");
  const LDA = base + field(f, "LDA");
  const PB = base + field(f, "PB");
  const C = base + field(f, "C");
  const LDC = base + field(f, "LDC");
  const M = base + field(f, "M");
  const N = base + field(f, "N");
  const K = base + field(f, "K");
  const BIAS = base + field(f, "BIAS");
  const BETA = base + field(f, "BETA");
  const R0 = base + field(f, "R0");
  const R1 = base + field(f, "R1");
  const C0 = base + field(f, "C0");
  const C1 = base + field(f, "C1");
  const SRC = base + field(f, "SRC");
  const LDB = base + field(f, "LDB");
  const TRANS = base + field(f, "TRANS");
  const ACT = base + field(f, "ACT");
  const spinMs = init.spinMicros / 1000;
  // The engine zero-fills the control block and counts jobs from 0, so the first job is sequence 1. Reading
  // SEQ here instead would race with the engine: "ready" is posted before this loop starts, and a job
  // dispatched in between would be taken as already seen, leaving the engine waiting for it forever.
  let seq = 0;
  for (;;) {
    let polls = 0;
    let since = performance.now();
    let next = Atomics.load(ctl, SEQ);
    while (next === seq) {
      // Poll (cheap, no syscall: the next product usually follows within microseconds); after spinMicros
      // sleep until notified. The clock is read every 1024 polls.
      if ((++polls & 1023) === 0 && performance.now() - since > spinMs) {
        Atomics.wait(ctl, SEQ, seq);
        since = performance.now();
      }
      next = Atomics.load(ctl, SEQ);
    }
    seq = next;
    const cmd = /** @type {number} */ (ctl[CMD]);
    if (cmd & EXIT) {
      Atomics.store(ctl, STATUS, 0);
      Atomics.store(ctl, DONE, seq);
      Atomics.notify(ctl, DONE);
      return;
    }
    let status = 0;
    try {
      const k = /** @type {number} */ (ctl[K]);
      const c0 = /** @type {number} */ (ctl[C0]);
      const c1 = /** @type {number} */ (ctl[C1]);
      const packedB = /** @type {number} */ (ctl[PB]);
      if (cmd & PACK) {
        // Packs columns [C0, C1) of B (C0 is a multiple of the panel width) into their own panels.
        const ldb = /** @type {number} */ (ctl[LDB]);
        const transposed = /** @type {number} */ (ctl[TRANS]);
        const src = /** @type {number} */ (ctl[SRC]) + 4 * (transposed ? c0 * ldb : c0);
        w.packBStrided(src, ldb, k, c1 - c0, transposed, packedB + 4 * c0 * k);
      }
      if (cmd & GEMM) {
        w.gemm(
          ctl[A],
          ctl[LDA],
          packedB,
          ctl[C],
          ctl[LDC],
          ctl[M],
          ctl[N],
          k,
          ctl[BIAS],
          ctlF[BETA],
          ctl[R0],
          ctl[R1],
          c0,
          c1,
          ctl[ACT],
        );
      }
      if (cmd & SOFTMAX) {
        // Rows [R0, R1) of the N-column rows at A, leading dimension LDA.
        const r0 = /** @type {number} */ (ctl[R0]);
        const ld = /** @type {number} */ (ctl[LDA]);
        w.softmaxRows(
          /** @type {number} */ (ctl[A]) + 4 * r0 * ld,
          /** @type {number} */ (ctl[R1]) - r0,
          ctl[N],
          ld,
        );
      }
      if ((cmd & (PACK | GEMM | SOFTMAX)) === 0) status = 2;
    } catch (err) {
      status = 1;
      post({ type: "error", message: String(err instanceof Error ? err.message : err) });
    }
    Atomics.store(ctl, STATUS, status);
    Atomics.store(ctl, DONE, seq);
    Atomics.notify(ctl, DONE);
  }
}

/**
 * @param {(msg: unknown) => void} post
 * @returns {(data: unknown) => void}
 */
function onInit(post) {
  return (data) => {
    const init = /** @type {InitMessage} */ (data);
    if (init?.type !== "init") return;
    /** @type {any} */
    let exports;
    try {
      exports = new WebAssembly.Instance(init.module, { env: { memory: init.memory } }).exports;
    } catch (err) {
      post({ type: "error", message: String(err instanceof Error ? err.message : err) });
      return;
    }
    post({ type: "ready" });
    run(init, exports, post);
  };
}

// An ES module (top-level await below); it exports nothing.
export {};

const g = /** @type {any} */ (globalThis);
if (typeof g.WorkerGlobalScope !== "undefined" && g.self instanceof g.WorkerGlobalScope) {
  // Browser (and other web-style) workers.
  const handle = onInit((msg) => g.self.postMessage(msg));
  g.self.onmessage = (/** @type {MessageEvent} */ ev) => handle(ev.data);
} else {
  // Node worker_threads.
  const { parentPort } = await import("node:worker_threads");
  if (parentPort) {
    const port = parentPort;
    const handle = onInit((msg) => port.postMessage(msg));
    port.once("message", handle);
  }
}
