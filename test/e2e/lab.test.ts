/**
 * The browser lab in a real browser (Debian's chromium through playwright-core): controls,
 * live training in the worker, figures, verdicts, shared URLs that reproduce the CLI's
 * numbers, responsiveness while training, the stories, keyboard access. Skipped, visibly,
 * when /usr/bin/chromium is missing outside CI; in CI (.ci/run installs chromium) a missing
 * browser fails the suite.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { captureOutput } from "../../src/cli/test-output.ts";
import { resolveProbeConfig } from "../../src/experiment/config.ts";
import { toCsv, trainRecordsCsv } from "../../src/experiment/csv-export.ts";
import { runProbe } from "../../src/experiment/probe-run.ts";
import { diagnoseTraining } from "../../src/experiment/train/diagnose-training.ts";
import { cliCommand, toProbeInput, validateLabInput } from "../../src/web/lab-options.ts";
import { LabRun } from "../../src/web/lab-run.ts";
import { defaultPageState, encodeState } from "../../src/web/url-state.ts";
import { hasChromium, type Lab, relDiff, SKIP_REASON, startLab } from "./harness.ts";
import { colourCount, decodePng, inkFraction, PNG_SIGNATURE } from "./png-decode.ts";

/*
 * Callbacks given to page.evaluate run in the browser, but this file is compiled with the
 * project's Node settings (no DOM library): the few page globals they use are declared here,
 * scoped to this module.
 */
interface PageElement {
  id: string;
  dataset: Record<string, string | undefined>;
  outerHTML: string;
  labels?: ArrayLike<unknown> | null;
  open?: boolean;
  getAttribute(name: string): string | null;
  addEventListener(type: string, listener: () => void, options?: { once: boolean }): void;
}
declare const document: {
  activeElement: PageElement | null;
  querySelector(selector: string): PageElement | null;
};
declare const window: object;
declare function requestAnimationFrame(callback: (time: number) => void): number;

if (!hasChromium) {
  if (process.env.CI)
    throw new Error(`CI must install chromium for the browser lab: ${SKIP_REASON}`);
  console.warn(`browser lab e2e tests skipped: ${SKIP_REASON}`);
}

function labHash(raw: Record<string, string | boolean>): string {
  const state = defaultPageState();
  const { input, errors } = validateLabInput(raw);
  expect(errors.size).toBe(0);
  state.input = input;
  return encodeState(state);
}

async function probeNumbers(page: Page, field: string): Promise<number[]> {
  await page.waitForSelector(`#probe-table td[data-field="${field}"]`);
  return page.$$eval(`#probe-table td[data-field="${field}"]`, (cells) =>
    cells.map((c) => Number((c as unknown as PageElement).dataset.value)),
  );
}

async function stepOf(page: Page): Promise<number> {
  return Number(await page.getAttribute("#lab-status", "data-step"));
}

const describeLab = hasChromium ? describe : describe.skip;

