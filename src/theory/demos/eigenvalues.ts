/** A complex eigenvalue re + i im (im = 0 for a real one). */
export interface Eigenvalue {
  re: number;
  im: number;
}

const MAX_ITERATIONS_PER_EIGENVALUE = 60;

/**
 * All eigenvalues of a real square matrix, complex ones in conjugate pairs: Householder
 * reduction to upper Hessenberg form, then the Francis double-shift QR algorithm, which
 * stays in real arithmetic and deflates 1x1 and 2x2 blocks (after EISPACK's orthes/hqr, as
 * in JAMA). Backward stable: each eigenvalue is exact for a matrix within ~eps ||A|| of A,
 * so a defective one (a Jordan block) may move by ~sqrt(eps) while simple ones are precise.
 */
export function eigenvalues(A: readonly (readonly number[])[]): Eigenvalue[] {
  const n = A.length;
  const H = A.map((row) => {
    if (row.length !== n) throw new RangeError(`eigenvalues need a square matrix`);
    return Float64Array.from(row);
  });
  if (n === 0) return [];
  for (const row of H) {
    for (const v of row)
      if (!Number.isFinite(v)) return H.map(() => ({ re: Number.NaN, im: Number.NaN }));
  }
  hessenberg(H);
  return hqr(H);
}

/** In-place similarity reduction to upper Hessenberg form (orthes). */
function hessenberg(H: Float64Array[]): void {
  const n = H.length;
  const ort = new Float64Array(n);
  const high = n - 1;
  for (let m = 1; m < high; m++) {
    let scale = 0;
    for (let i = m; i <= high; i++) scale += Math.abs(H[i]![m - 1]!);
    if (scale === 0) continue;
    let h = 0;
    for (let i = high; i >= m; i--) {
      ort[i] = H[i]![m - 1]! / scale;
      h += ort[i]! * ort[i]!;
    }
    let g = Math.sqrt(h);
    if (ort[m]! > 0) g = -g;
    h -= ort[m]! * g;
    ort[m] = ort[m]! - g;
    // H = (I - u u^T / h) H (I - u u^T / h)
    for (let j = m; j < n; j++) {
      let f = 0;
      for (let i = high; i >= m; i--) f += ort[i]! * H[i]![j]!;
      f /= h;
      for (let i = m; i <= high; i++) H[i]![j] = H[i]![j]! - f * ort[i]!;
    }
    for (let i = 0; i <= high; i++) {
      let f = 0;
      for (let j = high; j >= m; j--) f += ort[j]! * H[i]![j]!;
      f /= h;
      for (let j = m; j <= high; j++) H[i]![j] = H[i]![j]! - f * ort[j]!;
    }
    H[m]![m - 1] = scale * g;
    for (let i = m + 1; i <= high; i++) H[i]![m - 1] = 0;
  }
}

