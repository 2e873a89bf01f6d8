import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HubProgressEvent } from "./hub-download.js";
import { HubError } from "./hub-error.js";
import { fetchHubFile } from "./hub-fetch.js";
import { caughtHub, HubTestServer, sha256Hex } from "./hub-test-server.js";

const weights = new Uint8Array(200_000).map((_, i) => (i * 7919) % 251);
const config = new TextEncoder().encode('{"model_type": "deberta"}');

describe("fetchHubFile (in memory, no file system)", () => {
  let hub: HubTestServer;
  beforeAll(async () => {
    hub = await HubTestServer.start({
      repos: { "acme/tiny": { files: { "config.json": config, "model.safetensors": weights } } },
      cors: true,
    });
  });
  afterAll(() => hub.close());

  it("downloads an LFS file through its redirect, with progress up to the size", async () => {
    const events: HubProgressEvent[] = [];
    hub.faults = [{ kind: "slow", file: "model.safetensors", chunkBytes: 32_768, delayMs: 5 }];
    const bytes = await fetchHubFile("acme/tiny", "model.safetensors", {
      endpoint: hub.url,
      onProgress: (e) => events.push(e),
    });
    hub.faults = [];
    expect(sha256Hex(bytes)).toBe(sha256Hex(weights));
    expect(events.length).toBeGreaterThan(2);
    expect(
      events.every((e) => e.total === weights.length && !e.cached && e.file === "model.safetensors"),
    ).toBe(true);
    const loaded = events.map((e) => e.loaded);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    expect(loaded.at(-1)).toBe(weights.length);
    expect(hub.matching("GET", "model.safetensors", "/blobs/")).toHaveLength(1);
    expect(
      new TextDecoder().decode(await fetchHubFile("acme/tiny", "config.json", { endpoint: hub.url })),
    ).toBe('{"model_type": "deberta"}');
  });

  it("answers cross-origin pages: the test Hub sends CORS headers when asked", async () => {
    const res = await fetch(`${hub.url}/acme/tiny/resolve/main/config.json`);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("typed errors: a missing file or repository, a cut download, a bad id", async () => {
    const missing = await caughtHub(() => fetchHubFile("acme/tiny", "vocab.json", { endpoint: hub.url }));
    expect(missing.code).toBe("HUB_NOT_FOUND");
    expect(missing.file).toBe("vocab.json");
    expect(
      (await caughtHub(() => fetchHubFile("acme/none", "config.json", { endpoint: hub.url }))).message,
    ).toContain("repository not found");
    hub.faults = [{ kind: "drop", file: "model.safetensors", afterBytes: 1000 }];
    const cut = await caughtHub(() => fetchHubFile("acme/tiny", "model.safetensors", { endpoint: hub.url }));
    expect(cut.code).toBe("HUB_NETWORK");
    expect((await caughtHub(() => fetchHubFile("a/b/c", "config.json"))).code).toBe("HUB_BAD_REFERENCE");
    const closed = await caughtHub(() =>
      fetchHubFile("acme/tiny", "config.json", { endpoint: "http://127.0.0.1:1" }),
    );
    expect(closed).toBeInstanceOf(HubError);
    expect(closed.code).toBe("HUB_NETWORK");
  });
});
