import type { FloatArray } from "../dtype.ts";
import { Mat } from "../mat.ts";

/**
 * A reshaped view over another Mat's memory: a row-major [batch, T*d] matrix is the same
 * memory as [batch*T, d], so position-wise layers read it with no copy. The view object is
 * kept and handed out again while the underlying array and shape stay the same (layers reuse
 * their buffers), so steady-state steps allocate nothing.
 */
export class View {
  private mat: Mat | null = null;
  private data: FloatArray | null = null;

  of(source: Mat, rows: number, cols: number): Mat {
    const m = this.mat;
    if (m && this.data === source.data && m.rows === rows && m.cols === cols) return m;
    if (rows * cols !== source.size) {
      throw new RangeError(`view: ${source.rows}x${source.cols} cannot be read as ${rows}x${cols}`);
    }
    this.data = source.data;
    this.mat = new Mat(rows, cols, source.data);
    return this.mat;
  }
}

/** Mean of the squares of the first n entries, accumulated in float64. */
export function meanSquare(x: FloatArray, n: number = x.length): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    s += v * v;
  }
  return n === 0 ? Number.NaN : s / n;
}

/** Frobenius norm of a Mat (float64 accumulation, rescaled so tiny or huge entries survive). */
export function frobenius(m: Mat): number {
  let scale = 0;
  for (let i = 0; i < m.size; i++) scale = Math.max(scale, Math.abs(m.data[i]!));
  // NaN stays NaN and an infinite entry gives Infinity; an all-zero matrix has norm 0.
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let s = 0;
  for (let i = 0; i < m.size; i++) {
    const v = m.data[i]! / scale;
    s += v * v;
  }
  return scale * Math.sqrt(s);
}
