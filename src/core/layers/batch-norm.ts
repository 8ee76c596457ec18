import type { DType } from "../dtype.ts";
import { Mat } from "../mat.ts";
import { Buffer, expectCols, type Layer, type Mode, type Param } from "./layer.ts";

export interface BatchNormOptions {
  /**
   * Added to the variance under the square root (PyTorch's default 1e-5); the only guard
   * against a zero variance, so eps = 0 with a constant feature gives infinities.
   */
  eps?: number;
  /** Weight of the new batch statistic in the running averages (PyTorch's default 0.1). */
  momentum?: number;
}

/**
 * Batch normalization over the batch axis, per feature, with PyTorch's nn.BatchNorm1d(dim)
 * semantics: u = gamma * (z - mean) / sqrt(var + eps) + beta, with the batch mean and the
 * biased batch variance in "train" mode and the running averages in "eval" mode.
 *
 * Running statistics follow PyTorch exactly: running = (1 - momentum) * running +
 * momentum * batchStat, where the variance fed to runningVar is the unbiased one
 * (times n / (n - 1)), while the output is normalized with the biased one.
 *
 * A batch of one in train mode: PyTorch refuses it ("Expected more than 1 value per channel
 * when training"). Here it is allowed: the variance is 0, xhat = 0, the output is beta and
 * dL/dz is 0; runningMean is updated but runningVar is not, because the unbiased variance
 * 0 * 1 / 0 is undefined.
 *
 * Statistics and reductions are accumulated in float64 whatever the dtype, so a float32
 * layer differs from a float64 one only by the rounding of its inputs and outputs.
 */
export class BatchNorm implements Layer {
  readonly kind = "batch-norm";
  readonly inputDim: number;
  readonly outputDim: number;
  readonly eps: number;
  readonly momentum: number;
  /** Scale, [1, dim], initialized to 1. */
  readonly gamma: Mat;
  /** Shift, [1, dim], initialized to 0. */
  readonly beta: Mat;
  /** dL/dgamma, [1, dim] */
  readonly dgamma: Mat;
  /** dL/dbeta, [1, dim] */
  readonly dbeta: Mat;
  /** Running mean, [1, dim], initialized to 0; updated by every train forward. */
  readonly runningMean: Mat;
  /** Running (unbiased) variance, [1, dim], initialized to 1; updated by train forwards. */
  readonly runningVar: Mat;
  /** Batch mean of the last train forward, [1, dim], float64 (zeros before the first). */
  readonly lastMean: Mat;
  /** Biased batch variance of the last train forward, [1, dim], float64. */
  readonly lastVar: Mat;

  private x: Mat | null = null;
  /** Mode of the last forward: decides which backward applies. */
  private mode: Mode = "train";
  private readonly u: Buffer;
  private readonly dz: Buffer;
  // Per-feature float64 state of the last forward, kept for backward: the mean subtracted
  // (batch or running) and 1 / sqrt(var + eps). xhat is recomputed from x in backward
  // rather than stored, which costs no buffer and keeps float64 precision for float32 layers.
  private readonly center: Float64Array;
  private readonly invStd: Float64Array;
  // float64 accumulators for the column reductions.
  private readonly sumA: Float64Array;
  private readonly sumB: Float64Array;

  constructor(
    readonly dim: number,
    readonly dtype: DType = "f64",
    options: BatchNormOptions = {},
  ) {
    if (!Number.isInteger(dim) || dim < 1) {
      throw new RangeError(`batch-norm: dim must be a positive integer, got ${dim}`);
    }
    const eps = options.eps ?? 1e-5;
    const momentum = options.momentum ?? 0.1;
    if (!(eps >= 0)) throw new RangeError(`batch-norm: eps must be >= 0, got ${eps}`);
    if (!(momentum >= 0 && momentum <= 1)) {
      throw new RangeError(`batch-norm: momentum must be in [0, 1], got ${momentum}`);
    }
    this.inputDim = dim;
    this.outputDim = dim;
    this.eps = eps;
    this.momentum = momentum;
    this.gamma = Mat.zeros(1, dim, dtype).fill(1);
    this.beta = Mat.zeros(1, dim, dtype);
    this.dgamma = Mat.zeros(1, dim, dtype);
    this.dbeta = Mat.zeros(1, dim, dtype);
    this.runningMean = Mat.zeros(1, dim, dtype);
    this.runningVar = Mat.zeros(1, dim, dtype).fill(1);
    this.lastMean = Mat.zeros(1, dim, "f64");
    this.lastVar = Mat.zeros(1, dim, "f64");
    this.u = new Buffer(dtype);
    this.dz = new Buffer(dtype);
    this.center = new Float64Array(dim);
    this.invStd = new Float64Array(dim);
    this.sumA = new Float64Array(dim);
    this.sumB = new Float64Array(dim);
  }

