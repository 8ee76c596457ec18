import type { ActivationName } from "../core/activations.ts";
import {
  type ActivationLike,
  CRITICAL_TOLERANCE,
  chi1,
  correlationFixedPoint,
  depthScale,
  type FixedPointOptions,
  type FixedPointStatus,
  fixedPoint,
  type Phase,
  phaseOf,
  resolveActivation,
} from "./maps.ts";
import { brent } from "./roots.ts";

/**
 * Mean-field theory of signal and gradient propagation at initialization: the public entry
 * points (fixed points, chi1, phase, depth scales, critical line, phase diagram, report).
 * The maps themselves live in maps.ts and are re-exported here. Derivations: docs/THEORY.md.
 */
export {
  type ActivationLike,
  type CorrelationFixedPoint,
  CRITICAL_TOLERANCE,
  chi1,
  correlationFixedPoint,
  correlationMap,
  correlationMapSlope,
  DEPTH_SCALE_UNIT_BAND,
  depthScale,
  type FixedPointOptions,
  type FixedPointResult,
  type FixedPointStatus,
  fixedPoint,
  lengthMap,
  lengthMapSlope,
  MEAN_FIELD_ORDER,
  meanActivation,
  meanSquareActivation,
  meanSquareDerivative,
  PHASES,
  type Phase,
  phaseOf,
  Q_CEILING,
  Q_FLOOR,
  type QuadratureOptions,
  resolveActivation,
} from "./maps.ts";

export interface MeanFieldOptions extends FixedPointOptions {
  /** Half-width of the critical band |chi1 - 1| <= criticalTolerance. Default 1e-3. */
  criticalTolerance?: number;
}

export interface DepthScales {
  /** -1/ln(chi_q): layers for q^l to approach q* (NaN when q diverges). */
  xiQ: number;
  /** -1/ln(chi_c): layers for correlations to approach c*. */
  xiC: number;
  /**
   * -1/ln(chi1): the mean-square gradient changes by exp(-1/xiGrad) per layer going down.
   * Positive: vanishing over xiGrad layers; negative: exploding by e every |xiGrad| layers.
   */
  xiGrad: number;
}

export interface TheoryReport {
  activation: ActivationName;
  /** Negative slope (leaky relu; 0 otherwise). */
  slope: number;
  weightVar: number;
  biasVar: number;
  /** Fixed point of the length map (0 when q decays, Infinity when it diverges). */
  qStar: number;
  /** weightVar E[phi'(sqrt(q*) Z)^2] (its q -> inf limit when q diverges). */
  chi1: number;
  /** Slope of the length map at q*. */
  chiQ: number;
  /** Stable fixed point of the correlation map. */
  cStar: number;
  /** Slope of the correlation map at c*. */
  chiC: number;
  phase: Phase;
  depthScales: DepthScales;
  /** A finite fixed point q* was found. */
  converged: boolean;
  status: FixedPointStatus;
  reason: string;
}

/** Everything mean-field theory says about one (activation, weightVar, biasVar). */
export function theoryReport(
  activation: ActivationLike,
  weightVar: number,
  biasVar: number,
  options: MeanFieldOptions = {},
): TheoryReport {
  const act = resolveActivation(activation);
  const fp = fixedPoint(act, weightVar, biasVar, options);
  // With q -> inf (divergent) the q-limits are used (Q_CEILING in maps.ts).
  const c1 = chi1(act, weightVar, fp.qStar, options);
  const corr = correlationFixedPoint(act, weightVar, biasVar, fp.qStar, options);
  return {
    activation: act.name,
    slope: act.slope,
    weightVar,
    biasVar,
    qStar: fp.qStar,
    chi1: c1,
    chiQ: fp.chiQ,
    cStar: corr.cStar,
    chiC: corr.chiC,
    phase: phaseOf(c1, options.criticalTolerance ?? CRITICAL_TOLERANCE),
    depthScales: {
      xiQ: fp.status === "divergent" ? Number.NaN : depthScale(fp.chiQ),
      xiC: depthScale(corr.chiC),
      xiGrad: depthScale(c1),
    },
    converged: fp.converged,
    status: fp.status,
    reason: fp.reason,
  };
}

