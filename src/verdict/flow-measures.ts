import type { DType } from "../core/dtype.ts";
import { VERDICT_THRESHOLDS as T } from "./thresholds.ts";

/**
 * One measure point of a gradient path: a hidden layer of an MLP today; a time step of a
 * recurrent net or a block of a transformer use the same shape. `index` counts from the input
 * side (1-based); the backward gradient travels from the last index down to 1.
 */
export interface FlowPoint {
  index: number;
  /** Forward signal: mean square of the pre-activations (q). */
  signal: number;
  /** Backward signal: mean square of dL/dz (E[(dL/dz)^2]). */
  gradMeanSq: number;
  /** Norm of the point's weight gradient (|dL/dW|), when it has weights. */
  gradNorm: number;
  /** Count of NaN/Inf among the point's tensors. */
  nonfinite: number;
  /** The gradient was rounded to exactly zero by the dtype. */
  underflow: boolean;
  /**
   * Norm of the point's weights, when it has weights: a zero matrix above a point passes it a
   * truly zero gradient (W^T dz = 0), which is then not an underflow.
   */
  weightNorm?: number;
}

/** What a point is called in messages. */
export type PointUnit = "layer" | "time step" | "block";

/** The measurements a verdict is decided from, for one snapshot. */
export interface FlowMeasures {
  /** Number of points (the depth, for an MLP). */
  depth: number;
  /**
   * First point of the fits: 2 when there are 3 or more points, because the input layer's
   * pre-activations scale with the data (fan-in from e.g. 2-D inputs), not with the network.
   */
  fitFrom: number;
  /**
   * Per-point factor of E[(dL/dz)^2] from the output toward the input (exp of minus the
   * least-squares slope of its log over points fitFrom..L). < 1: the gradient shrinks toward
   * the input. NaN when fewer than two points have a positive finite value.
   */
  factor: number;
  /**
   * The measured change of the mean-square gradient from point L down to point fitFrom:
   * E[(dL/dz)^2] there over E[(dL/dz)^2] at L, each end the geometric mean of a window of up
   * to 3 points (a quarter of the points at most) so one noisy point does not decide it.
   * 1e-2 is a 10x smaller gradient norm at the input. NaN when an end has no positive value.
   */
  span: number;
  /** log10(span) / 2: decades of gradient-norm change from L down to fitFrom (negative: shrinks). */
  decades: number;
  /** q of the last point over q of point fitFrom (NaN when either is not positive). */
  signalRatio: number;
  /** |dL/dW| of point 1 over that of point L: kept for continuity, never decides the verdict. */
  firstToLastRatio: number;
  /** Points holding NaN or Inf. */
  nonfinitePoints: number[];
  /** Points whose gradient the dtype rounded to zero. */
  underflowPoints: number[];
  /**
   * Points with finite entries whose mean of squares is Infinity, or within overflowMargin of
   * the dtype's largest value: the next step overflows.
   */
  overflowPoints: number[];
  /**
   * Points whose RMS gradient is nonzero but within underflowMargin of the smallest normal, or
   * whose mean square rounded to 0 while the weight gradient is not.
   */
  nearUnderflowPoints: number[];
  /**
   * The highest point whose gradient is exactly zero while a point above has a gradient, not
   * by rounding (the gradient is blocked there, e.g. by a layer of dead ReLUs): 0 when none.
   */
  blockedAt: number;
  /** Every point's weight gradient is exactly zero (zero weights, or no path from the loss). */
  noGradient: boolean;
  /**
   * Some point carries a measured mean-square gradient. False for runs that record no
   * per-point dL/dz (a TensorBoard import has weight gradients only): the flow cannot be
   * judged then, and the verdict says so instead of calling it healthy.
   */
  gradientMeasured: boolean;
}

const MAX = { f32: 3.4028234663852886e38, f64: Number.MAX_VALUE } as const;
const MIN_NORMAL = { f32: 1.1754943508222875e-38, f64: 2.2250738585072014e-308 } as const;

/** Least-squares slope of y against x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxy / sxx;
}

/**
 * Per-point factor of a positive quantity from the last point toward the first: exp(-slope)
 * of its log over the points, skipping zeros and non-finite values. NaN with fewer than two.
 */
export function fitFactor(points: readonly { index: number; value: number }[]): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const p of points) {
    if (p.value > 0 && Number.isFinite(p.value)) {
      xs.push(p.index);
      ys.push(Math.log(p.value));
    }
  }
  if (xs.length < 2) return Number.NaN;
  return Math.exp(-slope(xs, ys));
}