  // z: [batch, n] -> u: [batch, n]
  forward(z: Mat, mode: Mode = "train"): Mat {
    expectCols("batch-norm", z, this.dim);
    const batch = z.rows;
    const n = this.dim;
    const zd = z.data;
    const center = this.center;
    const invStd = this.invStd;
    if (mode === "train") {
      if (batch < 1) throw new RangeError("batch-norm: train mode needs a non-empty batch");
      // Two passes (mean, then squared deviations) rather than E[z^2] - mean^2, which
      // cancels catastrophically when |mean| >> std.
      const sum = this.sumA;
      sum.fill(0);
      for (let r = 0; r < batch; r++) {
        const o = r * n;
        for (let j = 0; j < n; j++) sum[j] = sum[j]! + zd[o + j]!;
      }
      for (let j = 0; j < n; j++) center[j] = sum[j]! / batch;
      const sq = this.sumB;
      sq.fill(0);
      for (let r = 0; r < batch; r++) {
        const o = r * n;
        for (let j = 0; j < n; j++) {
          const d = zd[o + j]! - center[j]!;
          sq[j] = sq[j]! + d * d;
        }
      }
      const m = this.momentum;
      const rm = this.runningMean.data;
      const rv = this.runningVar.data;
      const lm = this.lastMean.data;
      const lv = this.lastVar.data;
      for (let j = 0; j < n; j++) {
        const mean = center[j]!;
        const v = sq[j]! / batch;
        lm[j] = mean;
        lv[j] = v;
        invStd[j] = 1 / Math.sqrt(v + this.eps);
        rm[j] = (1 - m) * rm[j]! + m * mean;
        // Bessel's correction needs two samples; see the class comment for batch 1.
        if (batch > 1) rv[j] = (1 - m) * rv[j]! + m * (sq[j]! / (batch - 1));
      }
    } else {
      const rm = this.runningMean.data;
      const rv = this.runningVar.data;
      for (let j = 0; j < n; j++) {
        center[j] = rm[j]!;
        invStd[j] = 1 / Math.sqrt(rv[j]! + this.eps);
      }
    }
    this.x = z;
    this.mode = mode;
    const u = this.u.get(batch, n);
    const ud = u.data;
    const g = this.gamma.data;
    const b = this.beta.data;
    for (let r = 0; r < batch; r++) {
      const o = r * n;
      for (let j = 0; j < n; j++) {
        // (z - mean) * invStd first, not z * scale + shift: no cancellation when |mean| >> std.
        ud[o + j] = g[j]! * ((zd[o + j]! - center[j]!) * invStd[j]!) + b[j]!;
      }
    }
    return u;
  }

  // du: [batch, n] -> dz: [batch, n]; dgamma = sum_batch du * xhat, dbeta = sum_batch du.
  // Train: dz = gamma * invStd * (du - mean(du) - xhat * mean(du * xhat)), the gradient
  // through the batch mean and variance. Eval: dz = gamma * invStd * du (fixed statistics).
  backward(du: Mat): Mat {
    const x = this.x;
    if (!x) throw new Error("batch-norm: backward before forward");
    if (du.rows !== x.rows || du.cols !== this.dim) {
      throw new RangeError(
        `batch-norm: gradient ${du.rows}x${du.cols} does not match output ${x.rows}x${this.dim}`,
      );
    }
    const batch = x.rows;
    const n = this.dim;
    const xd = x.data;
    const dud = du.data;
    const center = this.center;
    const invStd = this.invStd;
    const sumDu = this.sumA;
    const sumDuXhat = this.sumB;
    sumDu.fill(0);
    sumDuXhat.fill(0);
    for (let r = 0; r < batch; r++) {
      const o = r * n;
      for (let j = 0; j < n; j++) {
        const d = dud[o + j]!;
        sumDu[j] = sumDu[j]! + d;
        sumDuXhat[j] = sumDuXhat[j]! + d * ((xd[o + j]! - center[j]!) * invStd[j]!);
      }
    }
    const dg = this.dgamma.data;
    const db = this.dbeta.data;
    for (let j = 0; j < n; j++) {
      dg[j] = sumDuXhat[j]!;
      db[j] = sumDu[j]!;
    }
    const dz = this.dz.get(batch, n);
    const dzd = dz.data;
    const g = this.gamma.data;
    if (this.mode === "eval") {
      for (let r = 0; r < batch; r++) {
        const o = r * n;
        for (let j = 0; j < n; j++) dzd[o + j] = g[j]! * invStd[j]! * dud[o + j]!;
      }
      return dz;
    }
    // The sums become the batch means of du and du * xhat (the accumulators are free now).
    for (let j = 0; j < n; j++) {
      sumDu[j] = sumDu[j]! / batch;
      sumDuXhat[j] = sumDuXhat[j]! / batch;
    }
    for (let r = 0; r < batch; r++) {
      const o = r * n;
      for (let j = 0; j < n; j++) {
        const xhat = (xd[o + j]! - center[j]!) * invStd[j]!;
        dzd[o + j] = g[j]! * invStd[j]! * (dud[o + j]! - sumDu[j]! - xhat * sumDuXhat[j]!);
      }
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
