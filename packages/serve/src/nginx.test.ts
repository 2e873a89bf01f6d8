// Scale-out with an existing balancer: two server processes on 127.0.0.1 behind nginx running the shipped
// deploy/nginx.conf (ports and file paths substituted, no root needed), a load of requests through nginx, one
// replica killed (SIGKILL) mid-load and started again. Every 200 must be the right answer, and failures may
// only be connection-type errors (nginx's 502 / 504, or a refused connection) of requests in flight on the
// killed replica — with nginx retrying them on the other replica there should be none.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pipeline } from "deberta";
import { describe, expect, it } from "vitest";
import { type ServerProcess, startServerProcess, waitHealthy } from "./process-support.js";
import { demoModel, expectSameAnswer, metric, until } from "./test-support.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const shippedConfig = path.resolve(here, "../deploy/nginx.conf");

/** nginx on the PATH, or where Debian's nginx packages put it (/usr/sbin is not on a user's PATH). */
function findNginx(): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/usr/local/sbin"];
  return dirs
    .filter((dir) => path.isAbsolute(dir))
    .map((dir) => path.join(dir, "nginx"))
    .find((file) => existsSync(file));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The shipped config with this test's ports and a temporary folder for every file nginx writes. */
function testConfig(dir: string, listen: number, upstreams: [string, string]): string {
  let text = readFileSync(shippedConfig, "utf8");
  const replace = (pattern: RegExp, value: string) => {
    const matches = text.match(new RegExp(pattern.source, `${pattern.flags.replace("g", "")}g`)) ?? [];
    // The shipped file must keep the shape this test relies on.
    expect(matches, String(pattern)).toHaveLength(1);
    text = text.replace(pattern, value);
  };
  replace(/^worker_processes .*;$/m, "worker_processes 1;");
  replace(/^pid .*;$/m, `pid ${dir}/nginx.pid;`);
  replace(/^error_log .*;$/m, `error_log ${dir}/error.log info;`);
  replace(/^ {2}access_log .*;$/m, `  access_log ${dir}/access.log;`);
  for (const temp of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) {
    mkdirSync(path.join(dir, temp));
    replace(new RegExp(`^ {2}${temp}_temp_path .*;$`, "m"), `  ${temp}_temp_path ${dir}/${temp};`);
  }
  replace(/server 127\.0\.0\.1:8081 /, `server ${upstreams[0]} `);
  replace(/server 127\.0\.0\.1:8082 /, `server ${upstreams[1]} `);
  replace(/listen 127\.0\.0\.1:8080;/, `listen 127.0.0.1:${listen};`);
  return text;
}

const nginx = findNginx();
// Skipped where nginx is missing, except in CI, which installs it (.ci/run): there a missing nginx fails.
const skip = nginx === undefined && !process.env.CI;
const title = skip
  ? "two replicas behind nginx (skipped: nginx is not installed here; apt-get install nginx-light, as .ci/run does)"
  : "two replicas behind nginx: one killed and restarted under load, no wrong answer, no failure beyond retried connection errors";

interface Outcome {
  index: number;
  status: number;
  body?: unknown;
  error?: string;
}

