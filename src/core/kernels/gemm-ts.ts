import type { FloatArray } from "../dtype.ts";

// The pure TypeScript kernels: the fallback when WebAssembly SIMD is unavailable, and the
// path for products too small to be worth copying into wasm memory. gemm.ts dispatches.

/**
 * C[m, n] = A[m, k] * B[n, k]^T (+ C when `accumulate`), all row-major and contiguous.
 *
 * The "NT" form makes every entry a dot product of two contiguous rows, the fastest shape
 * for scalar JavaScript. Rows are taken four of A by four of B at a time, so each loaded
 * value feeds several multiply-adds held in local accumulators; nothing is allocated.
 */
// biome-ignore format: the 4x4 register tile reads best one row per line
export function tsGemmNT(
  m: number,
  n: number,
  k: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  accumulate = false,
): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = i * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = B[b0 + p]!;
        const x1 = B[b1 + p]!;
        const x2 = B[b2 + p]!;
        const x3 = B[b3 + p]!;
        let y = A[a0 + p]!;
        c00 += y * x0;
        c01 += y * x1;
        c02 += y * x2;
        c03 += y * x3;
        y = A[a1 + p]!;
        c10 += y * x0;
        c11 += y * x1;
        c12 += y * x2;
        c13 += y * x3;
        y = A[a2 + p]!;
        c20 += y * x0;
        c21 += y * x1;
        c22 += y * x2;
        c23 += y * x3;
        y = A[a3 + p]!;
        c30 += y * x0;
        c31 += y * x1;
        c32 += y * x2;
        c33 += y * x3;
      }
      let o = i * n + j;
      store4(C, o, c00, c01, c02, c03, accumulate);
      o += n;
      store4(C, o, c10, c11, c12, c13, accumulate);
      o += n;
      store4(C, o, c20, c21, c22, c23, accumulate);
      o += n;
      store4(C, o, c30, c31, c32, c33, accumulate);
    }
    for (; j < n; j++) {
      const b0 = j * k;
      let c0 = 0;
      let c1 = 0;
      let c2 = 0;
      let c3 = 0;
      for (let p = 0; p < k; p++) {
        const x = B[b0 + p]!;
        c0 += A[a0 + p]! * x;
        c1 += A[a1 + p]! * x;
        c2 += A[a2 + p]! * x;
        c3 += A[a3 + p]! * x;
      }
      store(C, i * n + j, c0, accumulate);
      store(C, (i + 1) * n + j, c1, accumulate);
      store(C, (i + 2) * n + j, c2, accumulate);
      store(C, (i + 3) * n + j, c3, accumulate);
    }
  }
  for (; i < m; i++) {
    const a0 = i * k;
    for (let j = 0; j < n; j++) {
      const b0 = j * k;
      let c = 0;
      for (let p = 0; p < k; p++) c += A[a0 + p]! * B[b0 + p]!;
      store(C, i * n + j, c, accumulate);
    }
  }
}

function store4(
  C: FloatArray,
  o: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  accumulate: boolean,
): void {
  if (accumulate) {
    C[o] = C[o]! + v0;
    C[o + 1] = C[o + 1]! + v1;
    C[o + 2] = C[o + 2]! + v2;
    C[o + 3] = C[o + 3]! + v3;
  } else {
    C[o] = v0;
    C[o + 1] = v1;
    C[o + 2] = v2;
    C[o + 3] = v3;
  }
}

function store(C: FloatArray, index: number, value: number, accumulate: boolean): void {
  C[index] = accumulate ? C[index]! + value : value;
}

/** dst[cols, rows] = src[rows, cols]^T, in cache-sized blocks. */
export function transpose(src: FloatArray, rows: number, cols: number, dst: FloatArray): void {
  const block = 32;
  for (let i0 = 0; i0 < rows; i0 += block) {
    const iEnd = Math.min(rows, i0 + block);
    for (let j0 = 0; j0 < cols; j0 += block) {
      const jEnd = Math.min(cols, j0 + block);
      for (let i = i0; i < iEnd; i++) {
        for (let j = j0; j < jEnd; j++) dst[j * rows + i] = src[i * cols + j]!;
      }
    }
  }
}

/**
 * C[m, n] = A[m, k] * B[k, n]. `scratch` (at least k * n elements) receives B^T so the
 * product runs on the dot-product kernel; the caller owns it so no call allocates.
 */
export function tsGemmNN(
  m: number,
  n: number,
  k: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  scratch: FloatArray,
): void {
  transpose(B, k, n, scratch);
  tsGemmNT(m, n, k, A, scratch, C);
}

/**
 * C[m, n] = A[k, m]^T * B[k, n]. `scratchA` (k * m) and `scratchB` (k * n) receive the
 * transposes; with k the batch size these copies are small next to the product.
 */
export function tsGemmTN(
  m: number,
  n: number,
  k: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  scratchA: FloatArray,
  scratchB: FloatArray,
): void {
  transpose(A, k, m, scratchA);
  transpose(B, k, n, scratchB);
  tsGemmNT(m, n, k, scratchA, scratchB, C);
}
