import {
  activationFigure,
  activationHistograms,
  gradientHeatmap,
  gradientNormByLayer,
  lossCurves,
  matrixPowerGrowth,
  phaseDiagram,
  singularValueHistogram,
  updateRatio,
} from "../index.ts";
import { nodeDocument } from "../node-dom.ts";

/** Deterministic data for every figure, shared by the SVG snapshot and PNG tests. */

export const document = nodeDocument();

/**
 * Round every decimal number in the markup to 2 decimals (as Observable Plot's own tests
 * do), so snapshots do not change with the last bits of floating-point layout arithmetic.
 */
export function normalizeSvg(svg: string): string {
  return svg.replace(/-?\d*\.\d+(?:e[-+]?\d+)?/g, (m) => {
    const v = Number(m);
    return Number.isFinite(v) ? String(Math.round(v * 100) / 100) : m;
  });
}

/** Small deterministic pseudo-random normals (LCG + Box-Muller), independent of src/core. */
export function normals(n: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return Array.from({ length: n }, () => {
    const u = uniform();
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  });
}

function layerMetrics(values: number[]) {
  return values.map((v, i) => ({ layer: i + 1, gradWeightNorm: v, gradPreactMeanSq: v * v }));
}

/** One fixture per figure (exported for the PNG tests). */
export const FIXTURES: Record<string, () => string> = {
  "gradient-norm": () =>
    gradientNormByLayer(
      [
        {
          label: "sigmoid, standard-uniform",
          layers: layerMetrics(Array.from({ length: 10 }, (_, i) => 0.2 ** (9 - i))),
        },
        {
          label: "ReLU, He",
          layers: layerMetrics(Array.from({ length: 10 }, (_, i) => (i === 4 ? 0 : 1 + 0.1 * i))),
        },
      ],
      {
        document,
        subtitle: "10 layers (fixture)",
        theory: [Array.from({ length: 10 }, (_, i) => ({ layer: i + 1, value: 0.21 ** (9 - i) }))],
      },
    ),
  "gradient-heatmap": () =>
    gradientHeatmap(
      {
        steps: Array.from({ length: 12 }, (_, i) => i * 10),
        layers: 6,
        values: Array.from({ length: 12 }, (_, s) =>
          Array.from({ length: 6 }, (_, l) => {
            if (s === 11 && l === 5) return Number.NaN;
            if (s === 3 && l === 0) return 0;
            return 10 ** (l - 6 + s / 12);
          }),
        ),
      },
      { document },
    ),
  "activation-histograms": () =>
    activationHistograms(
      [1, 2, 3].map((layer) => ({
        layer,
        values: normals(2000, layer).map((z) => Math.tanh(z * (1 + layer / 2))),
        saturated: 0.02 * layer,
        dead: 0,
      })),
      { document, activation: "tanh" },
    ),
  "activation-histograms-stack": () =>
    activationHistograms(
      Array.from({ length: 8 }, (_, i) => ({
        layer: i + 1,
        values: Float64Array.from(normals(1000, 10 + i), (z) => Math.max(0, z * (1 - i / 10))),
        saturated: 0,
        dead: i / 20,
      })),
      { document, activation: "relu", bins: 30 },
    ),
  "update-ratio": () =>
    updateRatio(
      {
        steps: Array.from({ length: 20 }, (_, i) => i),
        perLayer: [1, 2, 3].map((layer) => ({
          layer,
          values: Array.from({ length: 20 }, (_, s) => -5 + layer - s / 20),
        })),
      },
      { document },
    ),
  "loss-curves": () => {
    const steps = Array.from({ length: 30 }, (_, i) => i * 10);
    return lossCurves(
      {
        steps,
        trainLoss: steps.map((s) => 2.3 * Math.exp(-s / 60) + 0.01),
        testLoss: steps.map((s, i) => (i % 5 === 0 ? 2.3 * Math.exp(-s / 70) + 0.02 : Number.NaN)),
        trainAcc: steps.map((s) => 1 - 0.9 * Math.exp(-s / 50)),
        testAcc: steps.map((s, i) => (i % 5 === 0 ? 1 - 0.9 * Math.exp(-s / 60) : Number.NaN)),
      },
      { document },
    );
  },
  "activation-tanh": () => {
    const points = Array.from({ length: 41 }, (_, i) => {
      const x = -5 + i * 0.25;
      return { x, value: Math.tanh(x), derivative: 1 - Math.tanh(x) ** 2 };
    });
    const edge = Math.acosh(10); // 1 - tanh^2 = 0.01 where cosh(x) = 10
    return activationFigure(
      { name: "tanh", points, healthyRegion: { lo: -edge, hi: edge } },
      { document },
    );
  },
  "matrix-power": () => {
    const layers = Array.from({ length: 30 }, (_, i) => i + 1);
    return matrixPowerGrowth(
      {
        layers,
        norms: [
          { label: "‖Wⁿ‖, ρ = 1.2", values: layers.map((n) => 1.3 * 1.2 ** n) },
          { label: "ρⁿ", values: layers.map((n) => 1.2 ** n), dashed: true },
          { label: "‖Wⁿ‖, ρ = 0.5", values: layers.map((n) => 0.5 ** n) },
        ],
      },
      { document },
    );
  },
  "phase-diagram": () => {
    const grid = [];
    for (let b = 0; b <= 3; b++) {
      for (let w = 1; w <= 8; w++) {
        const weightVar = w / 2;
        const biasVar = b / 10;
        grid.push({ weightVar, biasVar, chi1: w === 8 && b === 3 ? Number.NaN : weightVar / 2 });
      }
    }
    return phaseDiagram(
      {
        grid,
        criticalLine: [0, 0.1, 0.2, 0.3].map((biasVar) => ({ weightVar: 2, biasVar })),
        marker: { weightVar: 3, biasVar: 0.1 },
      },
      { document, subtitle: "ReLU: χ₁ = σ_w² / 2" },
    );
  },
  "singular-values": () =>
    singularValueHistogram(
      [
        { label: "orthogonal", values: normals(200, 3).map((z) => 1 + 0.05 * z) },
        { label: "Gaussian", values: normals(200, 4).map((z) => Math.exp(1.5 * z)) },
      ],
      { document },
    ),
};
