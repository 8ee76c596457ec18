import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ACTIVATION_NAMES, getActivation } from "../core/activations.ts";
import { activationTable } from "../theory/demos/activation-table.ts";
import { fitTicks, linearScale, logScale } from "./axes.ts";
import {
  activationFigure,
  healthyIntervals,
  sampleActivation,
} from "./figures/activation-figure.ts";
import { gradientHeatmap, heatmapLogDomain } from "./figures/gradient-heatmap.ts";
import { gradientNormOverSteps, valueKind } from "./figures/gradient-steps.ts";
import { chanceLevel, lossAxisIsLog, lossCurves } from "./figures/loss-curves.ts";
import { markerLabelPlacement, phaseDiagram } from "./figures/phase-diagram.ts";
import { singularValueHistogram, spectrumEdges, splitSpectrum } from "./figures/singular-values.ts";
import { variantCurves } from "./figures/variant-curves.ts";
import { ACTIVATION_BREAKPOINTS, activationFigures } from "./figures-for/demos.ts";
import { trainFigures } from "./figures-for/train.ts";
import { logAxis, textWidth, widenDecades } from "./format.ts";
import { FONT_SIZE } from "./frame.ts";
import { histogram } from "./histogram.ts";
import { prettyNotation } from "./html/diagnosis.ts";
import { layerTable, METRIC_DISPLAY_NAMES } from "./html/run-report.ts";
import { nodeDocument } from "./node-dom.ts";

const document = nodeDocument();

/** Tick labels of one axis of every panel: [x or y position, text] per label. */
function tickLabels(svg: string, axis: "x" | "y"): { pos: number; text: string }[][] {
  const groups = [
    ...svg.matchAll(new RegExp(`aria-label="${axis}-axis tick label">(.*?)</g>`, "g")),
  ];
  return groups.map((g) =>
    [
      ...g[1]!.matchAll(
        /<text transform="translate\(([-\d.e]+),([-\d.e]+)\)"[^>]*>([^<]*)<\/text>/g,
      ),
    ].map((m) => ({ pos: Number(axis === "x" ? m[1] : m[2]), text: m[3]! })),
  );
}

/** No two tick labels of an axis overlap at the figure's font size. */
function expectNoTickCollisions(svg: string): void {
  for (const labels of tickLabels(svg, "x")) {
    const sorted = [...labels].sort((a, b) => a.pos - b.pos);
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1]!;
      const b = sorted[i]!;
      const need = (textWidth(a.text, FONT_SIZE) + textWidth(b.text, FONT_SIZE)) / 2;
      expect(b.pos - a.pos, `"${a.text}" and "${b.text}"`).toBeGreaterThanOrEqual(need);
    }
  }
  for (const labels of tickLabels(svg, "y")) {
    const sorted = [...labels].sort((a, b) => a.pos - b.pos);
    for (let i = 1; i < sorted.length; i++) {
      expect(sorted[i]!.pos - sorted[i - 1]!.pos).toBeGreaterThanOrEqual(FONT_SIZE);
    }
  }
}

/** Every legend text ends inside the figure. */
function expectLegendInside(svg: string): void {
  const width = Number(/<svg[^>]* width="(\d+)"/.exec(svg)![1]);
  const legend = /aria-label="legend"[^>]*>(.*?)<\/g><(?:svg|g|rect|text)/s.exec(svg)?.[1] ?? "";
  for (const m of legend.matchAll(/<text x="([\d.]+)"[^>]*>([^<]*)<\/text>/g)) {
    const right = Number(m[1]) + textWidth(m[2]!.replace(/&amp;/g, "&"), FONT_SIZE);
    expect(right, m[2]).toBeLessThanOrEqual(width);
  }
}

