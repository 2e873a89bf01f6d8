// Runs the native engine's programs. Ops are recorded into the current program as the model issues them
// (the JavaScript thread only checks shapes and allocates outputs); the program runs when a result is needed:
//   - `ready(array)` (download): the addon runs the program on a libuv worker thread, so the event loop keeps
//     turning during a forward; at most one program is in flight at a time, and ops recorded meanwhile go
//     into the next one (one native call for many forwards' ops under load);
//   - `settle()` (a JavaScript kernel, or `read`, needs an array now): the program runs synchronously,
//     after whatever is in flight (the addon keeps every call in the order it was issued).
// `pending` maps each array a queued or running program writes to that program, so only the arrays still
// to be computed wait.
import { BackendError } from "@deberta/tensor";
import { type NativeAddon, type NativeEngineHandle, nativeStatusError } from "./addon.js";
import { type NativeArray, NativeProgram } from "./program.js";

/** What the executor has run so far (tests and benchmarks check that a forward is one asynchronous program). */
export interface NativeRunStats {
  /** Programs run on a worker thread (downloads). */
  asyncPrograms: number;
  /** Programs run on the JavaScript thread (a JavaScript kernel or `read` needed a result at once). */
  syncPrograms: number;
  /** Commands (ops) in all of them. */
  commands: number;
}

export class NativeExecutor {
  readonly stats: NativeRunStats = { asyncPrograms: 0, syncPrograms: 0, commands: 0 };
  private current: NativeProgram | undefined;
  private inFlight: Promise<void> | undefined;
  private nextSeq = 1;
  /** The last program handed to the addon. */
  private submittedSeq = 0;
  /** Every program with seq ≤ this has run. */
  private doneSeq = 0;
  private readonly pending = new Map<ArrayBufferLike, number>();
  private readonly failed = new Map<ArrayBufferLike, BackendError>();
  private closed = false;

  constructor(
    private readonly addon: NativeAddon,
    private readonly engine: (op: string) => NativeEngineHandle,
  ) {}

  /** The program ops are recorded into. */
  program(): NativeProgram {
    this.ensureOpen("record");
    if (this.current === undefined) this.current = new NativeProgram(this.nextSeq++);
    return this.current;
  }

  /** Marks the arrays the last recorded command writes as pending on the current program. */
  wrote(...arrays: NativeArray[]): void {
    const seq = this.program().seq;
    for (const a of arrays) {
      this.pending.set(a.buffer, seq);
      this.failed.delete(a.buffer);
    }
  }

  /** Whether a program is recorded or running: arrays freed meanwhile may still be read by it. */
  get busy(): boolean {
    return (this.current !== undefined && !this.current.empty) || this.doneSeq < this.submittedSeq;
  }

  isPending(array: NativeArray): boolean {
    return this.pending.has(array.buffer);
  }

  /** Throws the error of the program that should have computed `array`, if it failed. */
  checkFailed(array: NativeArray): void {
    const error = this.failed.get(array.buffer);
    if (error !== undefined) throw error;
  }

  /** Runs everything recorded, synchronously (after any program in flight): every array is then final. */
  settle(): void {
    this.ensureOpen("settle");
    if (!this.busy) return;
    const program = this.current ?? new NativeProgram(this.nextSeq++);
    this.current = undefined;
    const result = this.start(program, false);
    // The synchronous run waited for every earlier program: all of them have run.
    this.doneSeq = program.seq;
    this.pending.clear();
    if (typeof result === "number") this.finish(program, result);
  }

  /** Waits until `array` (or, without one, everything recorded so far) has been computed. */
  async ready(array?: NativeArray): Promise<void> {
    const target = array === undefined ? (this.current?.seq ?? this.nextSeq - 1) : undefined;
    for (;;) {
      this.ensureOpen("download");
      const waitingFor = array === undefined ? target! : this.pending.get(array.buffer);
      if (waitingFor === undefined || waitingFor <= this.doneSeq) break;
      if (this.inFlight !== undefined) {
        await this.inFlight;
        continue;
      }
      this.submit();
    }
    if (array !== undefined) this.checkFailed(array);
  }

  /** Hands a program to the addon: run now (sync) or on a worker thread (a promise of its result). */
  private start(program: NativeProgram, async: boolean): number | Promise<number> {
    this.submittedSeq = program.seq;
    if (async) this.stats.asyncPrograms++;
    else this.stats.syncPrograms++;
    this.stats.commands += program.ops.length;
    const { buffers, packed } = program;
    return this.addon.runProgram(this.engine("run"), buffers, packed, program.encode(), async);
  }

  private submit(): void {
    const program = this.current;
    if (program === undefined) return;
    this.current = undefined;
    if (program.empty) {
      this.doneSeq = Math.max(this.doneSeq, program.seq);
      return;
    }
    const result = this.start(program, true);
    if (typeof result === "number") {
      // Refused before running (its checks failed): nothing ran.
      this.doneSeq = Math.max(this.doneSeq, program.seq);
      this.finish(program, result);
      return;
    }
    this.inFlight = result.then(
      (status) => {
        this.inFlight = undefined;
        this.doneSeq = Math.max(this.doneSeq, program.seq);
        for (const b of program.writes) if (this.pending.get(b) === program.seq) this.pending.delete(b);
        try {
          this.finish(program, status);
        } catch {
          // Recorded per array (finish): whoever waits for one of them gets the error.
        }
      },
      () => {
        this.inFlight = undefined;
      },
    );
  }

  /** Turns a program's result into an error on each array it was to write (and throws it), or clears them. */
  private finish(program: NativeProgram, result: number): void {
    for (const b of program.writes) if ((this.pending.get(b) ?? 0) <= program.seq) this.pending.delete(b);
    if (result === 0) return;
    const status = result % 16;
    const index = Math.floor(result / 16);
    const error = nativeStatusError(program.ops[index] ?? "program", status);
    for (const b of program.writes) this.failed.set(b, error);
    throw error;
  }

  private ensureOpen(op: string): void {
    if (this.closed)
      throw new BackendError("BACKEND_DISPOSED", `cpu native ${op}: the backend was closed`, { op });
  }

  /** Drops what was recorded and not run; a program in flight finishes (the addon frees after it). */
  close(): void {
    this.closed = true;
    this.current = undefined;
    this.pending.clear();
    this.failed.clear();
  }
}
