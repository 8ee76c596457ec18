import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { type StaticServer, startStaticServer } from "../../src/server/static-server.ts";

/**
 * Shared setup of the browser lab's end-to-end tests: build the lab from the current source
 * into a temporary folder (never touching dist-web), serve it with gradscope's own static
 * server on an ephemeral port, and drive Debian's chromium through playwright-core.
 */

/** Debian's chromium; GRADSCOPE_CHROMIUM points elsewhere (or, missing, shows the skip). */
export const CHROMIUM = process.env.GRADSCOPE_CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export const hasChromium = existsSync(CHROMIUM);
export const SKIP_REASON = `${CHROMIUM} is missing (apt-get install -y chromium)`;

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Build the lab with the project's vite.config.ts into a fresh temporary folder. */
export async function buildLab(): Promise<string> {
  const { build } = await import("vite");
  const outDir = mkdtempSync(join(tmpdir(), "gradscope-lab-e2e-"));
  await build({
    configFile: join(ROOT, "vite.config.ts"),
    logLevel: "warn",
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}

export interface Lab {
  browser: Browser;
  server: StaticServer;
  url: string;
  /** Problems the pages reported: console errors, uncaught exceptions, failed requests. */
  problems: string[];
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function startLab(): Promise<Lab> {
  const dir = await buildLab();
  const server = await startStaticServer({ root: dir, port: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const problems: string[] = [];
  return {
    browser,
    server,
    url: server.url,
    problems,
    async newPage(viewport = { width: 1440, height: 900 }) {
      const context = await browser.newContext({ viewport, acceptDownloads: true });
      const page = await context.newPage();
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(`console: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
      return page;
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** Relative difference |a - b| / max(|a|, |b|) (0 when both are 0). */
export function relDiff(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}
