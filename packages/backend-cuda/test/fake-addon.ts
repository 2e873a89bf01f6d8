// A CudaAddon without a GPU, for the JavaScript side's tests: device memory is a bump allocator (a freed
// pointer is never handed out again, so equal pointers across forwards come from the backend's own block
// reuse), command lists are decoded and checked as native/commands.cc checks them, downloads read zeros.
import { CMD_BLASLT, CMD_COPY_DTOD, CMD_LAUNCH, CMD_MEMSET_D32 } from "../src/commands.js";
import type { ContextHandle, CudaAddon, FunctionHandle, ModuleHandle } from "../src/native/addon.js";

export interface DecodedCommand {
  opcode: number;
  fn?: number;
  grid?: number[];
  block?: number[];
  paramBytes?: number;
  /** The launch's packed kernel parameters (a copy). */
  params?: Uint8Array;
}

export interface SubmitCall {
  mode: number;
  graphId: number;
  commands: DecodedCommand[];
}

/** Decodes a command list, throwing where native/commands.cc would refuse it. */
export function decodeCommands(bytes: Uint8Array, functions: number): DecodedCommand[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: DecodedCommand[] = [];
  let at = 0;
  while (at < bytes.length) {
    const opcode = v.getUint32(at, true);
    const size = v.getUint32(at + 4, true);
    if (size < 8 || size % 8 !== 0 || at + size > bytes.length) throw new Error(`bad size at ${at}`);
    if (opcode === CMD_LAUNCH) {
      const u = (o: number) => v.getUint32(at + o, true);
      const paramBytes = u(40);
      if (u(8) >= functions || paramBytes > size - 48 || size - 48 - paramBytes >= 8)
        throw new Error(`bad launch at ${at}`);
      out.push({
        opcode,
        fn: u(8),
        grid: [u(12), u(16), u(20)],
        block: [u(24), u(28), u(32)],
        paramBytes,
        params: bytes.slice(at + 48, at + 48 + paramBytes),
      });
    } else if (opcode === CMD_BLASLT || opcode === CMD_MEMSET_D32 || opcode === CMD_COPY_DTOD) {
      out.push({ opcode });
    } else throw new Error(`bad opcode ${opcode}`);
    at += size;
  }
  return out;
}

export class FakeAddon implements CudaAddon {
  next = 2 ** 32;
  readonly allocs: number[] = [];
  readonly frees: number[] = [];
  readonly submits: SubmitCall[] = [];
  readonly uploads: number[] = [];
  readonly downloads: number[] = [];
  readonly graphs = new Set<number>();
  readonly destroyed: number[] = [];
  functions = 0;
  /** The registered kernels' names, by function index ("?" where the caller passed no function). */
  readonly functionNames: string[] = [];
  /** Calls in order, by name (submit, upload, download, sync, alloc, free). */
  readonly calls: string[] = [];
  /** Bytes a single alloc may take before it fails with CUDA_ERROR_OUT_OF_MEMORY. */
  allocLimit = Number.POSITIVE_INFINITY;
  /** A status to return from the next submit of this mode (then 0 again). */
  failNext: { mode: number; status: number; at?: number } | undefined;
  failed = 0;
  graphsDriver = 1;
  closed = false;

  info() {
    return { napiVersion: 8, driverLoaded: 1 };
  }
  probe(): never {
    throw new Error("not used");
  }
  describe(code: number): string {
    return `CUDA_ERROR_FAKE (${code})`;
  }
  loadBlasLt(): never {
    throw new Error("not used");
  }
  createContext(): ContextHandle {
    return {} as ContextHandle;
  }
  closeContext(): number {
    this.closed = true;
    this.graphs.clear();
    return 0;
  }
  loadModule(): ModuleHandle {
    return {} as ModuleHandle;
  }
  getFunction(_m: ModuleHandle, name: string): FunctionHandle {
    return { name } as unknown as FunctionHandle;
  }
  alloc(_ctx: ContextHandle, bytes: number): number {
    this.calls.push("alloc");
    if (bytes > this.allocLimit) return -2;
    const ptr = this.next;
    this.next += Math.ceil(bytes / 256) * 256 + 256;
    this.allocs.push(ptr);
    return ptr;
  }
  free(_ctx: ContextHandle, ptr: number): number {
    this.calls.push("free");
    this.frees.push(ptr);
    return 0;
  }
  upload(_ctx: ContextHandle, dst: number): number {
    this.calls.push("upload");
    this.uploads.push(dst);
    return 0;
  }
  memsetD32(): number {
    return 0;
  }
  copyDtoD(): number {
    return 0;
  }
  launch(): number {
    throw new Error("per-op launch is not used: launches go through submit");
  }
  memInfo() {
    return { free: 1, total: 2 };
  }
  blasLtMatmul(): number {
    throw new Error("per-op matmul is not used: matmuls go through submit");
  }
  async download(_ctx: ContextHandle, ptr: number, bytes: number): Promise<ArrayBuffer> {
    this.calls.push("download");
    this.downloads.push(ptr);
    return new ArrayBuffer(bytes);
  }
  async sync(): Promise<void> {
    this.calls.push("sync");
  }
  registerFunction(_ctx?: ContextHandle, fn?: FunctionHandle): number {
    this.functionNames.push((fn as unknown as { name: string } | undefined)?.name ?? "?");
    return this.functions++;
  }
  submit(_ctx: ContextHandle, commands: Uint8Array, mode: number, graphId: number): number {
    this.calls.push("submit");
    const decoded = mode === 2 ? [] : decodeCommands(commands, this.functions);
    this.submits.push({ mode, graphId, commands: decoded });
    if (this.failNext !== undefined && this.failNext.mode === mode) {
      const { status, at } = this.failNext;
      this.failNext = undefined;
      this.failed = at ?? 0;
      return status;
    }
    if (mode === 1) this.graphs.add(graphId);
    if (mode === 2 && !this.graphs.has(graphId)) return 99007;
    return 0;
  }
  lastFailedCommand(): number {
    return this.failed;
  }
  destroyGraph(_ctx: ContextHandle, id: number): number {
    this.destroyed.push(id);
    this.graphs.delete(id);
    return 0;
  }
  graphsAvailable(): number {
    return this.graphsDriver;
  }
}
