import { describe, expect, it } from "vitest";
import { resolveHubToken } from "./hub-cache.js";
import { HubError } from "./hub-error.js";
import {
  hubEndpoint,
  hubFileUrl,
  hubFolderUrl,
  isCommitHash,
  isHubOffline,
  normalizeEtag,
  repoFolderName,
  repoIdProblem,
} from "./hub-paths.js";
import { caughtHub } from "./hub-test-server.js";

describe("Hub names, as huggingface_hub builds them", () => {
  it("hubFileUrl: endpoint/repo/resolve/revision/file, URL-encoded like hf_hub_url", () => {
    expect(hubFileUrl("microsoft/deberta-v3-base", "config.json")).toBe(
      "https://huggingface.co/microsoft/deberta-v3-base/resolve/main/config.json",
    );
    expect(hubFileUrl("gpt2", "onnx/model file.onnx", "refs/pr/1", "http://127.0.0.1:8080/")).toBe(
      "http://127.0.0.1:8080/gpt2/resolve/refs%2Fpr%2F1/onnx/model%20file.onnx",
    );
    expect(hubFolderUrl("org/m", "v1.0")).toBe("https://huggingface.co/org/m/resolve/v1.0/");
  });

  it("the endpoint: option, else HF_ENDPOINT (empty counts as unset), else huggingface.co", () => {
    expect(hubEndpoint(undefined, {})).toBe("https://huggingface.co");
    expect(hubEndpoint(undefined, { HF_ENDPOINT: "https://mirror.example/" })).toBe("https://mirror.example");
    expect(hubEndpoint(undefined, { HF_ENDPOINT: "" })).toBe("https://huggingface.co");
    expect(hubEndpoint("http://x:1//", { HF_ENDPOINT: "https://y" })).toBe("http://x:1");
  });

  it("repository ids: the rules of validate_repo_id", () => {
    for (const good of ["gpt2", "microsoft/deberta-v3-base", "Org_1/Foo-BAR_foo.bar123", "a", "a/b"]) {
      expect(repoIdProblem(good)).toBeUndefined();
    }
    for (const bad of [
      "",
      "a/b/c",
      "../x",
      "/x",
      "x/",
      "a--b",
      "a..b",
      ".x",
      "x-",
      "x.git",
      "a b",
      "é/x",
      "a".repeat(97),
    ]) {
      expect(repoIdProblem(bad)).toBeDefined();
    }
    expect(repoFolderName("microsoft/deberta-v3-base")).toBe("models--microsoft--deberta-v3-base");
    expect(repoFolderName("gpt2")).toBe("models--gpt2");
  });

  it("invalid names throw HUB_BAD_REFERENCE naming them", async () => {
    const error = await caughtHub(() => hubFileUrl("a/b/c", "config.json"));
    expect(error).toBeInstanceOf(HubError);
    expect(error.code).toBe("HUB_BAD_REFERENCE");
    expect(error.repo).toBe("a/b/c");
    expect(error.message).toContain('"a/b/c"');
    expect((await caughtHub(() => hubFileUrl("a/b", "../x"))).file).toBe("../x");
    expect((await caughtHub(() => hubFileUrl("a/b", "x", ".."))).revision).toBe("..");
  });

  it("ETags, commit hashes and boolean variables", () => {
    expect(normalizeEtag('"abc"')).toBe("abc");
    expect(normalizeEtag('W/"abc-1"')).toBe("abc-1");
    expect(isCommitHash("0123456789abcdef0123456789abcdef01234567")).toBe(true);
    expect(isCommitHash("main")).toBe(false);
    expect(isCommitHash("0123456789ABCDEF0123456789abcdef01234567")).toBe(false);
    for (const on of ["1", "true", "True", "YES", "on"])
      expect(isHubOffline({ HF_HUB_OFFLINE: on })).toBe(true);
    for (const off of ["0", "false", "", "no"]) expect(isHubOffline({ HF_HUB_OFFLINE: off })).toBe(false);
    expect(isHubOffline({})).toBe(false);
    expect(isHubOffline({ TRANSFORMERS_OFFLINE: "1" })).toBe(true);
  });

  it("the token: option, false, HF_TOKEN, HUGGING_FACE_HUB_TOKEN, HF_HUB_DISABLE_IMPLICIT_TOKEN", async () => {
    const home = { HF_HOME: "/nonexistent-hf-home" };
    expect(await resolveHubToken({ token: "hf_a", env: { ...home, HF_TOKEN: "hf_b" } })).toBe("hf_a");
    expect(await resolveHubToken({ token: false, env: { ...home, HF_TOKEN: "hf_b" } })).toBeUndefined();
    expect(await resolveHubToken({ env: { ...home, HF_TOKEN: " hf_b\n" } })).toBe("hf_b");
    expect(await resolveHubToken({ env: { ...home, HUGGING_FACE_HUB_TOKEN: "hf_c" } })).toBe("hf_c");
    expect(
      await resolveHubToken({ env: { ...home, HF_TOKEN: "hf_b", HF_HUB_DISABLE_IMPLICIT_TOKEN: "1" } }),
    ).toBeUndefined();
    expect(await resolveHubToken({ env: home })).toBeUndefined();
  });
});
