/**
 * Issue #15's two new pages and issue #16's "truth at a glance" in a real browser: each page
 * at 1280 and 390 px, a slider moved, the figure redrawn on axes that did not move; the lab
 * alive on load (time to first figure recorded), no sideways scrolling on a phone, Play on the
 * first screen, doctor's advice when a run blows up, the batch-norm note, A and B of the
 * comparison on one colour scale. Screenshots: /tmp/gradscope-pages-*.png.
 */
import { writeFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasChromium, type Lab, SKIP_REASON, startLab } from "./harness.ts";

const describeLab = hasChromium ? describe : describe.skip;
const SIZES = [
  { name: "1280", viewport: { width: 1280, height: 900 } },
  { name: "390", viewport: { width: 390, height: 844 } },
] as const;

/** Time to first figure of each page and size (ms after navigation start). */
const firstFigure: Record<string, number> = {};

async function msSinceNavigation(page: Page): Promise<number> {
  return page.evaluate(() => Math.round(performance.now()));
}

/** The tick labels of a figure's y axes (what a reader sees of the scale). */
async function yTicks(page: Page, figure: string): Promise<string> {
  return page.$$eval(`[data-figure="${figure}"] svg g[aria-label="y-axis tick label"] text`, (t) =>
    t.map((e) => (e as unknown as { textContent: string }).textContent).join(" "),
  );
}

async function noSidewaysScroll(page: Page): Promise<void> {
  const { scroll, client } = await page.evaluate(() => {
    const d = (
      globalThis as unknown as {
        document: { documentElement: { scrollWidth: number; clientWidth: number } };
      }
    ).document.documentElement;
    return { scroll: d.scrollWidth, client: d.clientWidth };
  });
  expect(scroll, "page wider than the screen").toBeLessThanOrEqual(client + 1);
}