/** chi1 at the self-consistent q*(weightVar, biasVar) reached from q0. */
export function chi1AtFixedPoint(
  activation: ActivationLike,
  weightVar: number,
  biasVar: number,
  options: FixedPointOptions = {},
): number {
  const act = resolveActivation(activation);
  const fp = fixedPoint(act, weightVar, biasVar, options);
  return chi1(act, weightVar, fp.qStar, options);
}

export interface CriticalOptions extends FixedPointOptions {
  /** Search range for weightVar. Default [1e-3, 1e6]. */
  minWeightVar?: number;
  maxWeightVar?: number;
}

/**
 * The weightVar on the critical line at this biasVar: the smallest weightVar where
 * chi1(weightVar, q*(weightVar, biasVar)) reaches 1. A scan in steps of sqrt(2) from
 * minWeightVar brackets the first crossing, refined by Brent's method (to ~1e-13 relative
 * where chi1 crosses 1 transversally). NaN when chi1 stays below 1 in the search range.
 * Where chi1 jumps across 1 (gelu and swish at biasVar = 0: q* switches from 0 to
 * divergence) this is the location of the jump, which depends on q0.
 */
export function criticalWeightVar(
  activation: ActivationLike,
  biasVar: number,
  options: CriticalOptions = {},
): number {
  const act = resolveActivation(activation);
  const minW = options.minWeightVar ?? 1e-3;
  const maxW = options.maxWeightVar ?? 1e6;
  const f = (w: number): number => chi1AtFixedPoint(act, w, biasVar, options) - 1;
  let lo = minW;
  let flo = f(lo);
  if (flo >= 0) return flo === 0 ? lo : Number.NaN;
  for (;;) {
    if (lo >= maxW) return Number.NaN;
    const hi = Math.min(lo * Math.SQRT2, maxW);
    const fhi = f(hi);
    if (fhi === 0) return hi;
    if (fhi > 0) return brent(f, lo, hi, { fa: flo, fb: fhi, xTolerance: 1e-14 * hi }).root;
    lo = hi;
    flo = fhi;
  }
}

export interface PhasePoint {
  weightVar: number;
  biasVar: number;
  qStar: number;
  chi1: number;
  phase: Phase;
  converged: boolean;
}

export interface PhaseDiagram {
  activation: ActivationName;
  slope: number;
  weightVars: number[];
  biasVars: number[];
  /** One point per (biasVar, weightVar), biasVar-major: points[i * weightVars.length + j]. */
  points: PhasePoint[];
  /** Critical weightVar for each biasVar where chi1 crosses 1 (others are left out). */
  criticalLine: { biasVar: number; weightVar: number }[];
}

/** Grid of fixed points, chi1 and phases, plus the critical line, as data for a figure. */
export function phaseDiagram(
  activation: ActivationLike,
  weightVars: readonly number[],
  biasVars: readonly number[],
  options: MeanFieldOptions & CriticalOptions = {},
): PhaseDiagram {
  const act = resolveActivation(activation);
  const tolerance = options.criticalTolerance ?? CRITICAL_TOLERANCE;
  const points: PhasePoint[] = [];
  for (const biasVar of biasVars) {
    for (const weightVar of weightVars) {
      const fp = fixedPoint(act, weightVar, biasVar, options);
      const c1 = chi1(act, weightVar, fp.qStar, options);
      points.push({
        weightVar,
        biasVar,
        qStar: fp.qStar,
        chi1: c1,
        phase: phaseOf(c1, tolerance),
        converged: fp.converged,
      });
    }
  }
  const criticalLine: { biasVar: number; weightVar: number }[] = [];
  for (const biasVar of biasVars) {
    const weightVar = criticalWeightVar(act, biasVar, options);
    if (Number.isFinite(weightVar)) criticalLine.push({ biasVar, weightVar });
  }
  return {
    activation: act.name,
    slope: act.slope,
    weightVars: [...weightVars],
    biasVars: [...biasVars],
    points,
    criticalLine,
  };
}