describe("singular value histogram over generated spectra", () => {
  const spectra = fc.record({
    values: fc.array(
      fc.oneof(
        fc.constant(0),
        fc.double({ min: 5e-324, max: 2e-308, noNaN: true }),
        fc.double({ min: 1e-95, max: 1e-16, noNaN: true }),
        fc.double({ min: 1e-3, max: 50, noNaN: true }),
        fc.double({ min: 2, max: 1e6, noNaN: true }),
      ),
      { minLength: 1, maxLength: 80 },
    ),
    tolScale: fc.constantFrom(0, 1),
  });

  it("counts every value exactly once: shown in a bin, or numerically 0; σ = 1 always in range", () => {
    fc.assert(
      fc.property(spectra, ({ values, tolScale }) => {
        const max = Math.max(...values);
        const zeroBelow = tolScale * max * values.length * Number.EPSILON;
        const set = { label: "J", values, zeroBelow };
        const { shown, zeros } = splitSpectrum(set);
        const { edges } = spectrumEdges([set]);
        const h = histogram(shown, edges);
        // the smallest value survives the log round trip; nothing is "outside"
        expect(h.outside).toBe(0);
        expect(h.inside + zeros).toBe(values.length);
        expect(values.filter((v) => v <= zeroBelow)).toHaveLength(zeros);
        expect(edges[0]!).toBeLessThanOrEqual(1);
        expect(edges[edges.length - 1]!).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it("draws numerical zeros as their own bar, never as a spectrum down to 1e-95, and never labels them '≤ 0 not shown'", () => {
    const values = [3, 2, 1.5, 1e-40, 1e-95, 1e-17, 0];
    const svg = singularValueHistogram(
      [{ label: "J", values, zeroBelow: 3 * 7 * Number.EPSILON }],
      {
        document,
      },
    );
    expect(svg).toContain("4 numerically 0");
    expect(svg).not.toContain("≤ 0 not shown");
    expect(svg).toContain("σ ≈ 0");
    expect(svg).not.toContain("10⁻⁹⁵");
    expect(svg).toContain("σ = 1 (dynamical isometry)");
  });

  it("keeps σ = 1 inside the axis when every value is far below it", () => {
    const svg = singularValueHistogram([{ label: "J", values: [0.02, 0.03, 0.05] }], { document });
    expect(svg).toContain("σ = 1 (dynamical isometry)");
  });
});

describe("activation figures: dense sampling with exact breakpoints, healthy from |φ′|", () => {
  it("samples hit every breakpoint from both sides and the grid is at most 0.01 apart", () => {
    for (const name of ACTIVATION_NAMES) {
      const fn = getActivation(name, { slope: 0.01 });
      const pts = sampleActivation(fn, -8, 8, ACTIVATION_BREAKPOINTS[name] ?? []);
      for (let i = 1; i < pts.length; i++)
        expect(pts[i]!.x - pts[i - 1]!.x).toBeLessThanOrEqual(0.0100001);
      for (const b of ACTIVATION_BREAKPOINTS[name] ?? []) {
        const at = pts.findIndex((p) => p.x === b);
        expect(at).toBeGreaterThan(0);
        // the left limit sits a hair below: a jump of φ′ is vertical, not a slope
        expect(b - pts[at - 1]!.x).toBeLessThan(1e-6);
        expect(pts[at - 1]!.derivative).toBe(fn.derivative(pts[at - 1]!.x));
      }
    }
  });

  it("the figure's points of every activation reach the true max of |φ′| within 0.1% (sigmoid′ peak is not a polygon)", () => {
    const tables = ACTIVATION_NAMES.map((n) => activationTable(n, { slope: 0.01 }));
    for (const t of tables) {
      const fn = getActivation(t.name, { slope: 0.01 });
      const pts = sampleActivation(fn, -8, 8, ACTIVATION_BREAKPOINTS[t.name] ?? []);
      const max = Math.max(...pts.map((p) => Math.abs(p.derivative)));
      expect(max, t.name).toBeGreaterThanOrEqual(fn.maxDerivative * 0.999);
    }
    const svgs = activationFigures(tables, { document });
    expect(svgs).toHaveLength(ACTIVATION_NAMES.length);
  });

  it("healthy intervals follow |φ′| over generated grids: every sample inside is healthy, every sample outside is not", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ACTIVATION_NAMES),
        fc.double({ min: -12, max: -1, noNaN: true }),
        fc.double({ min: 1, max: 12, noNaN: true }),
        fc.constantFrom(0.01, 0.05, 0.2),
        (name, from, to, fraction) => {
          const fn = getActivation(name, { slope: 0.01 });
          const pts = sampleActivation(fn, from, to, ACTIVATION_BREAKPOINTS[name] ?? [], 801);
          const { intervals, threshold } = healthyIntervals(pts, fraction, fn.derivative);
          const inside = (x: number) =>
            intervals.some(
              (r) => (r.lo === null || x >= r.lo - 1e-9) && (r.hi === null || x <= r.hi + 1e-9),
            );
          for (const p of pts) {
            const healthy = Math.abs(p.derivative) >= threshold;
            if (healthy) expect(inside(p.x), `${name} x=${p.x}`).toBe(true);
            else
              expect(
                intervals.some(
                  (r) =>
                    (r.lo === null || p.x > r.lo + 1e-6) && (r.hi === null || p.x < r.hi - 1e-6),
                ),
                `${name} x=${p.x}`,
              ).toBe(false);
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it("GELU's and swish's negative lobes are healthy (|φ′| large there)", () => {
    for (const name of ["gelu", "swish"] as const) {
      const fn = getActivation(name);
      const { intervals } = healthyIntervals(sampleActivation(fn, -8, 8), 0.01, fn.derivative);
      // x = -1.5: φ′ < 0 but |φ′| > 1% of its max
      expect(fn.derivative(-1.5)).toBeLessThan(0);
      expect(
        intervals.some((r) => (r.lo ?? -Infinity) < -1.5 && (r.hi ?? Infinity) > -1.5),
        name,
      ).toBe(true);
    }
  });
});

describe("scales", () => {
  it("log axes span at least the minimum decades, centred on the data", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -300, max: 300, noNaN: true }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        (e, span) => {
          const lo = 10 ** e;
          const hi = 10 ** (e + span);
          const [a, b] = widenDecades(lo, hi, 4);
          expect(Math.log10(b) - Math.log10(a)).toBeGreaterThanOrEqual(4 - 1e-9);
          expect(a).toBeLessThanOrEqual(lo * (1 + 1e-9));
          expect(b).toBeGreaterThanOrEqual(hi * (1 - 1e-9));
          const { domain } = logAxis(lo, hi, 8, 4);
          expect(Math.log10(domain[1] / domain[0])).toBeGreaterThanOrEqual(4 - 1e-9);
        },
      ),
    );
    // a flat line at 3e-5 and one at 200 no longer get the same picture
    const flat = (lo: number, hi: number) => logScale(lo, hi, "", 8, 4).domain as number[];
    expect(flat(3e-5, 3.1e-5)[1]).toBeLessThan(1);
    expect(flat(200, 210)[0]).toBeGreaterThan(1e-3);
    for (const d of [flat(3e-5, 3.1e-5), flat(200, 210)]) {
      expect(Math.log10(d[1]! / d[0]!)).toBeGreaterThanOrEqual(4);
      expect(Math.log10(d[1]! / d[0]!)).toBeLessThanOrEqual(5);
    }
  });

  it("one loss-axis rule: log only when the losses span more than a decade", () => {
    expect(lossAxisIsLog([[1, 10]])).toBe(false);
    expect(lossAxisIsLog([[1, 10.5]])).toBe(true);
    expect(lossAxisIsLog([[0.5, 0.7], [0.05]])).toBe(true);
  });

  it("compared heatmaps share one colour range", () => {
    const a = [[1e-3, 1e-2]];
    const b = [[1, 10]];
    const d = heatmapLogDomain([a, b])!;
    expect(d).toEqual([-3, 1]);
    const colour = (svg: string) => /<rect fill="(#[0-9a-f]+)"[^>]*x="80"/.exec(svg)?.[1];
    const one = gradientHeatmap(
      { steps: [1], layers: 1, values: [[10]] },
      { document, colorDomain: d },
    );
    const two = gradientHeatmap(
      { steps: [1], layers: 1, values: [[10]] },
      { document, colorDomain: [-3, 10] },
    );
    expect(colour(one)).not.toBe(colour(two));
  });
});

describe("explosions are visible", () => {
  it("overflow is never underflow", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: false }), (v) => {
        const k = valueKind(v);
        if (!Number.isFinite(v) || v < 0) expect(k).toBe("overflow");
        else if (v === 0) expect(k).toBe("zero");
        else expect(k).toBe("value");
      }),
    );
    expect(valueKind(1e39, 3.4e38)).toBe("overflow");
  });

  it("the exploding recipe: global norm 1e149 plotted, NaN/∞ at the top, the first bad step marked", () => {
    const steps = [1, 10, 20, 80, 83];
    const svg = gradientNormOverSteps(
      {
        steps,
        global: [400, 1e10, 1e33, 1e149, 6e154],
        perLayer: [1, 2, 3].map((layer) => ({ layer, values: [20, 0, 0, 0, Number.NaN] })),
        firstNonFinite: { step: 83, what: "loss" },
      },
      { document },
    );
    expect(svg).toContain("global ‖∇‖");
    // the y axis reaches the 1e149 step
    const top = Math.max(
      ...tickLabels(svg, "y")[0]!.map((t) =>
        Number(
          t.text
            .replace("10", "")
            .replace(/[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]/g, (c) => String("⁰¹²³⁴⁵⁶⁷⁸⁹".indexOf(c)).replace("-1", "-")),
        ),
      ),
    );
    expect(top).toBeGreaterThanOrEqual(140);
    expect(svg).toContain("first NaN/∞ at step 83 (loss)");
    expect(svg).toContain("overflow: NaN, ∞");
    expect(svg).toContain("= 0: no gradient reached the layer");
  });

  it("train figures of an exploded run include the steps figure, the heatmap marks overflow, the loss its NaN", () => {
    const layer = (g: number, u: number) =>
      ({ layer: 1, gradWeightNorm: g, updateRatio: u }) as never;
    const figures = trainFigures(
      {
        config: { dataset: "spirals", loss: "cross-entropy", depth: 1, dtype: "f64" } as never,
        records: [
          { step: 1, loss: 0.7, gradNorm: 5, layers: [layer(1, -3)] },
          {
            step: 2,
            loss: Number.POSITIVE_INFINITY,
            gradNorm: Number.NaN,
            layers: [layer(Number.NaN, Number.NaN)],
          },
        ] as never,
        summary: { dataset: { task: "classification", outputDim: 2 } } as never,
      },
      { document, theory: false },
    );
    const byName = Object.fromEntries(figures.map((f) => [f.name, f.svg]));
    expect(byName["gradient-steps"]).toContain("first NaN/∞ at step 2");
    expect(byName["gradient-heatmap"]).toContain("overflow (NaN, ∞)");
    expect(byName["loss-curves"]).toContain("loss NaN/∞ from step 2");
    expect(byName["loss-curves"]).toContain("chance (guessing): loss 0.693, accuracy 50%");
  });
});

