/**
 * The lab's Run view in a real browser (Debian's chromium through playwright-core):
 * `gradscope serve RUN_DIR` with a run from `gradscope train` and with an imported-style run
 * (the PyTorch hook's shape, written here), a metrics file dropped through the file input,
 * and the time to the first figure of a 10^4-record run. Screenshots at 1280 and 390 px go
 * to /tmp/gradscope-lab-run-*.png, beside the lab's.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe } from "../../src/cli/commands/serve.ts";
import { main } from "../../src/cli/main.ts";
import { captureOutput } from "../../src/cli/test-output.ts";
import type { StaticServer } from "../../src/server/static-server.ts";
import {
  fixtureConfig,
  fixtureLines,
  fixtureSummary,
} from "../../src/web/run-view/testing/imported-fixture.ts";
import { buildLab, CHROMIUM, CHROMIUM_ARGS, hasChromium, SKIP_REASON } from "./harness.ts";

if (!hasChromium) {
  if (process.env.CI)
    throw new Error(`CI must install chromium for the browser lab: ${SKIP_REASON}`);
  console.warn(`run view e2e tests skipped: ${SKIP_REASON}`);
}

const describeRun = hasChromium ? describe : describe.skip;
const SHOTS = "/tmp/gradscope-lab-run";

async function cli(...argv: string[]): Promise<string> {
  const output = captureOutput();
  const code = await main(argv, output);
  expect(code, output.stderr()).toBe(0);
  return output.stdout();
}

function importedRunDir(steps: number): string {
  const dir = mkdtempSync(join(tmpdir(), "gradscope-run-imported-"));
  writeFileSync(join(dir, "config.json"), JSON.stringify(fixtureConfig()));
  writeFileSync(join(dir, "metrics.jsonl"), `${fixtureLines({ steps, spikeAt: 70 }).join("\n")}\n`);
  writeFileSync(join(dir, "summary.json"), JSON.stringify(fixtureSummary(steps)));
  return dir;
}

async function rendered(page: Page, name: string): Promise<void> {
  await expect
    .poll(async () => Number(await page.getAttribute(`[data-figure="${name}"]`, "data-renders")), {
      timeout: 30_000,
    })
    .toBeGreaterThanOrEqual(1);
}

describeRun(`run view e2e${hasChromium ? "" : ` (skipped: ${SKIP_REASON})`}`, () => {
  let labDir: string;
  const servers: StaticServer[] = [];
  let browser: Awaited<ReturnType<typeof chromium.launch>>;
  const problems: string[] = [];

  async function serve(run: string): Promise<string> {
    const server = await startServe(
      { port: 0, host: "127.0.0.1", dir: labDir, run },
      captureOutput(),
    );
    servers.push(server);
    return server.url;
  }

  async function open(url: string, width: number): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    await page.goto(url);
    return page;
  }

  beforeAll(async () => {
    labDir = await buildLab();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await s.close();
  });

  it("opens a gradscope train run on the Run view with the CLI's verdict and its figures", async () => {
    const run = join(mkdtempSync(join(tmpdir(), "gradscope-run-train-")), "sigmoid");
    await cli(
      "train",
      ..."--depth 12 --width 16 --activation sigmoid --init standard-uniform --steps 60 --record-every 2 --dataset blobs --quiet --out".split(
        " ",
      ),
      run,
    );
    const diagnose = await cli("diagnose", run);
    const verdictLine = /^verdict: (.*)$/m.exec(diagnose)![1]!;
    const url = await serve(run);
    const page = await open(url, 1280);
    await expect.poll(() => new URL(page.url()).hash).toBe("#view=run");
    await expect
      .poll(() => page.getAttribute("#run-verdict", "data-verdict"), { timeout: 30_000 })
      .toBe("vanishing");
    expect(await page.textContent("#run-verdict")).toBe(`verdict: ${verdictLine}`);
    const findings = (await page.textContent("#run-findings"))!;
    for (const line of findings.split("\n")) expect(diagnose).toContain(line);
    expect(await page.textContent("#run-origin")).toContain("gradscope train, depth 12, sigmoid");
    for (const name of ["run-loss", "run-grad-norm", "run-heatmap", "run-updates"]) {
      await rendered(page, name);
    }
    expect(await page.isHidden("[data-figure='run-histograms']")).toBe(true);
    const heat = (await page.innerHTML("[data-figure='run-heatmap']"))!;
    expect(heat).toContain("layer 12");
    expect(heat).toContain("training step");
    await page.screenshot({ path: `${SHOTS}-train-1280.png`, fullPage: true });
    // the Lab link leaves the run; the browser's back button returns to it
    await page.click("nav a[data-view='lab']");
    await expect.poll(() => page.isVisible("#panel-lab")).toBe(true);
    expect(await page.isHidden("#panel-run")).toBe(true);
    await page.goBack();
    await expect.poll(() => page.isVisible("#panel-run")).toBe(true);
  }, 120_000);

  it("opens an imported run: module groups, sort, histograms; then a dropped metrics file", async () => {
    const url = await serve(importedRunDir(200));
    for (const width of [1280, 390]) {
      const page = await open(url, width);
      await expect
        .poll(async () => (await page.getAttribute("#run-verdict", "data-verdict")) ?? "", {
          timeout: 30_000,
        })
        .toMatch(/^[a-z]/);
      expect(await page.textContent("#run-origin")).toContain(
        "imported from pytorch-hook (tiny transformer), 14 modules",
      );
      for (const name of [
        "run-loss",
        "run-grad-norm",
        "run-heatmap",
        "run-updates",
        "run-histograms",
      ]) {
        await rendered(page, name);
      }
      expect(await page.textContent("#run-notes")).toContain("loss: 1, gradient norm: 1");
      const heatmap = "[data-figure='run-heatmap']";
      // labels keep their end when cut to fit a narrow screen
      expect(await page.innerHTML(heatmap)).toContain("layers.1.linear1");
      // collapse a group: one row for it
      const before = Number(await page.getAttribute(heatmap, "data-renders"));
      await page.click("button[data-group='encoder.layers.1']");
      await expect
        .poll(async () => Number(await page.getAttribute(heatmap, "data-renders")))
        .toBe(before + 1);
      const collapsed = (await page.innerHTML(heatmap))!;
      expect(collapsed).toContain("layers.1.*");
      expect(collapsed).not.toContain("layers.1.linear1");
      await page.selectOption("#run-order", "norm");
      await expect
        .poll(async () => Number(await page.getAttribute(heatmap, "data-renders")))
        .toBe(before + 2);
      await page.selectOption("#run-hist-module", { label: "encoder.layers.2.linear1" });
      await expect
        .poll(async () => (await page.innerHTML("[data-figure='run-histograms']")) ?? "")
        .toContain("encoder.layers.2.linear1");
      await page.screenshot({ path: `${SHOTS}-imported-${width}.png`, fullPage: true });
    }

    // drop (through the file input) a metrics file with config: parsed in the page's worker
    const page = await open(`${url}#view=run`, 1280);
    await expect
      .poll(async () => (await page.getAttribute("#run-verdict", "data-verdict")) ?? "", {
        timeout: 30_000,
      })
      .toMatch(/^[a-z]/);
    const dir = mkdtempSync(join(tmpdir(), "gradscope-run-drop-"));
    const metrics = join(dir, "metrics.jsonl");
    writeFileSync(
      metrics,
      `${fixtureLines({ steps: 120, nanFrom: 100, hist: false }).join("\n")}\n`,
    );
    const config = join(dir, "config.json");
    writeFileSync(config, JSON.stringify(fixtureConfig("dropped")));
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.setInputFiles("#run-file", [metrics, config]);
    await expect
      .poll(() => page.getAttribute("#run-verdict", "data-verdict"), { timeout: 30_000 })
      .toBe("exploded");
    expect(await page.textContent("#run-origin")).toContain("(dropped)");
    expect(await page.textContent("#run-notes")).toContain("First NaN/Inf at step 100");
    await rendered(page, "run-loss");
    expect(await page.innerHTML("[data-figure='run-loss']")).toContain("first NaN/Inf at step 100");
    expect(await page.isHidden("[data-figure='run-histograms']")).toBe(true);
    // nothing was sent anywhere
    expect(requests.filter((u) => !u.startsWith("blob:"))).toEqual([]);
    await page.screenshot({ path: `${SHOTS}-dropped-1280.png`, fullPage: true });
    expect(problems).toEqual([]);
  }, 180_000);

  it("draws the first figure of a 10^4-record run quickly, without blocking the page", async () => {
    const url = await serve(importedRunDir(20));
    const page = await open(`${url}#view=run`, 1280);
    await rendered(page, "run-loss");
    const dir = mkdtempSync(join(tmpdir(), "gradscope-run-big-"));
    const metrics = join(dir, "metrics.jsonl");
    writeFileSync(metrics, `${fixtureLines({ steps: 10_000, hist: false }).join("\n")}\n`);
    // the page's longest task while the worker parses and draws
    // (a string: this file is compiled with Node's types, which know no "longtask")
    await page.evaluate(`
      window.longest = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.longest = Math.max(window.longest, e.duration);
      }).observe({ type: "longtask" });
    `);
    await page.setInputFiles("#run-file", [metrics]);
    await expect
      .poll(() => page.getAttribute("#panel-run", "data-first-figure-ms"), { timeout: 60_000 })
      .not.toBeNull();
    const first = Number(await page.getAttribute("#panel-run", "data-first-figure-ms"));
    await expect
      .poll(() => page.getAttribute("#panel-run", "data-diagnosis-ms"), { timeout: 60_000 })
      .not.toBeNull();
    const diagnosisMs = Number(await page.getAttribute("#panel-run", "data-diagnosis-ms"));
    const longest = await page.evaluate(
      () => (globalThis as unknown as { longest: number }).longest,
    );
    const status = await page.textContent("#run-status");
    console.log(
      `10^4 records: first figure after ${first} ms (${status}); diagnosis ${diagnosisMs} ms in the worker; longest task on the page ${longest.toFixed(0)} ms`,
    );
    expect(status).toContain("10,000 recorded steps");
    expect(first).toBeLessThan(15_000);
  }, 120_000);
});
