// The native thread pool's default size: the machine's physical cores (SMT siblings share one core's FMA
// units, so a second thread per core adds little to a register-tiled GEMM), capped by
// os.availableParallelism() (a container or an affinity mask may allow fewer CPUs). On Linux, from
// /sys/devices/system/cpu/cpu*/topology (core_cpus_list, or thread_siblings_list on older kernels: every
// CPU of one core lists the same set), else /proc/cpuinfo's (physical id, core id) pairs; elsewhere, or on
// any read error, os.availableParallelism(). Node built-ins are imported through a variable specifier
// (importNodeBuiltin), so browser bundles never see them.
import { importNodeBuiltin } from "./addon.js";

/**
 * Physical cores from the per-CPU sibling lists (the contents of each online CPU's core_cpus_list or
 * thread_siblings_list, e.g. "0,2" and "1,3", or "0-1"): the number of distinct sets. `undefined` when
 * there is none.
 */
export function coresFromSiblingLists(lists: readonly string[]): number | undefined {
  const sets = new Set<string>();
  for (const list of lists) {
    const cpus = parseCpuList(list);
    if (cpus === undefined) return undefined;
    sets.add(cpus.join(","));
  }
  return sets.size > 0 ? sets.size : undefined;
}

/** A kernel CPU list ("0-3,8,10-11") as sorted CPU numbers; `undefined` when malformed or empty. */
export function parseCpuList(list: string): number[] | undefined {
  const cpus = new Set<number>();
  const text = list.trim();
  if (text === "") return undefined;
  for (const part of text.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (m === null) return undefined;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first || last - first > 65_536) return undefined;
    for (let c = first; c <= last; c++) cpus.add(c);
  }
  return [...cpus].sort((a, b) => a - b);
}

/**
 * Physical cores from /proc/cpuinfo: distinct (physical id, core id) pairs over the processor entries.
 * `undefined` when any entry lacks a core id (e.g. arm64, whose cpuinfo has none).
 */
export function coresFromCpuinfo(text: string): number | undefined {
  const cores = new Set<string>();
  for (const block of text.split(/\n\s*\n/)) {
    if (!/^processor\s*:/m.test(block)) continue;
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (core === undefined) return undefined;
    const socket = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1] ?? "0";
    cores.add(`${socket}:${core}`);
  }
  return cores.size > 0 ? cores.size : undefined;
}

type Fs = Pick<typeof import("node:fs"), "readdirSync" | "readFileSync">;

/** Linux: physical cores from sysfs, else /proc/cpuinfo; `undefined` when neither can be read. */
export function linuxPhysicalCores(fs: Fs): number | undefined {
  try {
    const root = "/sys/devices/system/cpu";
    const lists: string[] = [];
    for (const entry of fs.readdirSync(root)) {
      if (!/^cpu\d+$/.test(entry)) continue;
      let list: string | undefined;
      for (const file of ["core_cpus_list", "thread_siblings_list"]) {
        try {
          list = fs.readFileSync(`${root}/${entry}/topology/${file}`, "utf8");
          break;
        } catch {
          // Not this file (older kernel), or an offline CPU (no topology): try the next / skip the CPU.
        }
      }
      if (list !== undefined) lists.push(list);
    }
    const cores = coresFromSiblingLists(lists);
    if (cores !== undefined) return cores;
  } catch {
    // No sysfs: try /proc/cpuinfo.
  }
  try {
    return coresFromCpuinfo(fs.readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * The native engine's default thread count: the physical cores on Linux, capped by
 * os.availableParallelism(); that (or os.cpus().length) elsewhere or when the topology cannot be read;
 * 1 without node:os.
 */
export async function defaultNativeThreads(): Promise<number> {
  const os = await importNodeBuiltin<typeof import("node:os")>("node:os").catch(() => undefined);
  const available = os?.availableParallelism?.() ?? os?.cpus().length ?? 1;
  if (os?.platform() !== "linux") return available;
  const fs = await importNodeBuiltin<typeof import("node:fs")>("node:fs").catch(() => undefined);
  const cores = fs === undefined ? undefined : linuxPhysicalCores(fs);
  return cores === undefined ? available : Math.max(1, Math.min(cores, available));
}
