/**
 * Checks the browser lab's matrix kernel in Debian's chromium: builds the lab into a temporary
 * folder, serves it with gradscope's static server (which sends COOP/COEP, so the page is
 * cross-origin isolated), trains a W-like network (width 256, depth 20, batch 128, tanh) for a
 * few seconds and prints what the training worker reports: its kernel, whether the wasm helper
 * thread was started, relaxed-SIMD support, and steps/second.
 *
 * With --no-isolation it serves the same files without COOP/COEP instead (a plain static
 * server), so the page is not isolated and the kernel runs on the training worker alone.
 *
 *   npx tsx bench/wasm-lab-check.ts [--seconds 8] [--depth 20] [--width 256] [--batch 128]
 *                                   [--dtype f32] [--no-isolation]
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";
import { startStaticServer } from "../src/server/static-server.ts";
import { buildLab, CHROMIUM, CHROMIUM_ARGS } from "../test/e2e/harness.ts";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const seconds = Number(arg("seconds", "8"));
const hash = `#view=lab&depth=${arg("depth", "20")}&width=${arg("width", "256")}&batch=${arg("batch", "128")}&activation=tanh&steps=100000&dtype=${arg("dtype", "f32")}`;

const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".wasm": "application/wasm",
};

/** The built lab over plain HTTP with no isolation headers (for --no-isolation). */
async function plainServer(root: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    const file = join(root, path.endsWith("/") ? `${path}index.html` : path);
    readFile(file).then(
      (body) => {
        res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
        res.end(body);
      },
      () => {
        res.writeHead(404);
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const dir = await buildLab();
const server = process.argv.includes("--no-isolation")
  ? await plainServer(dir)
  : await startStaticServer({ root: dir, port: 0 });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(`${server.url}${hash}`);
  try {
    await page.waitForSelector("#lab-engine[data-gemm]", { state: "attached", timeout: 60_000 });
  } catch (err) {
    await page.screenshot({ path: "/tmp/gradscope-wasm-lab-check.png" });
    const status = await page.textContent("#lab-status").catch(() => null);
    throw new Error(
      `the lab never reported its kernel (status: ${status}; problems: ${problems.join(" | ")}): ${err}`,
    );
  }
  // evaluated as strings: this file is type-checked without the DOM and WebAssembly libs
  const isolated = await page.evaluate("globalThis.crossOriginIsolated");
  const relaxed = await page.evaluate(
    "WebAssembly.validate(new Uint8Array([0,97,115,109,1,0,0,0,1,5,1,96,0,1,123,3,2,1,0,10,19,1,17,0,65,0,253,15,65,0,253,15,65,0,253,15,253,133,2,11]))",
  );
  await page.click("#lab-play");
  await page.waitForTimeout(seconds * 1000);
  const stepsPerSecond = await page.getAttribute("#lab-status", "data-steps-per-second");
  await page.click("#lab-play");
  const gemm = await page.getAttribute("#lab-engine", "data-gemm");
  const workers = page.workers().map((w) => w.url().replace(server.url, ""));
  console.log(
    JSON.stringify(
      {
        hash,
        crossOriginIsolated: isolated,
        relaxedSimdValidates: relaxed,
        gemm,
        workers,
        helperStarted: workers.some((u) => u.includes("gemm-helper")),
        stepsPerSecond: Number(stepsPerSecond),
        problems,
      },
      null,
      2,
    ),
  );
} finally {
  await browser.close();
  await server.close();
}
