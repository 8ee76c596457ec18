/**
 * Powers W^1..W^n of a small square matrix with every entry correctly rounded, so a demo can
 * show that diag(0.1, 0.1)^5 is diag(1e-5, 1e-5) and not the 1.0000000000000004e-5 that
 * repeated float64 products give.
 *
 * - "exact-decimal": each entry is read as the decimal it prints as (String(0.1) = "0.1",
 *   the number the user typed), the powers are formed exactly with BigInt integers over a
 *   common power-of-ten denominator, and each entry is rounded once. Used while the exact
 *   integers stay small (see EXACT_BIT_BUDGET).
 * - "double-double": otherwise the powers are carried as unevaluated sums hi + lo of two
 *   doubles (~106 bits) with error-free products and sums (the Dot2 scheme of Ogita, Rump
 *   and Oishi): each entry is as accurate as if computed in twice the working precision and
 *   then rounded, so correctly rounded unless it cancels about 16 digits.
 */
export type PowerArithmetic = "exact-decimal" | "double-double";

export interface MatrixPowers {
  /** powers[k - 1] = W^k, k = 1..layers. */
  powers: number[][][];
  arithmetic: PowerArithmetic;
}

/** Largest estimated bit length of an exact entry of W^n (beyond it BigInt gets slow). */
const EXACT_BIT_BUDGET = 4096;

export function matrixPowers(W: readonly (readonly number[])[], layers: number): MatrixPowers {
  const exact = exactDecimalPowers(W, layers);
  if (exact) return { powers: exact, arithmetic: "exact-decimal" };
  return { powers: doubleDoublePowers(W, layers), arithmetic: "double-double" };
}

/** A finite number as an exact decimal: value = digits * 10^exp10. */
function toDecimal(x: number): { digits: bigint; exp10: number } {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  if (!match) throw new RangeError(`not a finite number: ${x}`);
  const [, sign, int, frac = "", exp = "0"] = match;
  const digits = BigInt(`${sign}${int}${frac}`);
  return { digits, exp10: Number(exp) - frac.length };
}

function bitLength(v: bigint): number {
  return (v < 0n ? -v : v).toString(2).length;
}

function exactDecimalPowers(
  W: readonly (readonly number[])[],
  layers: number,
): number[][][] | null {
  const n = W.length;
  const decimals = W.map((row) => row.map(toDecimal));
  // Common scale: W = M / 10^D with M integer.
  const D = Math.max(0, ...decimals.flat().map((d) => -d.exp10));
  const M = decimals.map((row) =>
    row.map(({ digits, exp10 }) => digits * 10n ** BigInt(exp10 + D)),
  );
  const entryBits = Math.max(1, ...M.flat().map(bitLength));
  if (layers * (entryBits + Math.log2(n)) > EXACT_BIT_BUDGET) return null;
  const powers: number[][][] = [];
  let P = M;
  for (let k = 1; k <= layers; k++) {
    if (k > 1) P = multiplyBig(P, M);
    const den = 10n ** BigInt(k * D);
    powers.push(P.map((row) => row.map((v) => ratioToNumber(v, den))));
  }
  return powers;
}

function multiplyBig(A: bigint[][], B: bigint[][]): bigint[][] {
  const n = A.length;
  return A.map((row) =>
    Array.from({ length: n }, (_, j) => {
      let s = 0n;
      for (let p = 0; p < n; p++) s += row[p]! * B[p]![j]!;
      return s;
    }),
  );
}

/**
 * num / den (den > 0) rounded to the nearest double, ties to even: a quotient of at least
 * 66 bits with a sticky bit for any remainder rounds correctly in Number(), because the
 * sticky bit sits far below the rounding position. (A subnormal result is rounded twice.)
 */
export function ratioToNumber(num: bigint, den: bigint): number {
  if (num === 0n) return 0;
  const negative = num < 0n;
  const a = negative ? -num : num;
  const shift = 66 - (bitLength(a) - bitLength(den));
  const scaledNum = shift > 0 ? a << BigInt(shift) : a;
  const scaledDen = shift < 0 ? den << BigInt(-shift) : den;
  let q = scaledNum / scaledDen;
  if (q * scaledDen !== scaledNum) q |= 1n;
  const value = ldexp(Number(q), -shift);
  return negative ? -value : value;
}

/** x * 2^e without overflowing the intermediate power of two. */
function ldexp(x: number, e: number): number {
  let r = x;
  let rest = e;
  while (rest > 1000) {
    r *= 2 ** 1000;
    rest -= 1000;
  }
  while (rest < -1000) {
    r *= 2 ** -1000;
    rest += 1000;
  }
  return r * 2 ** rest;
}

// Error-free transformations (Knuth's TwoSum, Dekker's TwoProduct with Veltkamp splitting).
const SPLITTER = 134217729; // 2^27 + 1

function twoSum(a: number, b: number): [number, number] {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

function twoProduct(a: number, b: number): [number, number] {
  const p = a * b;
  const ca = SPLITTER * a;
  const ah = ca - (ca - a);
  const al = a - ah;
  const cb = SPLITTER * b;
  const bh = cb - (cb - b);
  const bl = b - bh;
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

function doubleDoublePowers(W: readonly (readonly number[])[], layers: number): number[][][] {
  const n = W.length;
  let hi = W.map((row) => row.slice());
  let lo = W.map((row) => row.map(() => 0));
  const powers: number[][][] = [hi.map((row) => row.slice())];
  for (let k = 2; k <= layers; k++) {
    const nextHi = hi.map((row) => row.map(() => 0));
    const nextLo = hi.map((row) => row.map(() => 0));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let sh = 0;
        let sl = 0;
        for (let p = 0; p < n; p++) {
          const w = W[p]![j]!;
          const [ph, pl] = twoProduct(hi[i]![p]!, w);
          const [th, tl] = twoSum(sh, ph);
          sh = th;
          sl += tl + pl + lo[i]![p]! * w;
        }
        const [h, l] = twoSum(sh, sl);
        // Beyond ~1e300 the splitting overflows: keep the plain float64 sum there.
        nextHi[i]![j] = Number.isFinite(h) && Number.isFinite(l) ? h : sh + sl;
        nextLo[i]![j] = Number.isFinite(h) && Number.isFinite(l) ? l : 0;
      }
    }
    hi = nextHi;
    lo = nextLo;
    powers.push(hi.map((row) => row.slice()));
  }
  return powers;
}