/** Eigenvalues of an upper Hessenberg matrix by double-shift QR (hqr); H is destroyed. */
function hqr(H: Float64Array[]): Eigenvalue[] {
  const nn = H.length;
  const re = new Float64Array(nn);
  const im = new Float64Array(nn);
  const low = 0;
  const eps = Number.EPSILON;
  let exshift = 0;
  let p = 0;
  let q = 0;
  let r = 0;
  let s = 0;
  let z = 0;
  let w: number;
  let x: number;
  let y: number;
  let norm = 0;
  for (let i = 0; i < nn; i++) {
    for (let j = Math.max(i - 1, 0); j < nn; j++) norm += Math.abs(H[i]![j]!);
  }
  const at = (i: number, j: number): number => H[i]![j]!;
  const set = (i: number, j: number, v: number): void => {
    H[i]![j] = v;
  };
  let n = nn - 1;
  let iter = 0;
  let total = 0;
  while (n >= low) {
    // Look for a single small subdiagonal element.
    let l = n;
    while (l > low) {
      s = Math.abs(at(l - 1, l - 1)) + Math.abs(at(l, l));
      if (s === 0) s = norm;
      if (Math.abs(at(l, l - 1)) <= eps * s) break; // <=: an all-zero block deflates too
      l--;
    }
    if (l === n) {
      // One root found.
      re[n] = at(n, n) + exshift;
      im[n] = 0;
      n--;
      iter = 0;
    } else if (l === n - 1) {
      // Two roots: the eigenvalues of the trailing 2x2 block.
      w = at(n, n - 1) * at(n - 1, n);
      p = (at(n - 1, n - 1) - at(n, n)) / 2;
      q = p * p + w;
      z = Math.sqrt(Math.abs(q));
      x = at(n, n) + exshift;
      if (q >= 0) {
        z = p >= 0 ? p + z : p - z;
        re[n - 1] = x + z;
        re[n] = z !== 0 ? x - w / z : x + z;
        im[n - 1] = 0;
        im[n] = 0;
      } else {
        re[n - 1] = x + p;
        re[n] = x + p;
        im[n - 1] = z;
        im[n] = -z;
      }
      n -= 2;
      iter = 0;
    } else {
      // No convergence yet: form the shift.
      x = at(n, n);
      y = 0;
      w = 0;
      if (l < n) {
        y = at(n - 1, n - 1);
        w = at(n, n - 1) * at(n - 1, n);
      }
      if (iter === 10) {
        // Wilkinson's exceptional shift breaks cycles.
        exshift += x;
        for (let i = low; i <= n; i++) set(i, i, at(i, i) - x);
        s = Math.abs(at(n, n - 1)) + Math.abs(at(n - 1, n - 2));
        x = y = 0.75 * s;
        w = -0.4375 * s * s;
      }
      if (iter === 30) {
        // MATLAB's exceptional shift.
        s = (y - x) / 2;
        s = s * s + w;
        if (s > 0) {
          s = Math.sqrt(s);
          if (y < x) s = -s;
          s = x - w / ((y - x) / 2 + s);
          for (let i = low; i <= n; i++) set(i, i, at(i, i) - s);
          exshift += s;
          x = y = w = 0.964;
        }
      }
      iter++;
      if (++total > MAX_ITERATIONS_PER_EIGENVALUE * nn) {
        throw new Error("eigenvalues: QR iteration did not converge");
      }
      // Look for two consecutive small subdiagonal elements.
      let m = n - 2;
      while (m >= l) {
        z = at(m, m);
        r = x - z;
        s = y - z;
        p = (r * s - w) / at(m + 1, m) + at(m, m + 1);
        q = at(m + 1, m + 1) - z - r - s;
        r = at(m + 2, m + 1);
        s = Math.abs(p) + Math.abs(q) + Math.abs(r);
        p /= s;
        q /= s;
        r /= s;
        if (m === l) break;
        const lhs = Math.abs(at(m, m - 1)) * (Math.abs(q) + Math.abs(r));
        const rhs =
          eps *
          (Math.abs(p) * (Math.abs(at(m - 1, m - 1)) + Math.abs(z) + Math.abs(at(m + 1, m + 1))));
        if (lhs < rhs) break;
        m--;
      }
      for (let i = m + 2; i <= n; i++) {
        set(i, i - 2, 0);
        if (i > m + 2) set(i, i - 3, 0);
      }
      // Double QR step on rows l..n and columns m..n.
      for (let k = m; k <= n - 1; k++) {
        const notlast = k !== n - 1;
        if (k !== m) {
          p = at(k, k - 1);
          q = at(k + 1, k - 1);
          r = notlast ? at(k + 2, k - 1) : 0;
          x = Math.abs(p) + Math.abs(q) + Math.abs(r);
          if (x === 0) continue;
          p /= x;
          q /= x;
          r /= x;
        }
        s = Math.sqrt(p * p + q * q + r * r);
        if (p < 0) s = -s;
        if (s === 0) continue;
        if (k !== m) set(k, k - 1, -s * x);
        else if (l !== m) set(k, k - 1, -at(k, k - 1));
        p += s;
        x = p / s;
        y = q / s;
        z = r / s;
        q /= p;
        r /= p;
        // Row modification.
        for (let j = k; j < nn; j++) {
          p = at(k, j) + q * at(k + 1, j);
          if (notlast) {
            p += r * at(k + 2, j);
            set(k + 2, j, at(k + 2, j) - p * z);
          }
          set(k, j, at(k, j) - p * x);
          set(k + 1, j, at(k + 1, j) - p * y);
        }
        // Column modification.
        for (let i = 0; i <= Math.min(n, k + 3); i++) {
          p = x * at(i, k) + y * at(i, k + 1);
          if (notlast) {
            p += z * at(i, k + 2);
            set(i, k + 2, at(i, k + 2) - p * r);
          }
          set(i, k, at(i, k) - p);
          set(i, k + 1, at(i, k + 1) - p * q);
        }
      }
    }
  }
  return Array.from(re, (v, i) => ({ re: v, im: im[i]! }));
}

/** Largest modulus of the eigenvalues: the per-layer factor of W^n. */
export function spectralRadius(values: readonly Eigenvalue[]): number {
  let rho = 0;
  for (const { re, im } of values) {
    const r = Math.hypot(re, im);
    if (Number.isNaN(r)) return Number.NaN;
    rho = Math.max(rho, r);
  }
  return rho;
}
