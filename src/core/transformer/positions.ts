import type { DType } from "../dtype.ts";
import type { Param } from "../layers/layer.ts";
import { Mat } from "../mat.ts";

export const POSITION_KINDS = ["learned", "sinusoidal"] as const;
export type PositionKind = (typeof POSITION_KINDS)[number];

/**
 * Sinusoidal positions of Vaswani et al. (2017): P[t, 2i] = sin(t / 10000^(2i/d)),
 * P[t, 2i+1] = cos(t / 10000^(2i/d)), [T, d], computed in float64.
 */
export function sinusoidalTable(seqLen: number, width: number, dtype: DType = "f64"): Mat {
  const P = Mat.zeros(seqLen, width, dtype);
  for (let t = 0; t < seqLen; t++) {
    for (let j = 0; j < width; j++) {
      const angle = t / 10000 ** ((2 * Math.floor(j / 2)) / width);
      P.data[t * width + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return P;
}

/**
 * The position table added to every example's embeddings: fixed sinusoids, or a learned
 * [T, d] parameter whose gradient is the sum over the batch of dL/d(embeddings).
 */
export class Positions {
  readonly table: Mat;
  readonly grad: Mat;

  constructor(
    readonly kind: PositionKind,
    readonly seqLen: number,
    readonly width: number,
    dtype: DType = "f64",
  ) {
    this.table =
      kind === "sinusoidal"
        ? sinusoidalTable(seqLen, width, dtype)
        : Mat.zeros(seqLen, width, dtype);
    this.grad = Mat.zeros(seqLen, width, dtype);
  }

  /** h[b, t*d + j] += P[t, j] for every example b; h is [batch, T*d]. */
  add(h: Mat): void {
    const n = this.seqLen * this.width;
    const p = this.table.data;
    const hd = h.data;
    for (let b = 0; b < h.rows; b++) {
      const o = b * n;
      for (let i = 0; i < n; i++) hd[o + i] = hd[o + i]! + p[i]!;
    }
  }

  /** dP = sum over examples of dh (learned positions only; sinusoids have no gradient). */
  backward(dh: Mat): void {
    if (this.kind !== "learned") return;
    const n = this.seqLen * this.width;
    const g = this.grad.data;
    const dd = dh.data;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let b = 0; b < dh.rows; b++) s += dd[b * n + i]!;
      g[i] = s;
    }
  }

  params(): Param[] {
    return this.kind === "learned" ? [{ name: "P", value: this.table, grad: this.grad }] : [];
  }
}
