import type { DType } from "../core/dtype.ts";
import type { LayerMetrics } from "../probe/layer-metrics.ts";
import { type FlowPoint, fitFactor } from "./flow-measures.ts";
import {
  type FlowCondition,
  type FlowJudgment,
  judgeFlow,
  type Verdict,
  type VerdictSeverity,
} from "./flow-verdict.ts";

export type { Verdict };

/**
 * The historical first-to-last cut (|dW| of layer 1 over layer L). It no longer decides the
 * verdict (the forward signal and the gradient can vanish together and keep it flat); the
 * demos still use it to describe a product of matrices.
 */
export const RATIO_THRESHOLD = 100;

/** The verdict of one snapshot of an MLP's hidden layers, with the numbers behind it. */
export interface ProbeSummary {
  verdict: Verdict;
  /** ok, warning or critical (judgeFlow). */
  severity: VerdictSeverity;
  /** Every condition found, the verdict's first. */
  conditions: FlowCondition[];
  depth: number;
  /** gradWeightNorm of layer 1 divided by that of layer L (shown, not judged on). */
  firstToLastRatio: number;
  /** log10 of firstToLastRatio. */
  log10FirstToLast: number;
  /**
   * Per-layer factor of gradPreactMeanSq from the output toward the input, fitted by least
   * squares on its log over layers 2..L (1..L below depth 3): the measured counterpart of
   * mean-field chi1. The input layer is left out because its pre-activations scale with the data.
   */
  perLayerFactor: number;
  /**
   * Measured change of the mean-square gradient from layer L down to layer 2 (layer 1 below
   * depth 3), ends smoothed over up to 3 layers: what the verdict judges.
   */
  gradientSpan: number;
  /** log10(gradientSpan) / 2: decades of gradient-norm change over the same layers. */
  gradientDecades: number;
  /** q of layer L over q of layer 2 (layer 1 below depth 3). */
  signalRatio: number;
  /** Layers (1-based) holding NaN or Inf. */
  nonfiniteLayers: number[];
  /** Layers whose gradient underflowed the dtype to exactly zero. */
  underflowLayers: number[];
  /**
   * Layers with no NaN/Inf entry whose mean of squares (q or gradPreactMeanSq) or norm
   * (gradWeightNorm) is Infinity or within 1e4 of the dtype's largest value.
   */
  overflowLayers: number[];
  /** One sentence for people, starting with the verdict. */
  message: string;
}

/** A hidden layer's metrics as a point of the gradient path. */
export function layerPoint(
  m: Pick<
    LayerMetrics,
    "layer" | "q" | "gradPreactMeanSq" | "gradWeightNorm" | "nonfinite" | "underflow"
  > &
    Partial<Pick<LayerMetrics, "weightNorm">>,
): FlowPoint {
  return {
    index: m.layer,
    signal: m.q,
    gradMeanSq: m.gradPreactMeanSq,
    gradNorm: m.gradWeightNorm,
    nonfinite: m.nonfinite,
    underflow: m.underflow,
    ...(m.weightNorm !== undefined ? { weightNorm: m.weightNorm } : {}),
  };
}

/**
 * Fitted per-layer factor of gradPreactMeanSq over all the given layers (exp of minus the
 * slope of its log): for callers that fit a range of their own choosing.
 */
export function fitPerLayerFactor(
  layers: readonly Pick<LayerMetrics, "layer" | "gradPreactMeanSq">[],
): number {
  return fitFactor(layers.map((m) => ({ index: m.layer, value: m.gradPreactMeanSq })));
}

/** The verdict of one snapshot of hidden layers (probe, a recorded training step, the lab). */
export function summarize(layers: readonly LayerMetrics[], dtype: DType = "f64"): ProbeSummary {
  return summaryOf(judgeFlow(layers.map(layerPoint), { dtype, unit: "layer" }));
}

/**
 * The ProbeSummary of a flow judgment, whatever its points are (layers, or a transformer's
 * blocks: the *Layers fields then list block indices).
 */
export function summaryOf(j: FlowJudgment): ProbeSummary {
  const m = j.measures;
  return {
    verdict: j.verdict,
    severity: j.severity,
    conditions: j.conditions,
    depth: m.depth,
    firstToLastRatio: m.firstToLastRatio,
    log10FirstToLast: Math.log10(m.firstToLastRatio),
    perLayerFactor: m.factor,
    gradientSpan: m.span,
    gradientDecades: m.decades,
    signalRatio: m.signalRatio,
    nonfiniteLayers: m.nonfinitePoints,
    underflowLayers: m.underflowPoints,
    overflowLayers: m.overflowPoints,
    message: j.message,
  };
}
