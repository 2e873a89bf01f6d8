// Takes the README's screenshot (docs/playground.png at the repository root) from the BUILT page: the demo
// model, a text-classification run and the attention explorer, at 1280x800 in the system Chromium.
// Usage: pnpm --filter playground build && node scripts/screenshot.mjs [out.png]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "./serve.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] ?? path.join(here, "../../../docs/playground.png"));
const server = await startServer({ port: 0 });
const profile = mkdtempSync(path.join(tmpdir(), "playground-shot-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: false,
  args: ["--headless=new", "--no-sandbox", "--no-first-run", "--disable-background-networking"],
  viewport: { width: 1280, height: 800 },
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(server.url);
  await page.waitForSelector("body[data-ready=true]");
  await page.click("#load-demo");
  await page.waitForSelector("#model-name");
  await page.click("#run");
  await page.waitForFunction(() => /ms$/.test(document.querySelector("#timing")?.textContent ?? ""));
  await page.click("#attention-run");
  await page.waitForSelector("#attention-head");
  await page.$eval("#task-panel", (e) => e.scrollIntoView());
  await page.screenshot({ path: out });
  console.log(out);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  await server.close();
}
