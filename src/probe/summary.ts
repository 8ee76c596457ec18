import type { LayerMetrics } from "./layer-metrics.ts";

export type Verdict = "vanishing" | "exploding" | "healthy" | "non-finite";

/**
 * The first-to-last gradient ratio beyond which a network is called vanishing (below
 * 1/RATIO_THRESHOLD) or exploding (above RATIO_THRESHOLD): the first layer then learns over
 * a hundred times slower (or faster) than the last.
 */
export const RATIO_THRESHOLD = 100;

export interface ProbeSummary {
  verdict: Verdict;
  depth: number;
  /** gradWeightNorm of layer 1 divided by that of layer L. */
  firstToLastRatio: number;
  /** log10 of firstToLastRatio. */
  log10FirstToLast: number;
  /**
   * Per-layer factor of gradPreactMeanSq from the output toward the input, fitted by least
   * squares on log(gradPreactMeanSq) over layers: the measured counterpart of mean-field chi1.
   */
  perLayerFactor: number;
  /** Layers (1-based) holding NaN or Inf. */
  nonfiniteLayers: number[];
  /** Layers whose gradient underflowed the dtype to exactly zero. */
  underflowLayers: number[];
  /**
   * Layers with no NaN/Inf entry whose mean of squares (q or gradPreactMeanSq) or norm
   * (gradWeightNorm) is nonetheless Infinity: entries beyond ~1.3e154 square past the float64
   * maximum 1.8e308. The values are finite but astronomically large, so the layer is exploding.
   */
  overflowLayers: number[];
  /** One sentence for people. */
  message: string;
}

/** 1-based layer lists as ranges: [1, 2, 3, 7] -> "1-3, 7" (keeps the message one short line). */
function ranges(layers: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < layers.length; ) {
    let j = i;
    while (j + 1 < layers.length && layers[j + 1] === layers[j]! + 1) j++;
    parts.push(j > i ? `${layers[i]}-${layers[j]}` : String(layers[i]));
    i = j + 1;
  }
  return parts.join(", ");
}

/** Least-squares slope of y against x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxy / sxx;
}

/** Fitted per-layer factor of gradPreactMeanSq (exp of minus the slope of its log). */
export function fitPerLayerFactor(
  layers: readonly Pick<LayerMetrics, "layer" | "gradPreactMeanSq">[],
): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const m of layers) {
    if (m.gradPreactMeanSq > 0 && Number.isFinite(m.gradPreactMeanSq)) {
      xs.push(m.layer);
      ys.push(Math.log(m.gradPreactMeanSq));
    }
  }
  if (xs.length < 2) return Number.NaN;
  return Math.exp(-slope(xs, ys));
}

/**
 * A layer whose entries are all finite (nonfinite 0) but whose mean of squares or gradient
 * norm is not: the squares of finite entries overflowed float64.
 */
function overflowed(m: LayerMetrics): boolean {
  if (m.nonfinite > 0) return false;
  return [m.q, m.gradPreactMeanSq, m.gradWeightNorm].some((v) => !Number.isFinite(v));
}

export function summarize(layers: readonly LayerMetrics[]): ProbeSummary {
  const depth = layers.length;
  const first = layers[0];
  const last = layers[depth - 1];
  const ratio = first && last ? first.gradWeightNorm / last.gradWeightNorm : Number.NaN;
  const nonfiniteLayers = layers.filter((m) => m.nonfinite > 0).map((m) => m.layer);
  const underflowLayers = layers.filter((m) => m.underflow).map((m) => m.layer);
  const overflowLayers = layers.filter(overflowed).map((m) => m.layer);
  const factor = fitPerLayerFactor(layers);
  let verdict: Verdict;
  if (nonfiniteLayers.length > 0) verdict = "non-finite";
  // Checked before the ratio: an overflowed norm makes it Inf/x, x/Inf or Inf/Inf = NaN,
  // which the ratio rules would call vanishing.
  else if (overflowLayers.length > 0) verdict = "exploding";
  // A ratio 0/0 means no gradient reaches layer 1 or layer L at all: nothing can learn.
  else if (underflowLayers.length > 0 || ratio < 1 / RATIO_THRESHOLD || Number.isNaN(ratio)) {
    verdict = "vanishing";
  } else if (ratio > RATIO_THRESHOLD) verdict = "exploding";
  else verdict = "healthy";
  return {
    verdict,
    depth,
    firstToLastRatio: ratio,
    log10FirstToLast: Math.log10(ratio),
    perLayerFactor: factor,
    nonfiniteLayers,
    underflowLayers,
    overflowLayers,
    message: describe(verdict, ratio, factor, nonfiniteLayers, underflowLayers, overflowLayers),
  };
}

function describe(
  verdict: Verdict,
  ratio: number,
  factor: number,
  nonfinite: number[],
  underflow: number[],
  overflow: number[],
): string {
  const r = ratio.toExponential(2);
  const f = Number.isFinite(factor) ? factor.toPrecision(3) : "n/a";
  switch (verdict) {
    case "non-finite":
      return `non-finite values (NaN/Inf) in layer${nonfinite.length > 1 ? "s" : ""} ${nonfinite.join(", ")}: the signal or gradient overflowed`;
    case "vanishing":
      if (Number.isNaN(ratio))
        return "vanishing: the weight gradients of layer 1 and layer L are exactly zero";
      return underflow.length > 0
        ? `vanishing: the gradient underflowed to zero at layer${underflow.length > 1 ? "s" : ""} ${underflow.join(", ")}; per-layer factor ${f}`
        : `vanishing: layer 1 gets ${r} of layer L's gradient norm; mean-square gradient shrinks by ${f} per layer`;
    case "exploding":
      if (overflow.length > 0)
        return `exploding: the mean square of the signal or gradient overflowed to Infinity in layer${overflow.length > 1 ? "s" : ""} ${ranges(overflow)} although every entry is finite (entries beyond ~1e154)`;
      return `exploding: layer 1 gets ${r} times layer L's gradient norm; mean-square gradient grows by ${f} per layer`;
    case "healthy":
      return `healthy: first-to-last gradient ratio ${r}; per-layer factor ${f}`;
  }
}