describeLab(`lab pages e2e${hasChromium ? "" : ` (skipped: ${SKIP_REASON})`}`, () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab();
  }, 120_000);
  afterAll(async () => {
    writeFileSync(
      "/tmp/gradscope-pages-first-figure.json",
      `${JSON.stringify(firstFigure, null, 2)}\n`,
    );
    console.log(`time to first figure (ms): ${JSON.stringify(firstFigure)}`);
    await lab?.close();
  });

  for (const size of SIZES) {
    it(`through time at ${size.name} px: T slider fades the gradient on fixed axes`, async () => {
      const page = await lab.newPage(size.viewport);
      await page.goto(`${lab.url}#view=time&cell=rnn&phi=tanh&rho=0.95&T=20`);
      const fig = '[data-figure="through-time"]';
      await page.waitForSelector(`${fig} svg`);
      firstFigure[`time-${size.name}`] = await msSinceNavigation(page);
      await expect.poll(() => page.getAttribute(fig, "data-steps")).toBe("20");
      await expect.poll(() => page.getAttribute("#time-verdict", "data-steps")).toBe("20");
      expect(await page.textContent("#time-theory")).toMatch(/Pascanu.*vanish/);
      const ticks = await yTicks(page, "through-time");
      const domain = await page.getAttribute(fig, "data-y-domain");
      const before = await page.innerHTML(`${fig}`);
      await page.screenshot({
        path: `/tmp/gradscope-pages-time-${size.name}-a.png`,
        fullPage: true,
      });
      await page.fill("#time-steps", "150");
      await expect
        .poll(() => page.getAttribute(fig, "data-steps"), { timeout: 20_000 })
        .toBe("150");
      await expect.poll(() => page.textContent(`${fig} svg`)).toContain("T = 150");
      expect(await page.innerHTML(fig)).not.toBe(before);
      expect(await page.getAttribute(fig, "data-y-domain")).toBe(domain);
      expect(await yTicks(page, "through-time")).toBe(ticks);
      expect(new URL(page.url()).hash).toContain("T=150");
      await noSidewaysScroll(page);
      await page.screenshot({
        path: `/tmp/gradscope-pages-time-${size.name}-b.png`,
        fullPage: true,
      });
      // LSTM: Pascanu's bound is the vanilla RNN's; the activation control goes away.
      await page.selectOption("#time-cell", "lstm");
      await expect
        .poll(() => page.textContent("#time-theory"), { timeout: 30_000 })
        .toMatch(/vanilla RNN/);
      expect(await page.isVisible("#time-phi")).toBe(false);
      expect(lab.problems).toEqual([]);
      await page.context().close();
    });

    it(`where LayerNorm sits at ${size.name} px: depth slider, one shared axis`, async () => {
      const page = await lab.newPage(size.viewport);
      await page.goto(`${lab.url}#view=norm&blocks=6`);
      for (const p of ["post", "pre", "deepnorm"]) {
        await page.waitForSelector(`[data-figure="norm-${p}"] svg`, { timeout: 30_000 });
      }
      firstFigure[`norm-${size.name}`] = await msSinceNavigation(page);
      const domain = await page.getAttribute('[data-figure="norm-pre"]', "data-y-domain");
      const ticks = await yTicks(page, "norm-pre");
      expect(await yTicks(page, "norm-post")).toBe(ticks);
      await page.screenshot({
        path: `/tmp/gradscope-pages-norm-${size.name}-a.png`,
        fullPage: true,
      });
      await page.fill("#norm-blocks", "24");
      for (const p of ["post", "pre", "deepnorm"]) {
        await expect
          .poll(() => page.getAttribute(`[data-figure="norm-${p}"]`, "data-blocks"), {
            timeout: 60_000,
          })
          .toBe("24");
        await expect
          .poll(() => page.textContent(`[data-figure="norm-${p}"] svg`))
          .toContain("N = 24");
      }
      expect(await page.getAttribute('[data-figure="norm-pre"]', "data-y-domain")).toBe(domain);
      expect(await yTicks(page, "norm-deepnorm")).toBe(ticks);
      expect(new URL(page.url()).hash).toBe("#view=norm&blocks=24");
      await noSidewaysScroll(page);
      await page.screenshot({
        path: `/tmp/gradscope-pages-norm-${size.name}-b.png`,
        fullPage: true,
      });
      expect(lab.problems).toEqual([]);
      await page.context().close();
    }, 120_000);

    it(`the lab at ${size.name} px: figures on load, Play on the first screen`, async () => {
      const page = await lab.newPage(size.viewport);
      await page.goto(`${lab.url}#view=lab&depth=20&width=32`);
      await page.waitForSelector('[data-figure="init-probe"] svg');
      firstFigure[`lab-${size.name}`] = await msSinceNavigation(page);
      // Histograms of the untrained network without pressing anything.
      await page.waitForSelector('[data-figure="activation-histograms"] svg');
      expect(await page.getAttribute('[data-figure="activation-histograms"]', "data-step")).toBe(
        "0",
      );
      const play = await page.locator("#lab-play").boundingBox();
      expect(play!.y + play!.height).toBeLessThanOrEqual(size.viewport.height);
      await noSidewaysScroll(page);
      await page.screenshot({ path: `/tmp/gradscope-pages-lab-${size.name}-load.png` });
      // A deeper network: the axes widen for it and stay wide when coming back.
      const domain = await page.getAttribute('[data-figure="init-probe"]', "data-y-domain");
      await page.fill("#lab-depth", "60");
      await page.press("#lab-depth", "Enter");
      await page.selectOption("#lab-activation", "sigmoid");
      await page.waitForSelector("#probe-table tr[data-layer='60']");
      // Two runs start (depth 60 with tanh, then with sigmoid): wait for the sigmoid one, whose
      // axes are set with its figure.
      await expect
        .poll(() => page.textContent('[data-figure="init-probe"] svg'), { timeout: 20_000 })
        .toContain("depth 60, width 32, sigmoid");
      expect(await page.getAttribute('[data-figure="init-probe"]', "data-y-domain")).not.toBe(
        domain,
      );
      const wide = await page.getAttribute('[data-figure="init-probe"]', "data-y-domain");
      await page.selectOption("#lab-activation", "tanh");
      await page.fill("#lab-depth", "20");
      await page.press("#lab-depth", "Enter");
      await expect
        .poll(() => page.$$eval("#probe-table tr[data-layer]", (rows) => rows.length), {
          timeout: 20_000,
        })
        .toBe(20);
      await page.waitForTimeout(500);
      expect(await page.getAttribute('[data-figure="init-probe"]', "data-y-domain")).toBe(wide);
      await page.click("#lab-reset-axes");
      await expect
        .poll(() => page.getAttribute('[data-figure="init-probe"]', "data-y-domain"))
        .toBe(domain);
      await page.click("#lab-step10");
      await page.waitForSelector('[data-figure="gradient-by-layer"] svg');
      await page.screenshot({
        path: `/tmp/gradscope-pages-lab-${size.name}-full.png`,
        fullPage: true,
      });
      expect(lab.problems).toEqual([]);
      await page.context().close();
    }, 90_000);
  }

  it("a run that blows up says so, with a smaller learning rate and doctor's fix one click away", async () => {
    const page = await lab.newPage({ width: 1280, height: 900 });
    await page.goto(
      `${lab.url}#view=lab&depth=10&width=32&activation=relu&init=normal&weightVar=3&lr=1`,
    );
    await page.waitForSelector("#probe-table tr[data-layer='10']");
    await page.click("#lab-play");
    await expect
      .poll(() => page.getAttribute("#lab-advice", "data-trigger"), { timeout: 30_000 })
      .toBe("exploded");
    expect(await page.textContent("#lab-advice")).toMatch(/blew up at step \d+/);
    expect(await page.isVisible("#lab-lr-down")).toBe(true);
    // Nothing drawn for a step that is NaN everywhere: it is marked.
    await expect
      .poll(() => page.getAttribute('[data-figure="gradient-by-layer"]', "data-nan"))
      .toMatch(/true|false/);
    await page.screenshot({ path: "/tmp/gradscope-pages-lab-exploded.png", fullPage: true });
    const lr = await page.inputValue("#lab-lr");
    await page.click("#lab-lr-down");
    await expect.poll(() => page.inputValue("#lab-lr")).not.toBe(lr);
    expect(lr).toBe("1");
    expect(Number(await page.inputValue("#lab-lr"))).toBe(0.1);
    expect(await page.isVisible("#lab-advice")).toBe(false);
    await page.context().close();
  }, 60_000);

  it("batch norm's explosion at init is explained; residual uses 1/depth", async () => {
    const page = await lab.newPage({ width: 1280, height: 900 });
    await page.goto(
      `${lab.url}#view=lab&depth=30&width=32&activation=relu&init=he-normal&batchNorm=true`,
    );
    await page.waitForSelector("#probe-table tr[data-layer='30']");
    await expect.poll(() => page.isVisible("#lab-bn-note")).toBe(true);
    expect(await page.textContent("#lab-bn-note")).toContain("Yang et al. (2019");
    await page.uncheck("#lab-batchNorm");
    await page.check("#lab-residual");
    await expect.poll(() => page.textContent("#lab-cli-train")).toContain("--branch-scale 0.03333");
    await page.context().close();
  });

  it("story 3 keeps its axes at every depth; story 4 colours A and B alike", async () => {
    let page = await lab.newPage({ width: 1280, height: 900 });
    await page.goto(`${lab.url}#view=deep&layers=5`);
    const fig = '[data-figure="deep-sigmoid-gradient"]';
    await expect.poll(() => page.getAttribute(fig, "data-depth"), { timeout: 20_000 }).toBe("5");
    await page.waitForSelector(`${fig} svg`);
    const ticks = await yTicks(page, "deep-sigmoid-gradient");
    await page.screenshot({ path: "/tmp/gradscope-pages-deep-5.png", fullPage: true });
    await page.fill("#deep-depth", "100");
    await expect.poll(() => page.getAttribute(fig, "data-depth"), { timeout: 20_000 }).toBe("100");
    await expect.poll(() => page.textContent(`${fig} svg`)).toContain("depth 100");
    expect(await yTicks(page, "deep-sigmoid-gradient")).toBe(ticks);
    await page.screenshot({ path: "/tmp/gradscope-pages-deep-100.png", fullPage: true });

    await page.context().close();
    page = await lab.newPage({ width: 1280, height: 900 });
    await page.goto(`${lab.url}#view=compare`);
    // Two workers each build and probe a 30-layer network: seconds on a loaded machine.
    await expect
      .poll(() => page.getAttribute("#compare-A-probe", "data-verdict"), { timeout: 15_000 })
      .toBe("vanishing");
    expect(await page.textContent("#compare-A-status")).not.toContain("NaN");
    await page.click("#compare-train");
    await page.waitForSelector('[data-figure="compare-A-heatmap"] svg', { timeout: 20_000 });
    await page.waitForSelector('[data-figure="compare-B-heatmap"] svg', { timeout: 20_000 });
    await page.click("#compare-train");
    await page.waitForTimeout(600);
    expect(await page.getAttribute('[data-figure="compare-A-heatmap"]', "data-decades")).toBe(
      await page.getAttribute('[data-figure="compare-B-heatmap"]', "data-decades"),
    );
    await page.screenshot({ path: "/tmp/gradscope-pages-compare.png", fullPage: true });
    expect(lab.problems).toEqual([]);
    await page.context().close();
  }, 60_000);
});
