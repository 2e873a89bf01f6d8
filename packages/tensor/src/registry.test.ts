import { describe, expect, it } from "vitest";
import type { Backend } from "./backend.js";
import { BackendError, BackendResolutionError, shapeError } from "./errors.js";
import { BackendRegistry } from "./registry.js";
import { broadcastShapes } from "./shape.js";

const fake = (name: string) => ({ name }) as unknown as Backend;

describe("BackendRegistry", () => {
  it("resolves by descending priority and skips candidates that fail", async () => {
    const registry = new BackendRegistry();
    registry.register("slow", () => fake("slow"), 1);
    registry.register(
      "gpu",
      () => {
        throw new Error("no adapter");
      },
      20,
    );
    registry.register("fast", async () => fake("fast"), 10);
    expect(registry.names()).toEqual(["gpu", "fast", "slow"]);
    expect((await registry.resolve()).name).toBe("fast");
    expect((await registry.resolve(["slow", "fast"])).name).toBe("slow");
  });

  it("reports every candidate that failed and why", async () => {
    const registry = new BackendRegistry();
    registry.register("webgpu", () => {
      throw new Error("navigator.gpu is undefined");
    });
    registry.register("cuda", async () => {
      throw new Error("libcuda.so.1 not found");
    });
    const error = await registry.resolve(["webgpu", "cuda", "tpu"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendResolutionError);
    const e = error as BackendResolutionError;
    expect(e.code).toBe("BACKEND_UNAVAILABLE");
    expect(e.failures.map((f) => f.name)).toEqual(["webgpu", "cuda", "tpu"]);
    expect(e.message).toContain("navigator.gpu is undefined");
    expect(e.message).toContain("libcuda.so.1 not found");
    expect(e.message).toContain("tpu: not registered (registered: webgpu, cuda)");
  });

  it("says when nothing is registered", async () => {
    const e = (await new BackendRegistry().resolve().catch((x: unknown) => x)) as BackendResolutionError;
    expect(e.code).toBe("BACKEND_NOT_FOUND");
    expect(e.message).toContain("no backend is registered");
  });
});

describe("errors and shapes", () => {
  it("shape errors name the op and every input shape", () => {
    const e = shapeError("matmul", "inner dimensions differ", [
      [2, 3],
      [4, 5],
    ]);
    expect(e).toBeInstanceOf(BackendError);
    expect(e.code).toBe("BACKEND_SHAPE");
    expect(e.op).toBe("matmul");
    expect(e.message).toBe("matmul: inner dimensions differ (input shapes [2, 3], [4, 5])");
  });

  it("broadcasts like numpy and refuses what numpy refuses", () => {
    expect(broadcastShapes("add", [2, 1, 4], [3, 1])).toEqual([2, 3, 4]);
    expect(broadcastShapes("add", [], [5])).toEqual([5]);
    expect(() => broadcastShapes("add", [2, 3], [4, 3])).toThrow(
      /add: shapes do not broadcast \(input shapes \[2, 3\], \[4, 3\]\)/,
    );
  });
});