describeLab(`browser lab e2e${hasChromium ? "" : ` (skipped: ${SKIP_REASON})`}`, () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab();
  }, 120_000);
  afterAll(async () => {
    await lab?.close();
  });

  it("changes depth and activation, trains, updates figures and the verdict", async () => {
    const page = await lab.newPage();
    // Enough steps that the run is still going when paused (it trains at ~300 steps/s here).
    await page.goto(`${lab.url}#view=lab&width=32&batch=32&steps=3000`);
    await page.waitForSelector("#probe-table tr[data-layer='20']");
    await expect
      .poll(() => page.getAttribute("#lab-probe-verdict", "data-verdict"))
      .toBe("healthy");
    const before = await page.textContent("#lab-probe-verdict");

    await page.fill("#lab-depth", "30");
    await page.press("#lab-depth", "Enter");
    await page.selectOption("#lab-activation", "sigmoid");
    await page.waitForSelector("#probe-table tr[data-layer='30']");
    await expect
      .poll(() => page.getAttribute("#lab-probe-verdict", "data-verdict"))
      .toBe("vanishing");
    expect(await page.textContent("#lab-probe-verdict")).not.toBe(before);
    const hash = new URL(page.url()).hash;
    expect(hash).toContain("depth=30");
    expect(hash).toContain("activation=sigmoid");

    await page.click("#lab-step");
    await expect.poll(() => stepOf(page)).toBe(1);
    await expect.poll(() => page.getAttribute("#lab-verdict", "data-step")).toBe("1");
    const firstVerdict = await page.textContent("#lab-verdict");
    expect(firstVerdict).toMatch(/^Training, steps 1-1: (vanishing|healthy|exploding)/);

    const renders = async (name: string) =>
      Number(await page.getAttribute(`[data-figure="${name}"]`, "data-renders"));
    const gradientBefore = await renders("gradient-by-layer");
    await page.click("#lab-play");
    await expect.poll(() => page.getAttribute("#lab-play", "aria-pressed")).toBe("true");
    await expect.poll(() => stepOf(page), { timeout: 30_000 }).toBeGreaterThanOrEqual(120);
    await page.click("#lab-play");
    await expect.poll(() => page.getAttribute("#lab-play", "aria-pressed")).toBe("false");
    // Progress already on its way may still arrive; then the run stands still.
    await page.waitForTimeout(400);
    const stopped = await stepOf(page);
    await page.waitForTimeout(400);
    expect(await stepOf(page)).toBe(stopped);
    expect(await page.textContent("#lab-status")).toMatch(/ · paused · /);

    for (const name of [
      "gradient-by-layer",
      "gradient-heatmap",
      "update-ratio",
      "loss-curves",
      "activation-histograms",
    ]) {
      await expect.poll(() => renders(name), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
      expect(await page.$(`[data-figure="${name}"] svg`), name).not.toBeNull();
    }
    await expect.poll(() => renders("gradient-by-layer")).toBeGreaterThan(gradientBefore + 1);
    const verdict = await page.textContent("#lab-verdict");
    expect(verdict).not.toBe(firstVerdict);
    expect(verdict).toMatch(/^Training, steps 1-\d+: /);
    expect(await page.textContent("#lab-status")).toMatch(/steps\/s/);
    await page.screenshot({ path: "/tmp/gradscope-lab-trained.png", fullPage: true });
    await page.context().close();
  });

  it("a shared URL reproduces runProbe, `gradscope probe --json` and training to 1e-12", async () => {
    const raw = {
      depth: "12",
      width: "24",
      batch: "16",
      activation: "relu",
      init: "he-normal",
      weightVar: "1.5",
      biasVar: "0.05",
      seed: "7",
      dataset: "moons",
      optimizer: "adam",
      recordEvery: "5",
    };
    const { input } = validateLabInput(raw);
    const page = await lab.newPage();
    await page.goto(`${lab.url}${labHash(raw)}`);
    const pageNorms = await probeNumbers(page, "gradWeightNorm");
    const pageDz = await probeNumbers(page, "gradPreactMeanSq");

    const probe = runProbe(resolveProbeConfig(toProbeInput(input)));
    const output = captureOutput();
    const argv = cliCommand("probe", input).split(" ").slice(1);
    expect(await main([...argv, "--json"], output)).toBe(0);
    const cli = JSON.parse(output.stdout()) as { layers: { gradWeightNorm: number }[] };
    expect(pageNorms).toHaveLength(12);
    const worst = Math.max(...pageNorms.map((v, i) => relDiff(v, probe.layers[i]!.gradWeightNorm)));
    console.log(`shared URL: largest relative difference from runProbe ${worst}`);
    pageNorms.forEach((v, i) => {
      expect(relDiff(v, probe.layers[i]!.gradWeightNorm)).toBeLessThanOrEqual(1e-12);
      expect(relDiff(v, cli.layers[i]!.gradWeightNorm)).toBeLessThanOrEqual(1e-12);
      expect(relDiff(pageDz[i]!, probe.layers[i]!.gradPreactMeanSq)).toBeLessThanOrEqual(1e-12);
    });

    // Training: ten steps in the page against ten steps of the same run in Node.
    await page.click("#lab-step10");
    await expect.poll(() => stepOf(page)).toBe(10);
    const pageLoss = Number(await page.getAttribute("#lab-status", "data-loss"));
    // The same SIMD kernel as Node: the page's CSP allows compiling WebAssembly.
    expect(await page.getAttribute("#lab-engine", "data-gemm")).toMatch(/^wasm-simd/);
    const node = new LabRun(input);
    const nodeSteps = node.run(10);
    expect(relDiff(pageLoss, node.trainer.lastLoss)).toBeLessThanOrEqual(1e-12);
    // One verdict everywhere: the page's, the CLI's and the diagnosis' agree
    const cliSummary = (JSON.parse(output.stdout()) as { summary: { verdict: string } }).summary;
    expect(await page.getAttribute("#lab-probe-verdict", "data-verdict")).toBe(
      probe.summary.verdict,
    );
    expect(cliSummary.verdict).toBe(probe.summary.verdict);
    const run = diagnoseTraining(node.trainer.config, nodeSteps, { explosion: null });
    await expect.poll(() => page.getAttribute("#lab-verdict", "data-step")).toBe("10");
    expect(await page.getAttribute("#lab-verdict", "data-verdict")).toBe(run.verdict);

    // The exported run carries the same numbers.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click("#lab-export"),
    ]);
    const exported = JSON.parse(readFileSync((await download.path())!, "utf8"));
    expect(exported.config.seed).toBe(7);
    expect(exported.cli.probe).toBe(cliCommand("probe", input));
    expect(exported.records.map((r: { step: number }) => r.step)).toEqual([1, 5, 10]);
    const nodeRecords = new LabRun(input).run(10);
    expect(relDiff(exported.records[2].loss, nodeRecords[2]!.loss)).toBeLessThanOrEqual(1e-12);
    expect(exported.probe.layers[0].gradWeightNorm).toBe(pageNorms[0]);

    const [svg] = await Promise.all([
      page.waitForEvent("download"),
      page.click('figure:has([data-figure="gradient-by-layer"]) button:text("SVG")'),
    ]);
    expect(readFileSync((await svg.path())!, "utf8")).toMatch(/^<svg[^>]*xmlns=/);
    await page.context().close();
  });

  it("explains invalid values in place and runs once they are fixed", async () => {
    const page = await lab.newPage();
    await page.goto(`${lab.url}#view=lab&depth=500&activation=softmax&width=16`);
    await page.waitForSelector('[data-error-for="depth"]:not(:empty)');
    expect(await page.textContent('[data-error-for="depth"]')).toBe(
      "depth must be between 1 and 100 (got '500')",
    );
    expect(await page.textContent('[data-error-for="activation"]')).toMatch(
      /^activation must be one of: identity, sigmoid/,
    );
    expect(await page.getAttribute("#lab-depth", "aria-invalid")).toBe("true");
    expect(await page.inputValue("#lab-depth")).toBe("500");
    expect(await page.isDisabled("#lab-play")).toBe(true);

    await page.fill("#lab-weightVar", "-1");
    await page.press("#lab-weightVar", "Enter");
    await expect
      .poll(() => page.textContent('[data-error-for="weightVar"]'))
      .toBe("weightVar must be >= 0 (got '-1')");
    await page.fill("#lab-weightVar", "1");
    await page.fill("#lab-depth", "8");
    await page.press("#lab-depth", "Enter");
    await page.waitForSelector("#probe-table tr[data-layer='8']");
    expect(await page.textContent('[data-error-for="depth"]')).toBe("");
    expect(await page.getAttribute("#lab-depth", "aria-invalid")).toBeNull();
    expect(await page.isDisabled("#lab-play")).toBe(false);

    await page.check("#lab-batchNorm");
    await page.check("#lab-layerNorm");
    await expect
      .poll(() => page.textContent('[data-error-for="batchNorm"]'))
      .toBe("batchNorm and layerNorm cannot both be on");
    await page.screenshot({ path: "/tmp/gradscope-lab-errors.png" });
    await page.context().close();
  });

  it("stays responsive while training 50 layers of width 64", async () => {
    const page = await lab.newPage();
    await page.goto(`${lab.url}${labHash({ depth: "50", width: "64", steps: "100000" })}`);
    await page.waitForSelector("#probe-table tr[data-layer='50']");
    await page.evaluate(() => {
      const w = window as unknown as { frames_: number[]; recording: boolean };
      w.frames_ = [];
      w.recording = true;
      let last = performance.now();
      const tick = (t: number) => {
        if (!w.recording) return;
        w.frames_.push(t - last);
        last = t;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame((t) => {
        last = t;
        requestAnimationFrame(tick);
      });
    });
    await page.click("#lab-play");
    const seconds = 6;
    // Input latency while training: time from a click to the page's reaction.
    const latencies: number[] = [];
    for (let i = 0; i < 4; i++) {
      await page.waitForTimeout((seconds * 1000) / 5);
      latencies.push(
        await page.evaluate(
          () =>
            new Promise<number>((resolve) => {
              const start = performance.now();
              const details = document.querySelector("details.cli")!;
              details.addEventListener("toggle", () => resolve(performance.now() - start), {
                once: true,
              });
              details.open = !details.open;
            }),
        ),
      );
    }
    await page.waitForTimeout((seconds * 1000) / 5);
    const stepsPerSecond = Number(await page.getAttribute("#lab-status", "data-steps-per-second"));
    const steps = await stepOf(page);
    await page.click("#lab-play");
    const frames = await page.evaluate(() => {
      const w = window as unknown as { frames_: number[]; recording: boolean };
      w.recording = false;
      return w.frames_;
    });
    await page.screenshot({ path: "/tmp/gradscope-lab-depth50.png" });
    // What inserting each figure's SVG last cost the page (ms), and how often each was drawn.
    const figures = await page.$$eval("[data-figure]", (els) =>
      els
        .map((e) => (e as unknown as PageElement).dataset)
        .filter((d) => d.renders !== "0")
        .map((d) => `${d.figure}: ${d.renders} renders, last insert ${d.insertMs} ms`),
    );
    const sorted = [...frames].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
    const report = {
      config: "depth 50, width 64, batch 64, tanh, sgd",
      seconds,
      frames: frames.length,
      medianMs: q(0.5),
      p95Ms: q(0.95),
      p99Ms: q(0.99),
      maxMs: sorted[sorted.length - 1],
      over50ms: frames.filter((f) => f > 50).length,
      clickToToggleMs: latencies,
      stepsPerSecond,
      steps,
      figures,
    };
    writeFileSync("/tmp/gradscope-lab-frames.json", `${JSON.stringify(report, null, 2)}\n`);
    console.log(`frame times while training: ${JSON.stringify(report)}`);
    expect(steps).toBeGreaterThan(20);
    expect(stepsPerSecond).toBeGreaterThan(5);
    expect(frames.length).toBeGreaterThan(seconds * 20);
    // Measured here: median and p95 16.7 ms (60 fps), max 17-50 ms, clicks answered in < 5 ms.
    // The bounds leave room for a busy CI machine and still catch a page that freezes.
    expect(report.medianMs).toBeLessThan(34);
    expect(report.p95Ms).toBeLessThan(100);
    expect(report.maxMs).toBeLessThan(500);
    for (const l of latencies) expect(l).toBeLessThan(150);
    await page.context().close();
  });

  it("tells the stories: matrix powers, an activation's slope, a deep sigmoid", async () => {
    const page = await lab.newPage();
    await page.goto(`${lab.url}#view=matrix&matrix=1.05,0;0,0.5&layers=20`);
    // The verdict comes with the figure worker's first answer: its start-up (it bundles the
    // report module) takes seconds on a loaded machine.
    await expect
      .poll(() => page.getAttribute("#matrix-message", "data-growth"), { timeout: 15_000 })
      .toBe("exploding");
    await page.fill("#matrix-input", "0.5 0.2\n0 0.9");
    await expect
      .poll(() => page.getAttribute("#matrix-message", "data-growth"), { timeout: 10_000 })
      .toBe("vanishing");
    expect(new URL(page.url()).hash).toContain("matrix=0.5%2C0.2%3B0%2C0.9");
    await page.fill("#matrix-input", "1 2\n3");
    await expect
      .poll(() => page.textContent("#matrix-error"))
      .toBe("the matrix must be square: row 2 has 1 entry, expected 2");
    await page.screenshot({ path: "/tmp/gradscope-lab-matrix.png", fullPage: true });

    await page.click('nav a[data-view="activation"]');
    await page.selectOption("#activation-fn", "sigmoid");
    await expect.poll(() => page.textContent("#activation-text")).toMatch(/at most 0\.25/);
    await page.waitForSelector('[data-figure="activation"] svg');
    await page.screenshot({ path: "/tmp/gradscope-lab-activation.png", fullPage: true });

    await page.click('nav a[data-view="deep"]');
    await expect
      .poll(() => page.getAttribute("#deep-verdict", "data-verdict"), { timeout: 15_000 })
      .toBe("vanishing");
    await page.waitForSelector('[data-figure="deep-sigmoid-gradient"] svg');
    await page.screenshot({ path: "/tmp/gradscope-lab-deep.png", fullPage: true });
    expect(new URL(page.url()).hash).toBe("#view=deep&layers=30");
    await page.context().close();
  });

  it("compares A with remedies side by side", async () => {
    const page = await lab.newPage();
    await page.goto(`${lab.url}#view=compare`);
    // Two workers each build and probe a 30-layer network: seconds on a loaded machine.
    await expect
      .poll(() => page.getAttribute("#compare-A-probe", "data-verdict"), { timeout: 15_000 })
      .toBe("vanishing");
    await expect
      .poll(() => page.getAttribute("#compare-B-probe", "data-verdict"), { timeout: 15_000 })
      .toBe("healthy");
    expect(await page.getAttribute('[data-remedy="relu"]', "aria-pressed")).toBe("true");
    expect(await page.getAttribute('[data-remedy="he"]', "aria-pressed")).toBe("true");
    await page.click('[data-remedy="relu"]');
    await page.click('[data-remedy="batch-norm"]');
    await expect
      .poll(() => page.getAttribute('[data-remedy="batch-norm"]', "aria-pressed"))
      .toBe("true");
    expect(new URL(page.url()).hash).toContain("b=");
    await page.click("#compare-train");
    await expect
      .poll(async () => Number(await page.getAttribute("#compare-B-status", "data-step")), {
        timeout: 20_000,
      })
      .toBeGreaterThanOrEqual(20);
    await page.click("#compare-train");
    await page.waitForSelector('[data-figure="compare-B-loss"] svg');
    await page.waitForSelector('[data-figure="compare-gradient"] svg');
    await page.screenshot({ path: "/tmp/gradscope-lab-compare.png", fullPage: true });
    await page.context().close();
  });

  it("draws live decision regions for spirals; exports the run as CSV and figures as PNG", async () => {
    const raw = {
      dataset: "spirals",
      depth: "4",
      width: "32",
      batch: "32",
      optimizer: "adam",
      lr: "0.01",
      steps: "5000",
      recordEvery: "5",
      seed: "3",
    };
    const { input } = validateLabInput(raw);
    const page = await lab.newPage();
    await page.goto(`${lab.url}${labHash(raw)}`);
    const fig = '[data-figure="decision-boundary"]';
    await page.waitForSelector(`${fig} svg`);
    expect(await page.getAttribute(fig, "data-step")).toBe("0");
    // The region rectangles (the legend's are the same in every drawing).
    const regions = () =>
      page.$$eval(`${fig} svg rect`, (els) =>
        els
          .map((e) => {
            const r = e as unknown as PageElement;
            return `${r.getAttribute("x")} ${r.getAttribute("y")} ${r.getAttribute("width")} ${r.getAttribute("fill")}`;
          })
          .join(";"),
      );
    const atInit = await regions();
    const points = await page.$$eval(`${fig} svg g[aria-label="dot"] circle`, (c) => c.length);
    const trainRows = new LabRun(input).dataset.trainX.rows;
    expect(points).toBe(trainRows);

    await page.click("#lab-play");
    await expect.poll(() => stepOf(page), { timeout: 30_000 }).toBeGreaterThanOrEqual(400);
    await page.click("#lab-play");
    await expect.poll(() => page.getAttribute("#lab-play", "aria-pressed")).toBe("false");
    await page.waitForTimeout(300);
    const stopped = String(await stepOf(page));
    // The regions of the step it paused at arrive after the pause.
    await expect.poll(() => page.getAttribute(fig, "data-step"), { timeout: 10_000 }).toBe(stopped);
    await expect
      .poll(() => page.textContent(`${fig} svg`))
      .toContain(`after training step ${stopped}`);
    const trained = await regions();
    expect(trained).not.toBe(atInit);
    // Several region fills (spirals have 3 classes; a trained net predicts more than one).
    const fills = new Set(trained.split(";").map((r) => r.split(" ")[3]));
    expect(fills.size).toBeGreaterThanOrEqual(2);
    await page
      .locator(`figure:has(${fig})`)
      .screenshot({ path: "/tmp/gradscope-lab-decision.png" });

    // CSV from the keyboard: the columns of `gradscope train --csv`, a row per (step, layer).
    await page.focus("#lab-export-csv");
    const [csvDownload] = await Promise.all([
      page.waitForEvent("download"),
      page.keyboard.press("Enter"),
    ]);
    expect(csvDownload.suggestedFilename()).toBe("gradscope-run-seed3.csv");
    const csv = readFileSync((await csvDownload.path())!, "utf8");
    const lines = csv.split("\r\n");
    expect(lines.pop()).toBe("");
    expect(lines[0]).toBe(toCsv({ header: trainRecordsCsv([]).header, rows: [] }).trimEnd());
    const header = lines[0]!.split(",");
    const recorded = lines.slice(1).map((l) => l.split(","));
    expect(recorded.length % 4).toBe(0);
    expect(recorded.length / 4).toBeGreaterThanOrEqual(Number(stopped) / 5);
    expect(recorded.slice(0, 6).map((r) => `${r[0]}:${r[1]}`)).toEqual([
      "1:1",
      "1:2",
      "1:3",
      "1:4",
      "5:1",
      "5:2",
    ]);
    // The first three recorded steps against the same run in Node.
    const node = toCsv(trainRecordsCsv(new LabRun(input).run(10)))
      .split("\r\n")
      .slice(1, 13)
      .map((l) => l.split(","));
    let worst = 0;
    node.forEach((row, i) => {
      row.forEach((v, j) => {
        const a = Number(v);
        const b = Number(recorded[i]![j]);
        if (v === "" || Number.isNaN(a)) expect(recorded[i]![j], header[j]).toBe(v);
        else worst = Math.max(worst, relDiff(a, b));
      });
    });
    console.log(
      `CSV export: ${recorded.length} rows; largest relative difference from Node ${worst}`,
    );
    expect(worst).toBeLessThanOrEqual(1e-12);

    // PNG: a real image at twice the figure's size, not a blank canvas.
    const svgWidth = Number(await page.getAttribute(`${fig} svg`, "width"));
    const svgHeight = Number(await page.getAttribute(`${fig} svg`, "height"));
    const [pngDownload] = await Promise.all([
      page.waitForEvent("download"),
      page.click(`figure:has(${fig}) button[aria-label="Download decision-boundary as PNG"]`),
    ]);
    expect(pngDownload.suggestedFilename()).toBe("decision-boundary.png");
    const pngPath = (await pngDownload.path())!;
    const png = readFileSync(pngPath);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(png.length).toBeGreaterThan(20_000);
    const image = decodePng(png);
    expect([image.width, image.height]).toEqual([2 * svgWidth, 2 * svgHeight]);
    const ink = inkFraction(image);
    const colours = colourCount(image);
    console.log(
      `PNG export: ${image.width}x${image.height}, ${png.length} bytes, ${(ink * 100).toFixed(1)}% ink, ${colours} colours`,
    );
    expect(ink).toBeGreaterThan(0.2);
    expect(colours).toBeGreaterThan(20);
    copyFileSync(pngPath, "/tmp/gradscope-lab-decision-export.png");
    await page.context().close();
  });

  it("marks the network on the phase diagram; the marker follows the weight variance", async () => {
    const page = await lab.newPage();
    await page.goto(`${lab.url}#view=lab&depth=6&width=16&activation=tanh&init=normal&weightVar=1`);
    const fig = '[data-figure="phase-diagram"]';
    // The title and subtitle wrap to the figure's width, one <text> per line: read them as
    // one sentence (lines joined by a space) so the check does not depend on where they wrap.
    const heading = () =>
      page.$$eval(`${fig} svg > text`, (lines) =>
        lines.map((t) => (t as unknown as { textContent: string }).textContent).join(" "),
      );
    const marker = () =>
      page.$eval(`${fig} svg circle[r="7"]`, (c) => {
        const e = c as unknown as PageElement;
        return { x: Number(e.getAttribute("cx")), y: Number(e.getAttribute("cy")) };
      });
    await page.waitForSelector(`${fig} svg circle[r="7"]`, { timeout: 15_000 });
    const at1 = await marker();
    expect(await heading()).toContain(
      "this network: σw² = 1, σb² = 0, χ₁ = 1 (critical); init normal",
    );
    // The critical line is drawn (a white casing and a dark line).
    expect(await page.$$eval(`${fig} svg g[aria-label="line"] path`, (p) => p.length)).toBe(2);

    await page.fill("#lab-weightVar", "2");
    await page.press("#lab-weightVar", "Enter");
    await expect
      .poll(async () => (await marker()).x, { timeout: 10_000 })
      .toBeGreaterThan(at1.x + 50);
    expect((await marker()).y).toBe(at1.y);
    await page.fill("#lab-biasVar", "0.3");
    await page.press("#lab-biasVar", "Enter");
    await expect.poll(async () => (await marker()).y, { timeout: 10_000 }).toBeLessThan(at1.y - 50);

    // He init: sigma_w^2 = fan_in Var(W) = 2 whatever the weight variance box says.
    await page.fill("#lab-weightVar", "1");
    await page.selectOption("#lab-init", "he-normal");
    await expect
      .poll(() => page.getAttribute(fig, "data-weight-var"), { timeout: 10_000 })
      .toBe("2");
    // The subtitle names the init and what it does to σw², whole, wherever it wraps.
    await expect
      .poll(heading, { timeout: 10_000 })
      .toContain(
        "this network: σw² = 2, σb² = 0.3, χ₁ = 0.884 (ordered); init he-normal sets σw² = fan-in × Var(W)",
      );
    // Another activation redraws the diagram for it (a new run: probe, then the diagram).
    await page.selectOption("#lab-activation", "relu");
    await expect
      .poll(heading, { timeout: 15_000 })
      .toContain("Phase diagram for relu: χ₁ per layer");
    await page.locator(`figure:has(${fig})`).screenshot({ path: "/tmp/gradscope-lab-phase.png" });
    // Regression data has no decision regions: the figure is hidden.
    expect(await page.isVisible('[data-figure="decision-boundary"]')).toBe(true);
    await page.selectOption("#lab-dataset", "teacher");
    await expect.poll(() => page.isVisible('[data-figure="decision-boundary"]')).toBe(false);
    await page.context().close();
  });

  it("is usable from the keyboard, every control labelled", async () => {
    const page = await lab.newPage();
    await page.goto(`${lab.url}#view=lab&depth=4&width=8`);
    await page.waitForSelector("#probe-table tr[data-layer='4']");
    const unlabelled = await page.$$eval("input, select, textarea", (els) =>
      els
        .filter((e) => {
          const el = e as unknown as PageElement;
          return !el.labels || (el.labels.length === 0 && !el.getAttribute("aria-label"));
        })
        .map((e) => e.id || e.outerHTML.slice(0, 60)),
    );
    expect(unlabelled).toEqual([]);
    // Every button has a name: its text or an aria-label (export and download buttons).
    const unnamed = await page.$$eval("button", (els) =>
      els
        .map((e) => e as unknown as PageElement & { textContent: string | null })
        .filter((b) => !(b.textContent ?? "").trim() && !b.getAttribute("aria-label"))
        .map((b) => b.outerHTML.slice(0, 60)),
    );
    expect(unnamed).toEqual([]);
    expect(await page.getAttribute("#lab-export-csv", "aria-label")).toBe("Export the run as CSV");
    expect(
      await page.$$eval('button[aria-label$=" as PNG"]', (els) => els.length),
    ).toBeGreaterThanOrEqual(7);
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("skip");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-view"))).toBe(
      "lab",
    );
    await page.focus("#lab-play");
    await page.keyboard.press("Space");
    await expect.poll(() => page.getAttribute("#lab-play", "aria-pressed")).toBe("true");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getAttribute("#lab-play", "aria-pressed")).toBe("false");
    await page.focus("#lab-depth");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("lab-width");
    expect(lab.problems).toEqual([]);
    await page.context().close();
  });
});
