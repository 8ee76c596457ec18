import {
  type Activation,
  type ActivationName,
  type ActivationOptions,
  getActivation,
} from "../core/activations.ts";
import { type BivariateOptions, polarGaussianExpectation } from "./bivariate.ts";
import { gaussianExpectation } from "./gauss-hermite.ts";
import { brent } from "./roots.ts";

/**
 * The mean-field maps of a deep random network (Poole et al. 2016, Schoenholz et al. 2017):
 *   z^l = W^l a^{l-1} + b^l,  W_ij ~ N(0, weightVar / N),  b_i ~ N(0, biasVar),  a = phi(z).
 * Every expectation is over Z ~ N(0, 1) (or a correlated pair), by the split Gauss rules of
 * gauss-hermite.ts and bivariate.ts. The formulas are derived in docs/THEORY.md.
 */

export type ActivationLike = Activation | ActivationName;

export interface QuadratureOptions extends BivariateOptions {
  /** Nodes per half line of the 1-D split rule (at most 200). Default 128. */
  order?: number;
}

/** Default 1-D order: relative error below 1e-13 for every activation up to q ~ 200. */
export const MEAN_FIELD_ORDER = 128;

/**
 * Variances below this are evaluated at this value: the q -> 0+ limit, which is what the
 * maps mean at q = 0 for activations with a kink there (relu' jumps at 0, yet chi1 = w/2 for
 * every q > 0).
 */
export const Q_FLOOR = 1e-200;
/** q = Infinity (a divergent length) is evaluated here: the q -> inf limit to rounding. */
export const Q_CEILING = 1e30;

export function resolveActivation(
  activation: ActivationLike,
  options: ActivationOptions = {},
): Activation {
  return typeof activation === "string" ? getActivation(activation, options) : activation;
}

function expect1(f: (x: number) => number, q: number, options: QuadratureOptions): number {
  return gaussianExpectation(f, q, {
    order: options.order ?? MEAN_FIELD_ORDER,
    method: "split",
  });
}

function checkVariances(weightVar: number, biasVar: number): void {
  if (!(weightVar >= 0) || !Number.isFinite(weightVar)) {
    throw new RangeError(`weightVar must be finite and >= 0, got ${weightVar}`);
  }
  if (!(biasVar >= 0) || !Number.isFinite(biasVar)) {
    throw new RangeError(`biasVar must be finite and >= 0, got ${biasVar}`);
  }
}

function checkQ(q: number): void {
  if (!(q >= 0) || !Number.isFinite(q)) throw new RangeError(`q must be finite and >= 0, got ${q}`);
}

/** q for quantities with a q -> 0+ or q -> inf limit: clamped to [Q_FLOOR, Q_CEILING]. */
function limitQ(q: number): number {
  if (!(q >= 0)) throw new RangeError(`q must be >= 0, got ${q}`);
  return Math.min(Math.max(q, Q_FLOOR), Q_CEILING);
}

/** E[phi(sqrt(q) Z)^2]. */
export function meanSquareActivation(
  activation: ActivationLike,
  q: number,
  options: QuadratureOptions = {},
): number {
  const act = resolveActivation(activation);
  checkQ(q);
  return expect1(
    (x) => {
      const v = act.value(x);
      return v * v;
    },
    q,
    options,
  );
}

/** E[phi'(sqrt(q) Z)^2], as its limit at q = 0 and q = Infinity. */
export function meanSquareDerivative(
  activation: ActivationLike,
  q: number,
  options: QuadratureOptions = {},
): number {
  const act = resolveActivation(activation);
  return expect1(
    (x) => {
      const d = act.derivative(x);
      return d * d;
    },
    limitQ(q),
    options,
  );
}

/** E[phi(sqrt(q) Z)]. */
export function meanActivation(
  activation: ActivationLike,
  q: number,
  options: QuadratureOptions = {},
): number {
  const act = resolveActivation(activation);
  checkQ(q);
  return expect1((x) => act.value(x), q, options);
}

/** Length map q -> weightVar E[phi(sqrt(q) Z)^2] + biasVar (the next layer's mean z^2). */
export function lengthMap(
  activation: ActivationLike,
  weightVar: number,
  biasVar: number,
  q: number,
  options: QuadratureOptions = {},
): number {
  checkVariances(weightVar, biasVar);
  return weightVar * meanSquareActivation(activation, q, options) + biasVar;
}

