// The server as a process (what `deberta serve` runs): JSON-lines logs, and SIGTERM's graceful drain — requests
// held in the queue when the signal comes are all answered, then the process exits 0.
import { pipeline } from "deberta";
import { describe, expect, it } from "vitest";
import { startServerProcess, waitHealthy } from "./process-support.js";
import { demoModel, expectSameAnswer, metric, until } from "./test-support.js";

describe("server process", () => {
  it("SIGTERM: stops listening, answers every queued request, exits 0; logs are JSON lines", async () => {
    // A batch waits up to a minute for company: the requests stay queued until SIGTERM flushes them.
    const p = startServerProcess({ model: demoModel, maxBatchWaitMs: 60_000, logger: { level: "info" } });
    const classify = await pipeline("text-classification", demoModel);
    try {
      const url = await p.listening;
      await waitHealthy(url);
      const texts = ["one", "two words", "three words here", "and four words here", "five"];
      const answers = texts.map((inputs) =>
        fetch(`${url}/predict`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ inputs }),
        }).then(async (r) => ({ status: r.status, body: await r.json() })),
      );
      await until(async () => {
        const text = await fetch(`${url}/metrics`).then((r) => r.text());
        return metric(text, "deberta_queue_depth") === texts.length;
      }, "every request to be queued");
      p.child.kill("SIGTERM");
      const results = await Promise.all(answers);
      for (const [i, r] of results.entries()) {
        expect(r.status).toBe(200);
        expectSameAnswer(r.body, await classify(texts[i]!, { top_k: null }));
      }
      expect(await p.exited).toBe(0);
      await expect(fetch(`${url}/health`)).rejects.toThrow();
      expect(p.notJson).toEqual([]);
      const messages = p.logs.map((l) => l.msg);
      expect(messages).toEqual(
        expect.arrayContaining(["model loaded; ready", "signal received", "draining", "closed"]),
      );
      expect(p.logs.find((l) => l.msg === "draining")).toMatchObject({ queued_rows: texts.length });
      expect(p.logs.find((l) => l.msg === "closed")).toMatchObject({ drained: true });
      expect(p.logs.filter((l) => l.msg === "request" && l.url === "/predict")).toHaveLength(texts.length);
    } finally {
      p.child.kill("SIGKILL");
      classify.dispose();
    }
  });

  it("SIGTERM right after start (loading or not) exits 0; a model that cannot load exits 1 saying why", async () => {
    const p = startServerProcess({ model: demoModel, logger: { level: "info" } });
    await p.listening;
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);

    const bad = startServerProcess({ model: "/nonexistent/model", logger: { level: "info" } });
    expect(await bad.exited).toBe(1);
    expect(bad.stderr).toMatch(/nonexistent/);
  });
});
