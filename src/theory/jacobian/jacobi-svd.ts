import { Mat } from "../../core/mat.ts";
import { unitScale } from "./scaling.ts";

/** A = U diag(S) V^T with U: [m, k], V: [n, k], k = min(m, n), S descending and >= 0. */
export interface Svd {
  U: Mat;
  S: Float64Array;
  V: Mat;
}

const MAX_SWEEPS = 80;

/**
 * Full singular value decomposition by one-sided Jacobi (Hestenes) rotations: columns of A
 * are rotated in pairs until all are mutually orthogonal; their norms are then the singular
 * values. Slower than bidiagonalization (O(n^3) per sweep, ~10 sweeps) but simple, with
 * vectors, and accurate to a few ulps of ||A|| for every singular value, which is why it
 * serves small matrices and as the reference the fast path is tested against.
 */
export function jacobiSvd(A: Mat): Svd {
  if (A.rows < A.cols) {
    // Work on A^T = V S U^T and swap the factors back.
    const t = jacobiSvd(transposeOf(A));
    return { U: t.V, S: t.S, V: t.U };
  }
  const m = A.rows;
  const n = A.cols;
  // Rows of G are the columns of A (contiguous for the dot products); rows of Vt those of V.
  const G = transposeOf(A).data as Float64Array; // [n, m]
  const scale = unitScale(G);
  for (let i = 0; i < G.length; i++) G[i] = G[i]! * scale;
  const Vt = new Float64Array(n * n); // [n, n]
  for (let i = 0; i < n; i++) Vt[i * n + i] = 1;
  const tol = Number.EPSILON * Math.sqrt(m);
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        if (rotatePair(G, m, p, q, tol, Vt, n)) rotated = true;
      }
    }
    if (!rotated) break;
  }
  const result = assemble(G, Vt, m, n);
  for (let k = 0; k < n; k++) result.S[k] = result.S[k]! / scale;
  return result;
}

/**
 * Orthogonalize columns p and q of G (and rotate V alike) when their normalized inner
 * product exceeds tol; returns whether a rotation was applied.
 */
function rotatePair(
  G: Float64Array,
  m: number,
  p: number,
  q: number,
  tol: number,
  Vt: Float64Array,
  n: number,
): boolean {
  const op = p * m;
  const oq = q * m;
  let alpha = 0;
  let beta = 0;
  let gamma = 0;
  for (let i = 0; i < m; i++) {
    const x = G[op + i]!;
    const y = G[oq + i]!;
    alpha += x * x;
    beta += y * y;
    gamma += x * y;
  }
  if (gamma === 0 || Math.abs(gamma) <= tol * Math.sqrt(alpha) * Math.sqrt(beta)) return false;
  // The rotation angle that zeroes the (p, q) entry of G G^T (Rutishauser's formulas).
  const zeta = (beta - alpha) / (2 * gamma);
  const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
  const c = 1 / Math.sqrt(1 + t * t);
  const s = c * t;
  rotateRows(G, op, oq, m, c, s);
  rotateRows(Vt, p * n, q * n, n, c, s);
  return true;
}

function rotateRows(X: Float64Array, a: number, b: number, len: number, c: number, s: number) {
  for (let i = 0; i < len; i++) {
    const x = X[a + i]!;
    const y = X[b + i]!;
    X[a + i] = c * x - s * y;
    X[b + i] = s * x + c * y;
  }
}

/** Sort by norm, normalize the columns into U and complete U where a column vanished. */
function assemble(G: Float64Array, Vt: Float64Array, m: number, n: number): Svd {
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) norms[j] = rowNorm(G, j * m, m);
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => norms[b]! - norms[a]!);
  const U = Mat.zeros(m, n);
  const V = Mat.zeros(n, n);
  const S = new Float64Array(n);
  const smallest = (norms[order[0]!] ?? 0) * Number.EPSILON * m;
  order.forEach((j, k) => {
    const sigma = norms[j]!;
    S[k] = sigma;
    for (let i = 0; i < n; i++) V.data[i * n + k] = Vt[j * n + i]!;
    if (sigma > smallest && sigma > 0) {
      for (let i = 0; i < m; i++) U.data[i * n + k] = G[j * m + i]! / sigma;
    } else {
      completeColumn(U, k);
    }
  });
  return { U, S, V };
}

/**
 * Put into column k of U a unit vector orthogonal to columns 0..k-1 (Gram-Schmidt, twice,
 * on the first coordinate vector that survives), so U stays orthonormal when A is
 * rank-deficient. The matching singular value is ~0, so A = U S V^T is unaffected.
 */
function completeColumn(U: Mat, k: number): void {
  const m = U.rows;
  const n = U.cols;
  const v = new Float64Array(m);
  for (let e = 0; e < m; e++) {
    v.fill(0);
    v[e] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (let c = 0; c < k; c++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += U.data[i * n + c]! * v[i]!;
        for (let i = 0; i < m; i++) v[i] = v[i]! - dot * U.data[i * n + c]!;
      }
    }
    const norm = rowNorm(v, 0, m);
    if (norm > 0.5) {
      for (let i = 0; i < m; i++) U.data[i * n + k] = v[i]! / norm;
      return;
    }
  }
}

function rowNorm(X: Float64Array, offset: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i++) s += X[offset + i]! ** 2;
  return Math.sqrt(s);
}

/** A float64 copy of A^T. */
function transposeOf(A: Mat): Mat {
  const T = Mat.zeros(A.cols, A.rows);
  for (let i = 0; i < A.rows; i++) {
    for (let j = 0; j < A.cols; j++) T.data[j * A.rows + i] = A.data[i * A.cols + j]!;
  }
  return T;
}
