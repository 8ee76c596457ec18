import type { DType } from "../dtype.ts";
import { Mat } from "../mat.ts";
import { Buffer, expectCols, type Layer, type Mode, type Param } from "./layer.ts";

export interface LayerNormOptions {
  /**
   * Added to the variance under the square root (PyTorch's default 1e-5); the only guard
   * against a zero variance, so eps = 0 with a constant row gives infinities.
   */
  eps?: number;
}

/**
 * Layer normalization of each example over its features, with PyTorch's nn.LayerNorm(dim)
 * semantics: u = gamma * (z - mean) / sqrt(var + eps) + beta, with the mean and the biased
 * variance of the row and a per-feature gamma, beta. No running statistics: train and eval
 * behave the same. Row statistics and all reductions are accumulated in float64.
 */
export class LayerNorm implements Layer {
  readonly kind = "layer-norm";
  readonly inputDim: number;
  readonly outputDim: number;
  readonly eps: number;
  /** Scale, [1, dim], initialized to 1. */
  readonly gamma: Mat;
  /** Shift, [1, dim], initialized to 0. */
  readonly beta: Mat;
  /** dL/dgamma, [1, dim] */
  readonly dgamma: Mat;
  /** dL/dbeta, [1, dim] */
  readonly dbeta: Mat;

  private x: Mat | null = null;
  private readonly u: Buffer;
  private readonly dz: Buffer;
  // Per-row float64 mean and 1 / sqrt(var + eps) of the last forward, [1, batch]; xhat is
  // recomputed from x in backward rather than stored (no buffer, float64 precision).
  private readonly rowMean: Buffer;
  private readonly rowInvStd: Buffer;
  // float64 accumulators for dgamma and dbeta (column sums over the batch).
  private readonly sumDuXhat: Float64Array;
  private readonly sumDu: Float64Array;

  constructor(
    readonly dim: number,
    readonly dtype: DType = "f64",
    options: LayerNormOptions = {},
  ) {
    if (!Number.isInteger(dim) || dim < 1) {
      throw new RangeError(`layer-norm: dim must be a positive integer, got ${dim}`);
    }
    const eps = options.eps ?? 1e-5;
    if (!(eps >= 0)) throw new RangeError(`layer-norm: eps must be >= 0, got ${eps}`);
    this.inputDim = dim;
    this.outputDim = dim;
    this.eps = eps;
    this.gamma = Mat.zeros(1, dim, dtype).fill(1);
    this.beta = Mat.zeros(1, dim, dtype);
    this.dgamma = Mat.zeros(1, dim, dtype);
    this.dbeta = Mat.zeros(1, dim, dtype);
    this.u = new Buffer(dtype);
    this.dz = new Buffer(dtype);
    this.rowMean = new Buffer("f64");
    this.rowInvStd = new Buffer("f64");
    this.sumDuXhat = new Float64Array(dim);
    this.sumDu = new Float64Array(dim);
  }

  // z: [batch, n] -> u: [batch, n]
  forward(z: Mat, _mode: Mode = "train"): Mat {
    expectCols("layer-norm", z, this.dim);
    const batch = z.rows;
    const n = this.dim;
    const zd = z.data;
    const means = this.rowMean.get(1, batch).data;
    const invStds = this.rowInvStd.get(1, batch).data;
    const u = this.u.get(batch, n);
    const ud = u.data;
    const g = this.gamma.data;
    const b = this.beta.data;
    for (let r = 0; r < batch; r++) {
      const o = r * n;
      let sum = 0;
      for (let j = 0; j < n; j++) sum += zd[o + j]!;
      const mean = sum / n;
      // Second pass over squared deviations: E[z^2] - mean^2 cancels when |mean| >> std.
      let sq = 0;
      for (let j = 0; j < n; j++) {
        const d = zd[o + j]! - mean;
        sq += d * d;
      }
      const invStd = 1 / Math.sqrt(sq / n + this.eps);
      means[r] = mean;
      invStds[r] = invStd;
      for (let j = 0; j < n; j++) ud[o + j] = g[j]! * ((zd[o + j]! - mean) * invStd) + b[j]!;
    }
    this.x = z;
    return u;
  }

  // du: [batch, n] -> dz: [batch, n]. Per row, with g = gamma * du:
  //   dz = invStd * (g - mean_j(g) - xhat * mean_j(g * xhat))
  // and over the batch dgamma = sum du * xhat, dbeta = sum du.
  backward(du: Mat): Mat {
    const x = this.x;
    if (!x) throw new Error("layer-norm: backward before forward");
    if (du.rows !== x.rows || du.cols !== this.dim) {
      throw new RangeError(
        `layer-norm: gradient ${du.rows}x${du.cols} does not match output ${x.rows}x${this.dim}`,
      );
    }
    const batch = x.rows;
    const n = this.dim;
    const xd = x.data;
    const dud = du.data;
    const means = this.rowMean.get(1, batch).data;
    const invStds = this.rowInvStd.get(1, batch).data;
    const gam = this.gamma.data;
    const sumDuXhat = this.sumDuXhat;
    const sumDu = this.sumDu;
    sumDuXhat.fill(0);
    sumDu.fill(0);
    const dz = this.dz.get(batch, n);
    const dzd = dz.data;
    for (let r = 0; r < batch; r++) {
      const o = r * n;
      const mean = means[r]!;
      const invStd = invStds[r]!;
      let sumG = 0;
      let sumGXhat = 0;
      for (let j = 0; j < n; j++) {
        const d = dud[o + j]!;
        const xhat = (xd[o + j]! - mean) * invStd;
        const gj = gam[j]! * d;
        sumG += gj;
        sumGXhat += gj * xhat;
        sumDu[j] = sumDu[j]! + d;
        sumDuXhat[j] = sumDuXhat[j]! + d * xhat;
      }
      const meanG = sumG / n;
      const meanGXhat = sumGXhat / n;
      for (let j = 0; j < n; j++) {
        const xhat = (xd[o + j]! - mean) * invStd;
        dzd[o + j] = invStd * (gam[j]! * dud[o + j]! - meanG - xhat * meanGXhat);
      }
    }
    const dg = this.dgamma.data;
    const db = this.dbeta.data;
    for (let j = 0; j < n; j++) {
      dg[j] = sumDuXhat[j]!;
      db[j] = sumDu[j]!;
    }
    return dz;
  }

  params(): Param[] {
    return [
      { name: "gamma", value: this.gamma, grad: this.dgamma },
      { name: "beta", value: this.beta, grad: this.dbeta },
    ];
  }
}