/**
 * Slope chi_q = dq'/dq of the length map at q, exactly through Stein's lemma:
 * d/dq E[phi(u)^2] = E[phi(u) phi'(u) u] / q, u = sqrt(q) Z (equal to
 * E[phi'(u)^2 + phi(u) phi''(u)], Schoenholz et al. eq. 6, after an integration by parts).
 */
export function lengthMapSlope(
  activation: ActivationLike,
  weightVar: number,
  q: number,
  options: QuadratureOptions = {},
): number {
  const act = resolveActivation(activation);
  const qe = limitQ(q);
  const s = Math.sqrt(qe);
  // E[phi(u) phi'(u) Z] / sqrt(q): the variable x = sqrt(q) Z, so Z = x / s.
  const e = expect1((x) => act.value(x) * act.derivative(x) * (x / s), qe, options);
  return (weightVar * e) / s;
}

/**
 * chi1 = weightVar E[phi'(sqrt(q) Z)^2]: the factor by which the mean square of the
 * backpropagated gradient grows per layer, and the slope of the correlation map at c = 1.
 * Mean-field chi1 is this at q = q*.
 */
export function chi1(
  activation: ActivationLike,
  weightVar: number,
  q: number,
  options: QuadratureOptions = {},
): number {
  if (!(weightVar >= 0)) throw new RangeError(`weightVar must be >= 0, got ${weightVar}`);
  return weightVar * meanSquareDerivative(activation, q, options);
}

export type FixedPointStatus = "finite" | "zero" | "divergent";

export interface FixedPointOptions extends QuadratureOptions {
  /** Starting length q^0 (the fixed point returned is the one the iteration from q0 reaches). */
  q0?: number;
  /** Lengths beyond this count as divergence. Default 1e30. */
  qMax?: number;
  /** Below this the fixed point is declared to be 0 (when L(0) = 0). Default 1e-250. */
  qMin?: number;
  /** |L(q) - q| <= tolerance * q counts as a fixed point. Default 1e-13. */
  tolerance?: number;
}

export interface FixedPointResult {
  /** q* = lim q^l; Infinity when q^l grows without bound. */
  qStar: number;
  /** True when a finite fixed point (possibly 0) was found. */
  converged: boolean;
  status: FixedPointStatus;
  reason: string;
  /** Slope of the length map at q* (NaN when divergent). */
  chiQ: number;
  /** Number of length-map evaluations. */
  evaluations: number;
}

/**
 * Fixed point q* = L(q*) of the length map reached from q0. The iteration q <- L(q) is
 * monotone when L is increasing (it is for every activation here), so it converges to the
 * first root of g(q) = L(q) - q in the direction of sign g(q0); that root is bracketed by
 * geometric steps (x2 upward; /4 downward, /1e5 below 1e-6 q0) and refined by Brent's method
 * to a few ulps. Signs within the rounding noise of g are not trusted while bracketing.
 * Divergence (q^l -> inf, e.g. relu with weightVar > 2) is reported as qStar = Infinity
 * with converged = false; q^l -> 0 (e.g. tanh with weightVar < 1, biasVar = 0) as qStar = 0.
 */
