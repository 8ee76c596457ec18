import { ConfigError, type ProbeConfig } from "./config.ts";
import { type RunProbeOptions, runProbe } from "./probe-run.ts";

/**
 * The seed's third demonstration: the same network at depths minDepth..maxDepth, and the
 * gradient that reaches its first layer. With one seed the deeper networks extend the
 * shallower ones (weights are drawn layer by layer from the same stream and the input and
 * target keep their shapes), so each row adds one layer between the loss and layer 1.
 */

export interface DepthSweepRow {
  depth: number;
  /** Frobenius norm of dL/dW of layer 1. */
  gradWeightNorm1: number;
  /** Mean over batch and units of (dL/dz)^2 at layer 1. */
  gradPreactMeanSq1: number;
  /** gradWeightNorm of layer 1 / that of layer `depth` (1 at depth 1). */
  firstToLastRatio: number;
}

export interface DepthSweepResult {
  /** The probe configuration shared by every depth (its `depth` is maxDepth). */
  config: ProbeConfig;
  minDepth: number;
  maxDepth: number;
  rows: DepthSweepRow[];
  /**
   * Fitted factor by which gradPreactMeanSq1 changes per added layer: exp of the least-squares
   * slope of its log against depth (the measured chi1; NaN with fewer than two usable rows).
   */
  perLayerFactor: number;
  /** The same fit for gradWeightNorm1 (about the square root of perLayerFactor). */
  perLayerNormFactor: number;
}

export interface DepthSweepOptions extends Omit<RunProbeOptions, "onRepeat"> {
  minDepth?: number;
  maxDepth?: number;
  /** Called after each depth, e.g. for progress. */
  onDepth?: (depth: number, maxDepth: number) => void;
}

export const DEFAULT_MAX_SWEEP_DEPTH = 30;

export function depthSweep(base: ProbeConfig, options: DepthSweepOptions = {}): DepthSweepResult {
  const minDepth = options.minDepth ?? 1;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_SWEEP_DEPTH;
  if (!Number.isInteger(minDepth) || minDepth < 1) {
    throw new ConfigError(`the smallest depth must be a positive integer (got ${minDepth})`);
  }
  if (!Number.isInteger(maxDepth) || maxDepth < minDepth) {
    throw new ConfigError(
      `the largest depth must be an integer >= the smallest, ${minDepth} (got ${maxDepth})`,
    );
  }
  const rows: DepthSweepRow[] = [];
  for (let depth = minDepth; depth <= maxDepth; depth++) {
    const result = runProbe({ ...base, depth }, { memoryLimitBytes: options.memoryLimitBytes });
    const first = result.layers[0]!;
    rows.push({
      depth,
      gradWeightNorm1: first.gradWeightNorm,
      gradPreactMeanSq1: first.gradPreactMeanSq,
      firstToLastRatio: result.summary.firstToLastRatio,
    });
    options.onDepth?.(depth, maxDepth);
  }
  return {
    config: { ...base, depth: maxDepth },
    minDepth,
    maxDepth,
    rows,
    perLayerFactor: fitGrowthFactor(rows.map((r) => [r.depth, r.gradPreactMeanSq1])),
    perLayerNormFactor: fitGrowthFactor(rows.map((r) => [r.depth, r.gradWeightNorm1])),
  };
}

/**
 * exp(slope) of the least-squares line through (x, ln y), over the points with y finite and
 * positive (an underflowed zero or an overflowed value says nothing about the rate).
 */
export function fitGrowthFactor(points: readonly (readonly [number, number])[]): number {
  const usable = points.filter(([, y]) => y > 0 && Number.isFinite(y));
  const n = usable.length;
  if (n < 2) return Number.NaN;
  const mx = usable.reduce((s, [x]) => s + x, 0) / n;
  const my = usable.reduce((s, [, y]) => s + Math.log(y), 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of usable) {
    sxy += (x - mx) * (Math.log(y) - my);
    sxx += (x - mx) ** 2;
  }
  return Math.exp(sxy / sxx);
}
