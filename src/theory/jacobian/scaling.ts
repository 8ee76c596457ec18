/**
 * The power of two s that brings the largest |entry| of data[0..len) into [0.5, 1). Scaling
 * by it is exact, and it keeps sums of squares from overflowing (entries of 1e200) or
 * underflowing (entries of 1e-200) in the norms the solvers compute. Returns 1 for an
 * all-zero or non-finite input, which is then left as it is.
 */
export function unitScale(data: ArrayLike<number>, len: number = data.length): number {
  let max = 0;
  for (let i = 0; i < len; i++) {
    const a = Math.abs(data[i]!);
    if (a > max) max = a;
  }
  if (max === 0 || !Number.isFinite(max)) return 1;
  const e = Math.floor(Math.log2(max)) + 1;
  // Two factors, so 2^-e itself never overflows or underflows for extreme e.
  return 2 ** -Math.trunc(e / 2) * 2 ** -(e - Math.trunc(e / 2));
}
