import { describe, expect, it } from "vitest";
import { resolveProbeConfig } from "../experiment/config.ts";
import { runProbe } from "../experiment/probe-run.ts";
import { resolveDocument } from "./dom.ts";
import { formatNumber, formatPercent, logAxis, powerOfTen } from "./format.ts";
import { histogram, linearEdges } from "./histogram.ts";
import {
  activationHistograms,
  gradientHeatmap,
  gradientNormByLayer,
  lossCurves,
  matrixPowerGrowth,
  phaseDiagram,
  singularValueHistogram,
  updateRatio,
} from "./index.ts";
import { binIndex, niceThresholds } from "./quantize.ts";
import { document, FIXTURES, normalizeSvg } from "./testing/fixtures.ts";

describe("figures", () => {
  for (const [name, make] of Object.entries(FIXTURES)) {
    it(`${name} matches its SVG snapshot`, async () => {
      const svg = make();
      expect(svg.startsWith("<svg")).toBe(true);
      expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
      // Everything must survive PNG conversion: no HTML wrappers, no canvas legends.
      expect(svg).not.toMatch(/<(figure|canvas|div|foreignObject)\b/);
      // Readable text: no font smaller than 12px at 800px wide.
      for (const m of svg.matchAll(/font-size[=:]"?(\d+(?:\.\d+)?)/g)) {
        expect(Number(m[1])).toBeGreaterThanOrEqual(12);
      }
      await expect(normalizeSvg(svg)).toMatchFileSnapshot(`../../test/output/${name}.svg`);
    });
  }

  it("draws the title, the legend and the axis labels inside the SVG", () => {
    const svg = FIXTURES["gradient-norm"]!();
    expect(svg).toContain("Weight-gradient norm by layer");
    expect(svg).toContain("sigmoid, standard-uniform (layer 1 ÷ layer 10:");
    expect(svg).toContain("mean-field theory (dashed)");
    expect(svg).toContain("0, NaN or ∞ (off the log scale)");
    expect(svg).toContain("layer (1 = input side)");
    expect(svg).toContain("10⁻⁶");
  });

  it("marks NaN (overflow) and zero cells of the heatmap in its legend, overflow never as underflow", () => {
    const svg = FIXTURES["gradient-heatmap"]!();
    expect(svg).toContain("overflow (NaN, ∞)");
    expect(svg).toContain("= 0 (no gradient: underflow or φ′ = 0)");
    expect(svg).toContain("log₁₀ ‖∂L/∂W‖");
  });

  it("writes % saturated and % dead per layer", () => {
    expect(FIXTURES["activation-histograms"]!()).toContain("saturated 4%, dead 0%");
    expect(FIXTURES["activation-histograms-stack"]!()).toContain("sat 0% · dead 35%");
  });

  it("plots a real probe: sigmoid gradients vanish toward the input, ReLU He stays flat", () => {
    const probe = (activation: string, init: string) =>
      runProbe(resolveProbeConfig({ depth: 20, width: 32, activation, init }));
    const sigmoid = probe("sigmoid", "standard-uniform");
    const relu = probe("relu", "he-normal");
    const svg = gradientNormByLayer(
      [
        { label: "sigmoid", layers: sigmoid.layers },
        { label: "relu", layers: relu.layers },
      ],
      { document },
    );
    const ratio = (label: string) => {
      const m = new RegExp(`${label} \\(layer 1 ÷ layer 20: ([^)]*)\\)`).exec(svg);
      return m?.[1];
    };
    expect(ratio("sigmoid")).toMatch(/×10⁻/);
    expect(ratio("relu")).not.toMatch(/×10/);
  });

  it("needs a document outside the browser", () => {
    expect(() => resolveDocument()).toThrow(/options.document/);
    expect(() => gradientNormByLayer([])).toThrow(/options.document/);
  });

  it("renders empty data without throwing", () => {
    expect(gradientNormByLayer([], { document })).toContain("<svg");
    expect(gradientHeatmap({ steps: [], layers: 0, values: [] }, { document })).toContain("<svg");
    expect(activationHistograms([], { document })).toContain("<svg");
    expect(lossCurves({ steps: [], trainLoss: [] }, { document })).toContain("<svg");
    expect(singularValueHistogram([], { document })).toContain("<svg");
    expect(phaseDiagram({ grid: [], criticalLine: [] }, { document })).toContain("<svg");
    expect(matrixPowerGrowth({ layers: [], norms: [] }, { document })).toContain("<svg");
    expect(updateRatio({ steps: [], perLayer: [] }, { document })).toContain("<svg");
  });
});

describe("figure helpers", () => {
  it("formats powers of ten and numbers", () => {
    expect(powerOfTen(-12)).toBe("10⁻¹²");
    expect(powerOfTen(0)).toBe("1");
    expect(formatNumber(1.4e-16, 2)).toBe("1.4×10⁻¹⁶");
    expect(formatNumber(9.999e-7, 2)).toBe("10⁻⁶");
    expect(formatNumber(-0.5)).toBe("−0.5");
    expect(formatNumber(Number.NaN)).toBe("NaN");
    expect(formatPercent(0.1234)).toBe("12.3%");
    expect(formatPercent(0.00042)).toBe("0.042%");
  });

  it("chooses log axes: 1-2-5 ticks up to two decades, strided decades beyond", () => {
    expect(logAxis(0.035, 0.9).ticks).toEqual([0.02, 0.05, 0.1, 0.2, 0.5, 1]);
    const wide = logAxis(1e-15, 3e2);
    expect(wide.domain).toEqual([1e-15, 1e3]);
    expect(wide.ticks.length).toBeLessThanOrEqual(8);
    expect(wide.format(1e-12)).toBe("10⁻¹²");
  });

  it("quantizes with nice thresholds", () => {
    expect(niceThresholds(-6.3, -0.2)).toEqual([-6, -5, -4, -3, -2, -1]);
    expect(niceThresholds(0, 1, 4)).toEqual([0.25, 0.5, 0.75]);
    expect(binIndex(-7, [-6, -5])).toBe(0);
    expect(binIndex(-5, [-6, -5])).toBe(2);
  });

  it("bins values and counts the ones it cannot place", () => {
    const h = histogram([0, 0.5, 1, 2, Number.NaN], linearEdges(0, 1, 2));
    expect(h.counts).toEqual([1, 2]);
    expect(h.outside).toBe(1);
    expect(h.nonfinite).toBe(1);
  });
});
