import { describe, expect, it, vi } from "vitest";

// A browser: no Node.js, so no file system. The module's other exports stay as they are.
vi.mock("./node.js", async (importOriginal) => ({
  ...(await importOriginal<typeof import("./node.js")>()),
  isNode: () => false,
}));

const { hfFileDownload } = await import("./hub-download.js");
const { hubFileUrl } = await import("./hub-paths.js");
const { parseModelRef, resolveModel, resolveModelFiles } = await import("./hub-resolve.js");
const { caughtHub } = await import("./hub-test-server.js");

describe("without a file system (browsers)", () => {
  it("resolveModelFiles returns the folder URL of a Hub id or URL, without any request", async () => {
    const noNetwork = vi.fn<typeof fetch>();
    const options = { env: {}, fetch: noNetwork };
    expect(await resolveModelFiles("microsoft/deberta-base", options)).toBe(
      "https://huggingface.co/microsoft/deberta-base/resolve/main/",
    );
    expect(
      await resolveModelFiles("org/model", {
        ...options,
        revision: "refs/pr/1",
        endpoint: "https://hf.example/",
      }),
    ).toBe("https://hf.example/org/model/resolve/refs%2Fpr%2F1/");
    expect(await resolveModelFiles("org/model", { env: { HF_ENDPOINT: "https://mirror.example" } })).toBe(
      "https://mirror.example/org/model/resolve/main/",
    );
    expect(await resolveModelFiles("https://cdn.example/models/x", options)).toBe(
      "https://cdn.example/models/x/",
    );
    const resolved = await resolveModel("org/model", options);
    expect(resolved).toMatchObject({ kind: "remote", files: [], weights: [] });
    expect(new URL("config.json", resolved.dir).href).toBe(hubFileUrl("org/model", "config.json"));
    expect(noNetwork).not.toHaveBeenCalled();
  });

  it("a path-like reference is returned as given; downloads say to use URLs", async () => {
    expect(await parseModelRef("./models/x")).toEqual({ kind: "local", value: "./models/x" });
    expect(await resolveModelFiles("./models/x")).toBe("./models/x");
    const error = await caughtHub(() => hfFileDownload("org/model", "config.json", { env: {} }));
    expect(error.code).toBe("HUB_BAD_REFERENCE");
    expect(error.message).toContain("hubFileUrl");
    expect((await caughtHub(() => resolveModelFiles("a/b/c"))).code).toBe("HUB_BAD_REFERENCE");
  });
});
