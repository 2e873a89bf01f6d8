import { readFile } from "node:fs/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DebertaConfig } from "./deberta-config.js";
import { DebertaConfigError } from "./errors.js";
import { type FetchLike, resolveConfigUrl } from "./load.js";
import { caught, modelConfigPath } from "./test-helpers.js";

function fakeFetch(routes: Record<string, { status?: number; body: string }>): {
  fetch: FetchLike;
  calls: string[];
} {
  const calls: string[] = [];
  const fetch: FetchLike = async (url) => {
    calls.push(url);
    const route = routes[url];
    const status = route?.status ?? (route === undefined ? 404 : 200);
    return {
      ok: status >= 200 && status < 300,
      status,
      statusText: status === 404 ? "Not Found" : "OK",
      text: async () => route?.body ?? "",
    };
  };
  return { fetch, calls };
}

describe("resolveConfigUrl", () => {
  it.each([
    [
      "https://huggingface.co/microsoft/deberta-base/resolve/main",
      "https://huggingface.co/microsoft/deberta-base/resolve/main/config.json",
    ],
    ["https://example.com/models/tiny/", "https://example.com/models/tiny/config.json"],
    ["https://example.com/", "https://example.com/config.json"],
    ["https://example.com/models/tiny/config.json", "https://example.com/models/tiny/config.json"],
    ["https://example.com/x/other.JSON?v=1", "https://example.com/x/other.JSON?v=1"],
    [
      "https://example.com/models/tiny?download=true",
      "https://example.com/models/tiny/config.json?download=true",
    ],
  ])("%s -> %s", (input, expected) => {
    expect(resolveConfigUrl(new URL(input)).href).toBe(expected);
  });
});

describe("from_pretrained with URLs", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  const fixtureUrl = "https://example.com/base-like/model/config.json";

  it("fetches <url>/config.json for a folder URL and names the URL as source", async () => {
    const body = await readFile(modelConfigPath("base-like", "model"), "utf8");
    const { fetch, calls } = fakeFetch({ [fixtureUrl]: { body } });
    const config = await DebertaConfig.from_pretrained("https://example.com/base-like/model", { fetch });
    expect(calls).toEqual([fixtureUrl]);
    expect(config.source).toBe(fixtureUrl);
    expect(config.to_dict()).toStrictEqual(JSON.parse(body));
  });

  it("accepts a URL object and a direct .json URL, using the global fetch by default", async () => {
    const body = await readFile(modelConfigPath("p2c-only", "model"), "utf8");
    const { fetch, calls } = fakeFetch({ "https://example.com/p2c.json": { body } });
    vi.stubGlobal("fetch", fetch);
    const config = await DebertaConfig.from_pretrained(new URL("https://example.com/p2c.json"));
    expect(calls).toEqual(["https://example.com/p2c.json"]);
    expect(config.pos_att_types).toEqual(["p2c"]);
  });

  it("an HTTP error is CONFIG_READ naming the URL and status", async () => {
    const { fetch } = fakeFetch({});
    const error = await caught(() => DebertaConfig.from_pretrained("https://example.com/missing", { fetch }));
    expect(error).toBeInstanceOf(DebertaConfigError);
    const e = error as DebertaConfigError;
    expect(e.code).toBe("CONFIG_READ");
    expect(e.file).toBe("https://example.com/missing/config.json");
    expect(e.message).toContain("https://example.com/missing/config.json");
    expect(e.message).toContain("404");
  });

  it("a network failure is CONFIG_READ with the cause kept", async () => {
    const boom = new Error("ECONNREFUSED");
    const fetch: FetchLike = async () => {
      throw boom;
    };
    const e = (await caught(() =>
      DebertaConfig.from_pretrained("https://example.com/a.json", { fetch }),
    )) as DebertaConfigError;
    expect(e.code).toBe("CONFIG_READ");
    expect(e.cause).toBe(boom);
    expect(e.message).toContain("ECONNREFUSED");
  });

  it("invalid JSON from a URL is CONFIG_JSON naming the URL", async () => {
    const { fetch } = fakeFetch({ "https://example.com/a.json": { body: "<html>" } });
    const e = (await caught(() =>
      DebertaConfig.from_pretrained("https://example.com/a.json", { fetch }),
    )) as DebertaConfigError;
    expect(e.code).toBe("CONFIG_JSON");
    expect(e.file).toBe("https://example.com/a.json");
    expect(e.message).toContain("https://example.com/a.json");
  });

  it("an unsupported protocol is CONFIG_READ", async () => {
    const e = (await caught(() =>
      DebertaConfig.from_pretrained("ftp://example.com/config.json"),
    )) as DebertaConfigError;
    expect(e.code).toBe("CONFIG_READ");
    expect(e.message).toContain("ftp:");
  });
});