export function fixedPoint(
  activation: ActivationLike,
  weightVar: number,
  biasVar: number,
  options: FixedPointOptions = {},
): FixedPointResult {
  const act = resolveActivation(activation);
  checkVariances(weightVar, biasVar);
  const q0 = options.q0 ?? 1;
  checkQ(q0);
  const qMax = options.qMax ?? 1e30;
  const qMin = options.qMin ?? 1e-250;
  const tol = options.tolerance ?? 1e-13;
  let evaluations = 0;
  const L = (q: number): number => {
    evaluations++;
    return lengthMap(act, weightVar, biasVar, q, options);
  };
  const g = (q: number): number => L(q) - q;
  const finish = (qStar: number, status: FixedPointStatus, reason: string): FixedPointResult => ({
    qStar,
    converged: status !== "divergent",
    status,
    reason,
    chiQ: status === "divergent" ? Number.NaN : lengthMapSlope(act, weightVar, qStar, options),
    evaluations,
  });

  // Rounding noise of g(q): signs within it are not trusted while bracketing.
  const noise = (q: number, gq: number): number => 8 * Number.EPSILON * Math.max(q, q + gq);
  const l0 = L(q0);
  const g0 = l0 - q0;
  if (Math.abs(g0) <= tol * Math.max(q0, l0) || (q0 === 0 && g0 === 0)) {
    return finish(q0, q0 === 0 ? "zero" : "finite", "q0 is a fixed point of the length map");
  }
  let lo: number;
  let hi: number;
  let glo: number;
  let ghi: number;
  if (g0 > 0) {
    // q^l grows: step up until g is significantly negative.
    lo = q0;
    glo = g0;
    hi = q0 > 0 ? 2 * q0 : l0;
    ghi = g(hi);
    while (ghi >= -noise(hi, ghi)) {
      if (hi > qMax) {
        return finish(
          Number.POSITIVE_INFINITY,
          "divergent",
          `q grows without bound: L(q) > q for all q in [${q0}, ${qMax}]`,
        );
      }
      lo = hi;
      glo = ghi;
      hi *= 2;
      ghi = g(hi);
    }
    if (glo <= noise(lo, glo)) return finish(lo, "finite", "fixed point within rounding");
  } else {
    // q^l shrinks: step down until g is significantly positive.
    hi = q0;
    ghi = g0;
    lo = q0 / 4;
    glo = g(lo);
    while (glo <= noise(lo, glo)) {
      if (lo < qMin) {
        // L(0) = weightVar phi(0)^2 + biasVar exactly.
        const phi0 = act.value(0);
        const gz = weightVar * phi0 * phi0 + biasVar;
        if (gz <= 0) return finish(0, "zero", `q decays to 0: L(q) < q for all q in (0, ${q0}]`);
        hi = lo;
        ghi = glo;
        lo = 0;
        glo = gz;
        break;
      }
      hi = lo;
      ghi = glo;
      // Fine steps near q0, then big ones on the way down to qMin (a root skipped by a big
      // step is still bracketed, as long as the bracket holds one root).
      lo /= lo > 1e-6 * q0 ? 4 : 1e5;
      glo = g(lo);
    }
    if (ghi >= -noise(hi, ghi)) return finish(hi, "finite", "fixed point within rounding");
  }
  const result = brent(g, lo, hi, { fa: glo, fb: ghi });
  return finish(
    result.root,
    result.root === 0 ? "zero" : "finite",
    result.converged ? "converged" : "root bracket not fully refined",
  );
}

/**
 * Correlation map: the correlation of the next layer's pre-activations for two inputs whose
 * pre-activations both have length q and correlation c,
 *   c' = (weightVar E[phi(u1) phi(u2)] + biasVar) / (weightVar E[phi(u)^2] + biasVar),
 * u1, u2 ~ N(0, q) with correlation c. At q = q* the denominator is q* (Poole et al. eq. 5).
 */
export function correlationMap(
  activation: ActivationLike,
  weightVar: number,
  biasVar: number,
  q: number,
  c: number,
  options: QuadratureOptions = {},
): number {
  const act = resolveActivation(activation);
  checkVariances(weightVar, biasVar);
  checkQ(q);
  if (!(c >= -1 && c <= 1)) throw new RangeError(`correlation must lie in [-1, 1], got ${c}`);
  const qe = Math.max(q, Q_FLOOR);
  const cross = polarGaussianExpectation(
    (u1, u2) => act.value(u1) * act.value(u2),
    qe,
    qe,
    angleOf(1 - c),
    options,
  );
  return (weightVar * cross + biasVar) / lengthMap(act, weightVar, biasVar, qe, options);
}

/**
 * Slope dc'/dc of the correlation map, exactly by Price's theorem
 * (d E[f(u1) g(u2)] / d cov = E[f'(u1) g'(u2)]):
 *   chi_c(c) = weightVar q E[phi'(u1) phi'(u2)] / (weightVar E[phi(u)^2] + biasVar),
 * which is weightVar E[phi'(u1) phi'(u2)] at q = q* (Schoenholz et al. eq. 9), and chi1 at
 * c = 1.
 */
export function correlationMapSlope(
  activation: ActivationLike,
  weightVar: number,
  biasVar: number,
  q: number,
  c: number,
  options: QuadratureOptions = {},
): number {
  const act = resolveActivation(activation);
  checkVariances(weightVar, biasVar);
  checkQ(q);
  if (!(c >= -1 && c <= 1)) throw new RangeError(`correlation must lie in [-1, 1], got ${c}`);
  const qe = Math.max(q, Q_FLOOR);
  const cross = polarGaussianExpectation(
    (u1, u2) => act.derivative(u1) * act.derivative(u2),
    qe,
    qe,
    angleOf(1 - c),
    options,
  );
  return (weightVar * qe * cross) / lengthMap(act, weightVar, biasVar, qe, options);
}

