/**
 * Fast element-wise exp-family kernels for results that are stored in float32.
 *
 * Math.tanh / Math.exp are calls into V8's C++ fdlibm port (~20 ns per element for tanh),
 * which made tanh alone a quarter of a float32 training step. These loops compute in float64
 * with an inlined range-reduced polynomial instead: exp(y) = 2^k e^r with k = round(y / ln 2),
 * |r| <= ln(2) / 2, and e^r (or e^r - 1) from its degree-8 Taylor polynomial, whose truncation
 * error |r|^9 / 9! is below 6e-10 relative. That is 50x below float32's half ulp (3e-8), so a
 * result rounded to float32 is the correctly rounded value or its neighbour (at most 1 ulp off
 * fround(exact)); the tests check this bound on a dense grid.
 *
 * Only for float32 OUTPUT arrays: float64 results keep Math.tanh / Math.exp exactly (the
 * float64 probes are checked against PyTorch to 1e-15 and against finite differences).
 */

/** 2^k for k = -160..160 at index k + 160 (exact powers of two; subnormal at the low end). */
const POW2 = new Float64Array(321);
for (let k = -160; k <= 160; k++) POW2[k + 160] = 2 ** k;

const LOG2E = Math.LOG2E;
const LN2 = Math.LN2;
// Taylor coefficients 1/j! of e^r.
const C2 = 1 / 2;
const C3 = 1 / 6;
const C4 = 1 / 24;
const C5 = 1 / 120;
const C6 = 1 / 720;
const C7 = 1 / 5040;
const C8 = 1 / 40320;

/**
 * Clamp of the exponent argument: e^{+-110} keeps every float32 result exact (e^-110 is far
 * below float32's smallest subnormal, 1.4e-45 = e^-103.3), and the table covers 2^{+-159}.
 */
const EXP_CLAMP = 110;
/** tanh(x) is +-1 in float32 for |x| > 9.011 (1 - tanh x < 2^-25): 2|x| is clamped at 19. */
const TANH_CLAMP = 19;
/** Below this |x|, tanh(x) = x to within x^2 / 3 < 4e-10 relative (and -0 stays -0). */
const TANH_TINY = 2 ** -15;

// Every kernel below computes k = round(y / ln 2) as ((y log2 e + 160.5) | 0) - 160: for the
// clamped y that is a floor of a positive number (| 0 truncates), and a NaN y gives index 0
// (in the table, result NaN through r) instead of an out-of-bounds read that deoptimizes.
// Results are selected arithmetically, not with data-dependent branches: the signs of
// pre-activations are random, and a mispredicted branch per element cost 2x in measurements.

/** e^y - 1 for |y| <= EXP_CLAMP (NaN gives NaN), ~1e-9 relative to the result, tiny y included. */
export function fastExpm1(y: number): number {
  const i = (y * LOG2E + 160.5) | 0;
  const r = y - (i - 160) * LN2;
  const q = r * (1 + r * (C2 + r * (C3 + r * (C4 + r * (C5 + r * (C6 + r * (C7 + r * C8)))))));
  const p2 = POW2[i]!;
  // 2^k e^r - 1 = 2^k (e^r - 1) + (2^k - 1): exactly q when k = 0, so small y keep their digits.
  return p2 * q + (p2 - 1);
}

/** e^y for |y| <= EXP_CLAMP (NaN gives NaN), ~1e-9 relative. */
export function fastExp(y: number): number {
  const i = (y * LOG2E + 160.5) | 0;
  const r = y - (i - 160) * LN2;
  return (
    POW2[i]! *
    (1 + r * (1 + r * (C2 + r * (C3 + r * (C4 + r * (C5 + r * (C6 + r * (C7 + r * C8))))))))
  );
}

/** tanh(x) in float64 to ~1e-9 relative, meant to be rounded to float32. */
export function tanh32(x: number): number {
  if (Math.abs(x) < TANH_TINY) return x;
  // tanh x = expm1(2x) / (expm1(2x) + 2): no cancellation for small |x| nor for x < 0.
  const e = fastExpm1(Math.max(-TANH_CLAMP, Math.min(2 * x, TANH_CLAMP)));
  return e / (e + 2);
}

/** sigmoid(x) = 1 / (1 + e^-x) in float64 to ~1e-9 relative, meant to be rounded to float32. */
export function sigmoid32(x: number): number {
  return 1 / (1 + fastExp(Math.max(-EXP_CLAMP, Math.min(-x, EXP_CLAMP))));
}

/** a[i] = tanh(u[i]) into a float32 array (at most 1 ulp from the rounded exact value). */
export function tanhForward32(u: ArrayLike<number>, a: Float32Array, n: number): void {
  for (let j = 0; j < n; j++) {
    const x = u[j]!;
    if (Math.abs(x) < TANH_TINY) {
      a[j] = x; // rarely taken; keeps -0 (the formula below would give +0)
      continue;
    }
    const y = Math.max(-TANH_CLAMP, Math.min(2 * x, TANH_CLAMP));
    const i = (y * LOG2E + 160.5) | 0;
    const r = y - (i - 160) * LN2;
    const q = r * (1 + r * (C2 + r * (C3 + r * (C4 + r * (C5 + r * (C6 + r * (C7 + r * C8)))))));
    const p2 = POW2[i]!;
    const e = p2 * q + (p2 - 1);
    a[j] = e / (e + 2);
  }
}

/** a[i] = sigmoid(u[i]) into a float32 array (at most 1 ulp from the rounded exact value). */
export function sigmoidForward32(u: ArrayLike<number>, a: Float32Array, n: number): void {
  for (let j = 0; j < n; j++) {
    const y = Math.max(-EXP_CLAMP, Math.min(-u[j]!, EXP_CLAMP));
    const i = (y * LOG2E + 160.5) | 0;
    const r = y - (i - 160) * LN2;
    const e =
      POW2[i]! *
      (1 + r * (1 + r * (C2 + r * (C3 + r * (C4 + r * (C5 + r * (C6 + r * (C7 + r * C8))))))));
    a[j] = 1 / (1 + e);
  }
}

/** a[i] = u[i] * sigmoid(u[i]) (swish / SiLU) into a float32 array. */
export function swishForward32(u: ArrayLike<number>, a: Float32Array, n: number): void {
  for (let j = 0; j < n; j++) {
    const x = u[j]!;
    // Below -EXP_CLAMP sigmoid is 0 in float32: x * 0 keeps swish(-inf) = NaN, as x * sigmoid(x).
    a[j] = x < -EXP_CLAMP ? x * 0 : x * sigmoid32(x);
  }
}

/** a[i] = elu(u[i]) = u > 0 ? u : expm1(u) into a float32 array. */
export function eluForward32(u: ArrayLike<number>, a: Float32Array, n: number): void {
  for (let j = 0; j < n; j++) {
    const x = u[j]!;
    // !(x < 0) passes +-0 (fastExpm1(-0) is +0) and NaN through unchanged.
    a[j] = !(x < 0) ? x : fastExpm1(Math.max(-EXP_CLAMP, x));
  }
}