describe("layout", () => {
  it("fitTicks leaves no overlapping labels on a narrow axis ('50 100150200')", () => {
    const s = linearScale(0, 200, "step", { ticks: 12 });
    const fitted = fitTicks(s, 150, "x", FONT_SIZE);
    const ticks = fitted.ticks as number[];
    for (let i = 1; i < ticks.length; i++) {
      const gap = ((ticks[i]! - ticks[i - 1]!) / 200) * 150;
      expect(gap).toBeGreaterThanOrEqual(
        (textWidth(String(ticks[i]), FONT_SIZE) + textWidth(String(ticks[i - 1]), FONT_SIZE)) / 2,
      );
    }
  });

  it("rendered figures: no tick labels collide and no legend runs past the edge", () => {
    const steps = Array.from({ length: 200 }, (_, i) => (i + 1) * 10);
    const svgs = [
      lossCurves(
        {
          steps,
          trainLoss: steps.map((s) => 1 / s),
          testAcc: steps.map(() => 0.5),
          trainAcc: steps.map(() => 0.6),
        },
        { document, width: 420, chance: chanceLevel("cross-entropy", "classification", 10) },
      ),
      variantCurves(
        [
          "sigmoid, standard-uniform (the stuck one)",
          "relu + he-normal",
          "tanh + xavier",
          "residual, branch scale 1/depth",
        ].map((label, i) => ({
          label,
          steps,
          loss: steps.map((s) => 2 / (s * (i + 1))),
          testAcc: steps.map(() => 0.4 + i * 0.1),
        })),
        { document, width: 500, chance: { loss: Math.log(3), accuracy: 1 / 3 } },
      ),
      singularValueHistogram(
        [
          {
            label:
              "tanh, orthogonal (weight var 1.05), depth 200, width 400, with a long description",
            values: [1e-90, 0.1, 0.5, 2e5],
            zeroBelow: 1e-12,
          },
        ],
        { document, width: 390 },
      ),
      gradientNormOverSteps(
        {
          steps,
          global: steps.map((s) => s ** 3),
          perLayer: [{ layer: 1, values: steps.map(() => 3e-5) }],
        },
        { document, width: 390 },
      ),
    ];
    for (const svg of svgs) {
      expectNoTickCollisions(svg);
      expectLegendInside(svg);
    }
  });

  it("the phase-diagram marker label moves off the axes", () => {
    expect(markerLabelPlacement({ weightVar: 1, biasVar: 0 }, [0, 4], [0, 0.5]).dy).toBeLessThan(0);
    expect(
      markerLabelPlacement({ weightVar: 3.9, biasVar: 0.25 }, [0, 4], [0, 0.5]).textAnchor,
    ).toBe("end");
    const grid = [0.25, 0.5, 1, 2, 4].flatMap((w) =>
      [0, 0.25, 0.5].map((b) => ({ weightVar: w, biasVar: b, chi1: w / 20 })),
    );
    const svg = phaseDiagram({ grid, criticalLine: [] }, { document });
    // chi1 = 0.0125 .. 0.2: several colours, not all "< 0.5"
    const fills = [...svg.matchAll(/<rect fill="(rgb\([^)]*\))" height="\d{3}/g)].map((m) => m[1]);
    expect(new Set(fills).size).toBeGreaterThanOrEqual(3);
  });

  it("report headers come from a table of display names (no 'gradTo Weight')", () => {
    const html = layerTable({
      step: 1,
      layers: [{ layer: 1, gradToWeight: 0.1, gradWeightNorm: 1, updateRatio: -3 }],
    } as never);
    expect(html).not.toContain("<wbr>");
    expect(html).toContain(METRIC_DISPLAY_NAMES["gradToWeight"]!);
    expect(html).toContain("‖∂L/∂W‖");
  });

  it("one notation in the report: 10⁻¹¹, σ_w², no 1.22e+0", () => {
    expect(prettyNotation("grad 10^-11 at sigma_w^2 = 4, ratio 1.22e+0, 3.1e-5")).toBe(
      "grad 10⁻¹¹ at σ_w² = 4, ratio 1.22, 3.1×10⁻⁵",
    );
  });
});

describe("activation figure stays compatible with table points", () => {
  it("draws from coarse table points too (the lab's call)", () => {
    const t = activationTable("relu");
    const svg = activationFigure(
      { name: "relu", points: t.points, healthyRegion: t.healthyRegion },
      { document },
    );
    expect(svg).toContain("healthy: |φ′(x)|");
  });
});