/** Angle between the directions of a correlation c = 1 - delta, accurate for small delta. */
function angleOf(delta: number): number {
  return 2 * Math.asin(Math.min(1, Math.sqrt(Math.max(delta, 0) / 2)));
}

export interface CorrelationFixedPoint {
  /** Stable fixed point of the correlation map reached from correlations just below 1. */
  cStar: number;
  /** Slope of the correlation map at c*: correlations approach c* as chiC^l. */
  chiC: number;
  /** Slope at c = 1 (chi1 at q = q*): c = 1 is stable iff it is <= 1. */
  slopeAtOne: number;
}

/**
 * Fixed point c* of the correlation map at length q. c = 1 is always a fixed point; when its
 * slope is <= 1 (ordered or critical) it attracts and c* = 1. Otherwise (chaotic) nearby
 * inputs decorrelate towards the stable c* < 1, found in delta = 1 - c by Brent's method on
 * h(delta) = (1 - c') - delta with 1 - c' = weightVar E[(phi(u1) - phi(u2))^2] / (2 L(q))
 * computed directly (no cancellation near c = 1).
 */
export function correlationFixedPoint(
  activation: ActivationLike,
  weightVar: number,
  biasVar: number,
  q: number,
  options: QuadratureOptions = {},
): CorrelationFixedPoint {
  const act = resolveActivation(activation);
  checkVariances(weightVar, biasVar);
  const qe = limitQ(q);
  const length = lengthMap(act, weightVar, biasVar, qe, options);
  const slopeAtOne = (weightVar * qe * meanSquareDerivative(act, qe, options)) / length;
  if (!(slopeAtOne > 1) || weightVar === 0) return { cStar: 1, chiC: slopeAtOne, slopeAtOne };
  const h = (delta: number): number => {
    const d = polarGaussianExpectation(
      (u1, u2) => {
        const diff = act.value(u1) - act.value(u2);
        return 0.5 * diff * diff;
      },
      qe,
      qe,
      angleOf(delta),
      options,
    );
    return (weightVar * d) / length - delta;
  };
  // h(delta) ~ (slopeAtOne - 1) delta > 0 for small delta: find such a delta.
  let lo = Math.min(0.5, 0.1 * (slopeAtOne - 1));
  let hlo = h(lo);
  while (!(hlo > 0)) {
    lo /= 8;
    if (lo < 1e-15) return { cStar: 1, chiC: slopeAtOne, slopeAtOne };
    hlo = h(lo);
  }
  let hi = lo;
  let hhi = hlo;
  while (hhi > 0) {
    if (hi >= 2) {
      return {
        cStar: -1,
        chiC: correlationMapSlope(act, weightVar, biasVar, qe, -1, options),
        slopeAtOne,
      };
    }
    lo = hi;
    hlo = hhi;
    hi = Math.min(2, 2 * hi);
    hhi = h(hi);
  }
  const { root } = brent(h, lo, hi, { fa: hlo, fb: hhi });
  const cStar = 1 - root;
  return {
    cStar,
    chiC: correlationMapSlope(act, weightVar, biasVar, qe, cStar, options),
    slopeAtOne,
  };
}

export const PHASES = ["ordered", "critical", "chaotic"] as const;
export type Phase = (typeof PHASES)[number];

/** Default half-width of the critical band |chi1 - 1| <= tolerance. */
export const CRITICAL_TOLERANCE = 1e-3;

/** Phase of a network from its chi1: ordered (< 1), critical (within tolerance of 1), chaotic. */
export function phaseOf(chi: number, tolerance = CRITICAL_TOLERANCE): Phase {
  if (Math.abs(chi - 1) <= tolerance) return "critical";
  return chi < 1 ? "ordered" : "chaotic";
}

/** |chi - 1| within this (quadrature rounding) counts as chi = 1 in depthScale. */
export const DEPTH_SCALE_UNIT_BAND = 1e-12;

/**
 * Depth scale xi = -1 / ln(chi) of a quantity that changes by chi per layer (~ chi^l =
 * exp(-l / xi)). Positive for chi < 1 (decay over xi layers), negative for chi > 1 (growth
 * by e every |xi| layers), Infinity at chi = 1 (to within DEPTH_SCALE_UNIT_BAND, i.e. beyond
 * 1e12 layers), 0 at chi = 0.
 */
export function depthScale(chi: number): number {
  if (Math.abs(chi - 1) <= DEPTH_SCALE_UNIT_BAND) return Number.POSITIVE_INFINITY;
  return -1 / Math.log(chi);
}
