// Node side of src/browser.test.ts: bundles page.ts, serves it with the fixtures over HTTP, and drives
// Chromium (the system one, through playwright-core: no browser download) on that page.
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's chromium package, which CI installs; it also ships the SwiftShader Vulkan driver. */
export const CHROMIUM = "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  // --headless=new (not Playwright's headless shell mode) is the full browser, which has WebGPU.
  "--headless=new",
  "--no-sandbox",
  // WebGPU is off on Linux unless asked for; without a GPU Chromium falls back to SwiftShader by itself.
  "--enable-unsafe-webgpu",
  // The test machines have no network: keep Chromium from trying (and stalling) on it.
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

const here = path.dirname(fileURLToPath(import.meta.url));

/** Bundles page.ts into `outDir`/page.js and returns its path. */
export async function bundlePage(outDir: string): Promise<string> {
  const outfile = path.join(outDir, "page.js");
  const result = await build({
    entryPoints: [path.join(here, "page.ts")],
    outfile,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "chrome120",
    logLevel: "silent",
  });
  for (const w of result.warnings)
    console.warn(`esbuild: ${w.text}${w.location ? ` (${w.location.file})` : ""}`);
  return outfile;
}

const HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>deberta webgpu</title>
<link rel="icon" href="data:,">
<script type="module" src="/page.js"></script></head><body></body></html>`;

const TYPES: Record<string, string> = {
  ".json": "application/json",
  ".js": "text/javascript",
};

/**
 * Serves `/` (the page), `/page.js` (the bundle) and `/fixtures/...` (files under `modelsDir`) on
 * 127.0.0.1: a loopback origin is a secure context, which navigator.gpu needs, and is reachable offline.
 */
export async function serve(bundle: string, modelsDir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const send = (status: number, body: string, type = "text/plain") => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    const raw = req.url ?? "/";
    let pathname: string;
    try {
      pathname = decodeURIComponent(raw.split("?")[0] ?? "/");
    } catch {
      return send(400, "bad path");
    }
    // Checked before any URL normalization would fold the `..` away, so every such request is refused.
    if (pathname.split(/[/\\]/).includes("..")) return send(403, "no .. in paths");
    if (pathname === "/") return send(200, HTML, "text/html");
    let file: string | undefined;
    if (pathname === "/page.js") file = bundle;
    else if (pathname.startsWith("/fixtures/"))
      file = path.join(modelsDir, pathname.slice("/fixtures/".length));
    if (file === undefined || !existsSync(file) || !statSync(file).isFile()) return send(404, "not found");
    res.writeHead(200, {
      "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the server has no TCP address");
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

export interface BrowserHarness {
  page: Page;
  close(): Promise<void>;
}

/**
 * Bundles the page, serves it and opens it in headless Chromium with WebGPU. The page's console errors
 * and uncaught exceptions go to the test output: a failing evaluate alone rarely says why.
 */
export async function openBrowserHarness(modelsDir: string): Promise<BrowserHarness> {
  const tmp = mkdtempSync(path.join(tmpdir(), "deberta-webgpu-browser-"));
  let server: Server | undefined;
  let context: BrowserContext | undefined;
  const close = async () => {
    await context?.close().catch(() => {});
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const bundle = await bundlePage(tmp);
    const served = await serve(bundle, modelsDir);
    server = served.server;
    // A fresh profile each run: nothing cached from an earlier page.js, no leftover GPU cache.
    context = await chromium.launchPersistentContext(path.join(tmp, "profile"), {
      executablePath: CHROMIUM,
      headless: false,
      args: CHROMIUM_ARGS,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") console.error(`[chromium ${m.type()}] ${m.text()}`);
    });
    page.on("pageerror", (e) => console.error(`[chromium pageerror] ${e.stack ?? e.message}`));
    await page.goto(served.url);
    // goto resolves after the module script ran; should page.js have thrown (its error is logged above),
    // this fails here with a timeout instead of in every test.
    await page.waitForFunction(() => typeof window.runConformance === "function");
    return { page, close };
  } catch (e) {
    await close();
    throw e;
  }
}