/**
 * The change of a positive quantity from the last point down to the first (see
 * FlowMeasures.span): the geometric means of two end windows of w = min(3, floor(n / 4)) points
 * (at least 1), their log difference rescaled from the distance between the windows' centres to
 * the distance between the end points. Zeros and non-finite values are skipped.
 */
export function measuredSpan(points: readonly { index: number; value: number }[]): number {
  const ps = points.filter((p) => p.value > 0 && Number.isFinite(p.value));
  const n = ps.length;
  if (n < 2) return Number.NaN;
  const w = Math.max(1, Math.min(3, Math.floor(n / 4)));
  const end = (from: number) => {
    let idx = 0;
    let log = 0;
    for (let i = from; i < from + w; i++) {
      idx += ps[i]!.index;
      log += Math.log(ps[i]!.value);
    }
    return { idx: idx / w, log: log / w };
  };
  const low = end(0);
  const high = end(n - w);
  const distance = ps[n - 1]!.index - ps[0]!.index;
  return Math.exp(((low.log - high.log) * distance) / (high.idx - low.idx));
}

/** The first point of the fits for `depth` points (see FlowMeasures.fitFrom). */
export function fitStart(depth: number): number {
  return depth >= 3 ? 2 : 1;
}

/** The flow measurements of one snapshot; `points` in any order. */
export function measureFlow(points: readonly FlowPoint[], dtype: DType = "f64"): FlowMeasures {
  const sorted = [...points].sort((a, b) => a.index - b.index);
  // an underflow flag below zero weights is a true zero, not a rounded one
  const ps = sorted.map((p, i) =>
    p.underflow && sorted[i + 1]?.weightNorm === 0 ? { ...p, underflow: false } : p,
  );
  const depth = ps.length;
  const from = fitStart(depth);
  const fitted = ps.filter((p) => p.index >= from);
  const factor = fitFactor(fitted.map((p) => ({ index: p.index, value: p.gradMeanSq })));
  const span = measuredSpan(fitted.map((p) => ({ index: p.index, value: p.gradMeanSq })));
  const start = ps.find((p) => p.index === from);
  const last = ps[depth - 1];
  const signalRatio =
    start && last && start.signal > 0 && last.signal > 0 ? last.signal / start.signal : Number.NaN;
  const first = ps[0];
  const firstToLastRatio = first && last ? first.gradNorm / last.gradNorm : Number.NaN;

  const max = MAX[dtype];
  const overflowPoints = ps
    .filter(
      (p) =>
        p.nonfinite === 0 &&
        // null, missing or NaN (not measured, e.g. an imported run's quantities it lacks: with
        // no NaN/Inf counted, a measured mean square cannot be NaN) is not overflow
        [p.signal, p.gradMeanSq, p.gradNorm].some(
          (v) =>
            typeof v === "number" &&
            !Number.isNaN(v) &&
            (!Number.isFinite(v) || v > max * T.overflowMargin),
        ),
    )
    .map((p) => p.index);
  const tiny = MIN_NORMAL[dtype] * T.underflowMargin;
  // a weight gradient whose mean square rounded to 0 (entries below ~1e-162) is as close
  const nearUnderflowPoints = ps
    .filter(
      (p) =>
        (p.gradMeanSq > 0 && Math.sqrt(p.gradMeanSq) < tiny) ||
        (p.gradMeanSq === 0 && p.gradNorm > 0),
    )
    .map((p) => p.index);
  let blockedAt = 0;
  let seenGradient = false;
  for (let i = depth - 1; i >= 0; i--) {
    const g = ps[i]!.gradMeanSq;
    if (g > 0) seenGradient = true;
    else if (g === 0 && seenGradient && !ps[i]!.underflow) {
      blockedAt = ps[i]!.index;
      break;
    }
  }
  const noGradient = depth > 0 && ps.every((p) => p.nonfinite === 0 && p.gradNorm === 0);
  const gradientMeasured = ps.some(
    (p) => typeof p.gradMeanSq === "number" && !Number.isNaN(p.gradMeanSq),
  );
  return {
    depth,
    fitFrom: from,
    factor,
    span,
    decades: Number.isFinite(span) ? Math.log10(span) / 2 : Number.NaN,
    signalRatio,
    firstToLastRatio,
    nonfinitePoints: ps.filter((p) => p.nonfinite > 0).map((p) => p.index),
    underflowPoints: ps.filter((p) => p.underflow).map((p) => p.index),
    overflowPoints,
    nearUnderflowPoints,
    blockedAt,
    noGradient,
    gradientMeasured,
  };
}
