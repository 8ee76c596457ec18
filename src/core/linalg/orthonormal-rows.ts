import { gemmNN, gemmNT } from "../kernels/gemm.ts";

/** Rows orthonormalized together in one block (their mutual products are small and cheap). */
const BLOCK = 32;

/**
 * Orthonormalize the k rows of the row-major matrix `g` [k, m] (k <= m) in place, in order,
 * by block classical Gram-Schmidt applied twice ("twice is enough", Giraud et al. 2005):
 * each block of rows is projected off all earlier rows with two matrix products, then
 * orthonormalized within itself by modified Gram-Schmidt, each pass done twice.
 *
 * Row i ends up as the normalized component of the original row i orthogonal to rows < i,
 * i.e. the Q of G^T = Q R with a positive diagonal of R. For Gaussian G that Q is
 * Haar-distributed (no sign correction needed). The heavy work runs on the fast matrix
 * kernels, O(2 m k^2) flops in all. Throws when the rows are linearly dependent.
 */
export function orthonormalizeRows(g: Float64Array, k: number, m: number): void {
  if (k > m) throw new RangeError(`orthonormalizeRows: ${k} rows cannot be orthonormal in R^${m}`);
  const work: Workspace = {
    coef: new Float64Array(BLOCK * Math.max(k, 1)),
    correction: new Float64Array(BLOCK * m),
    scratch: new Float64Array(k * m),
  };
  for (let i0 = 0; i0 < k; i0 += BLOCK) {
    const b = Math.min(BLOCK, k - i0);
    const block = g.subarray(i0 * m, (i0 + b) * m);
    for (let pass = 0; pass < 2; pass++) {
      if (i0 > 0) projectOff(block, b, g.subarray(0, i0 * m), i0, m, work);
    }
    for (let i = 0; i < b; i++) {
      const row = block.subarray(i * m, (i + 1) * m);
      for (let pass = 0; pass < 2; pass++) {
        for (let j = 0; j < i; j++) {
          const prev = block.subarray(j * m, (j + 1) * m);
          const c = dot(row, prev, m);
          for (let t = 0; t < m; t++) row[t] = row[t]! - c * prev[t]!;
        }
      }
      const norm = Math.sqrt(dot(row, row, m));
      if (!(norm > 0) || !Number.isFinite(norm)) {
        throw new RangeError(
          `orthonormalizeRows: row ${i0 + i} is linearly dependent on earlier rows`,
        );
      }
      for (let t = 0; t < m; t++) row[t] = row[t]! / norm;
    }
  }
}

/** block -= (block Q^T) Q for the orthonormal rows Q [rows, m], as two matrix products. */
function projectOff(
  block: Float64Array,
  b: number,
  q: Float64Array,
  rows: number,
  m: number,
  work: Workspace,
): void {
  const c = work.coef.subarray(0, b * rows);
  gemmNT(b, rows, m, block, q, c); // c[b, rows] = block Q^T
  const corr = work.correction.subarray(0, b * m);
  gemmNN(b, m, rows, c, q, corr, work.scratch); // corr[b, m] = c Q
  for (let t = 0; t < b * m; t++) block[t] = block[t]! - corr[t]!;
}

interface Workspace {
  coef: Float64Array;
  correction: Float64Array;
  /** For the TypeScript kernel's transpose of Q (unused by the wasm kernel). */
  scratch: Float64Array;
}

function dot(x: Float64Array, y: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]! * y[i]!;
  return s;
}
