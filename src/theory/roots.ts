/**
 * Brent's method (Brent 1973, "Algorithms for Minimization without Derivatives", ch. 4):
 * bisection safeguarded by inverse quadratic / secant steps, on a bracket [a, b] with
 * f(a) f(b) <= 0. Values fa, fb may be passed when already known.
 */
export interface BrentOptions {
  /** Absolute x tolerance added to 2 eps |x|. Default 0 (converge to a few ulps). */
  xTolerance?: number;
  maxIterations?: number;
  fa?: number;
  fb?: number;
}

export interface BrentResult {
  root: number;
  /** f at the root estimate. */
  value: number;
  iterations: number;
  converged: boolean;
}

export function brent(
  f: (x: number) => number,
  a: number,
  b: number,
  options: BrentOptions = {},
): BrentResult {
  const xTol = options.xTolerance ?? 0;
  const maxIterations = options.maxIterations ?? 200;
  let fa = options.fa ?? f(a);
  let fb = options.fb ?? f(b);
  if (fa === 0) return { root: a, value: 0, iterations: 0, converged: true };
  if (fb === 0) return { root: b, value: 0, iterations: 0, converged: true };
  if (Math.sign(fa) === Math.sign(fb)) {
    throw new RangeError(`brent: f(${a}) = ${fa} and f(${b}) = ${fb} do not bracket a root`);
  }
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let it = 1; it <= maxIterations; it++) {
    if (Math.sign(fb) === Math.sign(fc)) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol = 2 * Number.EPSILON * Math.abs(b) + 0.5 * xTol;
    const m = 0.5 * (c - b);
    if (Math.abs(m) <= tol || fb === 0) {
      return { root: b, value: fb, iterations: it, converged: true };
    }
    if (Math.abs(e) >= tol && Math.abs(fa) > Math.abs(fb)) {
      const s = fb / fa;
      let p: number;
      let q: number;
      if (a === c) {
        p = 2 * m * s;
        q = 1 - s;
      } else {
        const qq = fa / fc;
        const r = fb / fc;
        p = s * (2 * m * qq * (qq - r) - (b - a) * (r - 1));
        q = (qq - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (2 * p < Math.min(3 * m * q - Math.abs(tol * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = m;
        e = d;
      }
    } else {
      d = m;
      e = d;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol ? d : m > 0 ? tol : -tol;
    fb = f(b);
  }
  return { root: b, value: fb, iterations: maxIterations, converged: false };
}