describe("scale-out", () => {
  it.skipIf(skip)(title, async () => {
    expect(nginx, "nginx (CI installs nginx-light)").toBeDefined();
    const dir = mkdtempSync(path.join(tmpdir(), "deberta-nginx-"));
    const classify = await pipeline("text-classification", demoModel);
    const replicas: ServerProcess[] = [];
    let balancer: ChildProcess | undefined;
    const start = (port = 0) => {
      const p = startServerProcess({ model: demoModel, port, logger: { level: "info" } });
      replicas.push(p);
      return p;
    };
    try {
      const [a, b] = [start(), start()];
      const [urlA, urlB] = await Promise.all([a!.listening, b!.listening]);
      await Promise.all([waitHealthy(urlA), waitHealthy(urlB)]);
      const hostA = new URL(urlA).host;
      const listen = await freePort();
      const config = path.join(dir, "nginx.conf");
      writeFileSync(config, testConfig(dir, listen, [hostA, new URL(urlB).host]));
      balancer = spawn(
        nginx!,
        ["-e", path.join(dir, "error.log"), "-p", dir, "-c", config, "-g", "daemon off;"],
        {
          stdio: ["ignore", "ignore", "pipe"],
        },
      );
      let nginxStderr = "";
      balancer.stderr!.on("data", (chunk) => {
        nginxStderr += chunk;
      });
      const front = `http://127.0.0.1:${listen}`;
      await waitHealthy(front).catch((error: unknown) => {
        throw new Error(`nginx did not start: ${nginxStderr} ${String(error)}`);
      });

      const texts = Array.from({ length: 12 }, (_, i) =>
        Array.from(
          { length: 2 + i * 2 },
          (_, w) => ["soccer", "men", "play", "a", "sport", "game"][(w + i) % 6],
        ).join(" "),
      );
      const expected = await Promise.all(texts.map((t) => classify(t, { top_k: null })));

      const outcomes: Outcome[] = [];
      let next = 0;
      let total = 400;
      const concurrency = 8;
      let killed = false;
      let restarted: ServerProcess | undefined;
      const worker = async () => {
        while (next < total) {
          const index = next++;
          const text = texts[index % texts.length]!;
          try {
            const r = await fetch(`${front}/predict`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ inputs: text }),
            });
            const body = await r.json().catch(() => undefined);
            outcomes.push({ index, status: r.status, body });
          } catch (error) {
            outcomes.push({ index, status: 0, error: String(error) });
          }
          if (!killed && outcomes.length >= 100) {
            killed = true;
            a!.child.kill("SIGKILL");
            await a!.exited;
            // Back on the same port, as a supervisor would restart it; it answers 503 while loading.
            restarted = start(Number(new URL(urlA).port));
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      expect(killed).toBe(true);
      // The restarted replica takes traffic again (once nginx's fail_timeout is over): keep the load on until it has.
      const urlA2 = await restarted!.listening;
      await waitHealthy(urlA2);
      await until(async () => {
        total = next + concurrency;
        await Promise.all(Array.from({ length: concurrency }, worker));
        const text = await fetch(`${urlA2}/metrics`).then((r) => r.text());
        return (metric(text, "deberta_http_requests_total", '{route="/predict",status="200"}') ?? 0) > 0;
      }, "the restarted replica to serve requests through nginx");

      const ok = outcomes.filter((o) => o.status === 200);
      for (const o of ok) expectSameAnswer(o.body, expected[o.index % texts.length], `request ${o.index}`);
      const failed = outcomes.filter((o) => o.status !== 200);
      // Connection-type only: nothing reached a replica that answered (nginx's 502 / 504, or no connection).
      for (const f of failed) expect([0, 502, 504], JSON.stringify(f)).toContain(f.status);
      // At most what was in flight on the killed replica (at most one request per client).
      expect(failed.length).toBeLessThanOrEqual(concurrency);
      // What nginx met on the killed replica, each time sending the request on to the other one.
      const errors = readFileSync(path.join(dir, "error.log"), "utf8")
        .split("\n")
        .filter((l) => /\[error\]/.test(l));
      const inFlight = errors.filter((l) => /prematurely closed|reset by peer|Broken pipe/i.test(l)).length;
      const refused = errors.filter((l) => /Connection refused/.test(l)).length;
      console.info(
        `nginx failover: ${outcomes.length} requests, ${ok.length} answered 200 (all correct), ${failed.length} failed; ` +
          `nginx retried ${inFlight} requests in flight on the killed replica and ${refused} refused connections on the other replica`,
      );
    } finally {
      balancer?.kill("SIGTERM");
      for (const r of replicas) r.child.kill("SIGKILL");
      classify.dispose();
      if (balancer)
        await new Promise((resolve) =>
          balancer!.exitCode === null ? balancer!.once("exit", resolve) : resolve(null),
        );
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
