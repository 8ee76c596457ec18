import { halfLineRule, MAX_HALF_LINE_ORDER } from "./half-line.ts";
import { checkOrder, gaussLegendre } from "./legendre.ts";

/**
 * Bivariate Gaussian expectations E[f(u1, u2)] with u1 ~ N(0, q1), u2 ~ N(0, q2) and
 * correlation c = cos(theta), in polar coordinates of the underlying standard pair:
 *   u1 = sqrt(q1) r cos(t),  u2 = sqrt(q2) r cos(t - theta),
 *   E[f] = (1/2pi) int_0^2pi dt int_0^inf r exp(-r^2/2) f(u1, u2) dr.
 * The lines u1 = 0 and u2 = 0 (where relu-like activations have their kink) are the rays
 * t = +-pi/2 and t = theta +- pi/2: the angle is split there into four sectors, on each of
 * which the signs of u1 and u2 are fixed and the integrand is analytic. Each sector gets an
 * angular Gauss-Legendre rule and the radius the Gauss rule of the Rayleigh weight, so the
 * rule is exact for piecewise bilinear integrands (relu x relu) and converges exponentially
 * for those analytic in each sector (elu, selu), at every correlation including c -> +-1.
 */

export interface BivariateOptions {
  /** Gauss-Legendre nodes per angular sector. Default 48. */
  angularOrder?: number;
  /** Nodes of the radial Rayleigh rule (at most 200). Default 96. */
  radialOrder?: number;
}

export const DEFAULT_ANGULAR_ORDER = 48;
export const DEFAULT_RADIAL_ORDER = 96;

/**
 * E[f(u1, u2)] where the angle between the two directions is `theta` in [0, pi], i.e. the
 * correlation is cos(theta). Passing the angle rather than c keeps full accuracy for c near 1
 * (theta = 2 asin(sqrt((1 - c) / 2))).
 */
export function polarGaussianExpectation(
  f: (u1: number, u2: number) => number,
  q1: number,
  q2: number,
  theta: number,
  options: BivariateOptions = {},
): number {
  const { angularOrder = DEFAULT_ANGULAR_ORDER, radialOrder = DEFAULT_RADIAL_ORDER } = options;
  if (!(q1 >= 0 && q2 >= 0) || !Number.isFinite(q1) || !Number.isFinite(q2)) {
    throw new RangeError(`variances must be finite and >= 0, got ${q1}, ${q2}`);
  }
  if (!(theta >= 0 && theta <= Math.PI)) {
    throw new RangeError(`angle must lie in [0, pi], got ${theta}`);
  }
  checkOrder(angularOrder);
  checkOrder(radialOrder, MAX_HALF_LINE_ORDER);
  const s1 = Math.sqrt(q1);
  const s2 = Math.sqrt(q2);
  const half = Math.PI / 2;
  // Sector edges in [-pi/2, 3pi/2]: u1 changes sign at -pi/2, pi/2, 3pi/2 and u2 at
  // theta - pi/2 and theta + pi/2.
  const edges = [-half, theta - half, half, theta + half, 3 * half];
  const gl = gaussLegendre(angularOrder);
  const radial = halfLineRule("rayleigh", radialOrder);
  let total = 0;
  for (let s = 0; s + 1 < edges.length; s++) {
    const lo = edges[s]!;
    const width = edges[s + 1]! - lo;
    if (!(width > 0)) continue;
    // Angles measured from the nearer edge keep cos(t) and cos(t - theta) accurate (and of
    // the right sign) near the edges, where one of them vanishes.
    let sector = 0;
    for (let j = 0; j < gl.nodes.length; j++) {
      const t = lo + 0.5 * width * (1 + gl.nodes[j]!);
      const a = s1 * Math.cos(t);
      const b = s2 * Math.cos(t - theta);
      let inner = 0;
      for (let k = 0; k < radial.nodes.length; k++) {
        const r = radial.nodes[k]!;
        inner += radial.weights[k]! * f(a * r, b * r);
      }
      sector += gl.weights[j]! * inner;
    }
    total += 0.5 * width * sector;
  }
  return total / (2 * Math.PI);
}

/** E[f(u1, u2)] for the centered Gaussian pair with variances q1, q2 and correlation c. */
export function bivariateGaussianExpectation(
  f: (u1: number, u2: number) => number,
  q1: number,
  q2: number,
  c: number,
  options: BivariateOptions = {},
): number {
  if (!(c >= -1 && c <= 1)) throw new RangeError(`correlation must lie in [-1, 1], got ${c}`);
  return polarGaussianExpectation(f, q1, q2, Math.acos(c), options);
}
