import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { loadNativeAddon } from "./addon.js";
import { createNativeGemm } from "./native-gemm.js";
import {
  coresFromCpuinfo,
  coresFromSiblingLists,
  defaultNativeThreads,
  linuxPhysicalCores,
  parseCpuList,
} from "./physical-cores.js";

const noAddon = (await loadNativeAddon()).addon === undefined;

describe("physical cores", () => {
  it("parses kernel CPU lists", () => {
    expect(parseCpuList("0\n")).toEqual([0]);
    expect(parseCpuList("0,2")).toEqual([0, 2]);
    expect(parseCpuList("2,0")).toEqual([0, 2]);
    expect(parseCpuList("0-3,8,10-11")).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList("")).toBeUndefined();
    expect(parseCpuList("a-b")).toBeUndefined();
    expect(parseCpuList("3-1")).toBeUndefined();
  });

  it("counts distinct sibling sets", () => {
    // 2 cores with SMT: CPUs 0 and 2 share a core, 1 and 3 the other.
    expect(coresFromSiblingLists(["0,2\n", "1,3\n", "0,2\n", "1,3\n"])).toBe(2);
    // The same sets written as ranges (siblings numbered next to each other).
    expect(coresFromSiblingLists(["0-1", "0-1", "2-3", "2-3"])).toBe(2);
    // No SMT: every CPU is its own core.
    expect(coresFromSiblingLists(["0", "1", "2", "3"])).toBe(4);
    expect(coresFromSiblingLists([])).toBeUndefined();
    expect(coresFromSiblingLists(["0", "garbage"])).toBeUndefined();
  });

  it("counts (physical id, core id) pairs of /proc/cpuinfo", () => {
    const entry = (processor: number, socket: number, core: number) =>
      `processor\t: ${processor}\nvendor_id\t: AuthenticAMD\nphysical id\t: ${socket}\ncore id\t\t: ${core}\n`;
    // 2 sockets x 2 cores x 2 threads.
    const smt = [0, 1, 2, 3, 4, 5, 6, 7].map((p) => entry(p, p >> 2, p & 1)).join("\n");
    expect(coresFromCpuinfo(smt)).toBe(4);
    expect(coresFromCpuinfo([0, 1, 2].map((p) => entry(p, 0, p)).join("\n"))).toBe(3);
    // arm64's cpuinfo has no core id: unknown.
    expect(coresFromCpuinfo("processor\t: 0\nBogoMIPS\t: 50.00\n\nprocessor\t: 1\nBogoMIPS\t: 50.00\n")).toBe(
      undefined,
    );
    expect(coresFromCpuinfo("")).toBeUndefined();
  });

  it("reads sysfs, skips offline CPUs, falls back to /proc/cpuinfo, and gives up on read errors", () => {
    const fakeFs = (files: Record<string, string>, dir?: string[]) => ({
      readdirSync: ((path: string) => {
        if (dir === undefined || path !== "/sys/devices/system/cpu") throw new Error(`ENOENT ${path}`);
        return dir;
      }) as never,
      readFileSync: ((path: string) => {
        const text = files[path];
        if (text === undefined) throw new Error(`ENOENT ${path}`);
        return text;
      }) as never,
    });
    const sys = (cpu: number, file: string) => `/sys/devices/system/cpu/cpu${cpu}/topology/${file}`;
    expect(
      linuxPhysicalCores(
        fakeFs(
          {
            [sys(0, "core_cpus_list")]: "0,2\n",
            [sys(1, "core_cpus_list")]: "1,3\n",
            [sys(2, "core_cpus_list")]: "0,2\n",
            [sys(3, "core_cpus_list")]: "1,3\n",
          },
          ["cpu0", "cpu1", "cpu2", "cpu3", "cpu4", "cpufreq", "online"],
        ),
      ),
    ).toBe(2);
    // Older kernels: thread_siblings_list only.
    expect(
      linuxPhysicalCores(
        fakeFs({ [sys(0, "thread_siblings_list")]: "0", [sys(1, "thread_siblings_list")]: "1" }, [
          "cpu0",
          "cpu1",
        ]),
      ),
    ).toBe(2);
    const cpuinfo =
      "processor\t: 0\nphysical id\t: 0\ncore id\t\t: 0\n\nprocessor\t: 1\nphysical id\t: 0\ncore id\t\t: 0\n";
    expect(linuxPhysicalCores(fakeFs({ "/proc/cpuinfo": cpuinfo }))).toBe(1);
    expect(linuxPhysicalCores(fakeFs({}))).toBeUndefined();
  });

  it("defaults the native pool to at least 1 and at most os.availableParallelism() threads", async () => {
    const threads = await defaultNativeThreads();
    expect(Number.isInteger(threads)).toBe(true);
    expect(threads).toBeGreaterThanOrEqual(1);
    expect(threads).toBeLessThanOrEqual(availableParallelism());
  });

  it.skipIf(noAddon)("is the native engine's pool size when threads is not given", async () => {
    const made = await createNativeGemm();
    expect(made.gemm?.threads).toBe(await defaultNativeThreads());
    made.gemm?.close();
  });
});
