import type { DType } from "./dtype.ts";
import { Buffer } from "./layers/layer.ts";
import type { Mat } from "./mat.ts";

export const LOSS_NAMES = ["random-projection", "mse", "cross-entropy"] as const;
export type LossName = (typeof LOSS_NAMES)[number];

/**
 * A scalar loss of the network output y: [batch, k] against a target of the same shape.
 * `backward` returns dL/dy for the last `forward`, in a buffer the loss owns.
 */
export interface Loss {
  readonly name: LossName;
  forward(y: Mat, target: Mat): number;
  backward(): Mat;
}

function checkShapes(name: string, y: Mat, target: Mat): void {
  if (y.rows !== target.rows || y.cols !== target.cols) {
    throw new RangeError(
      `${name}: output ${y.rows}x${y.cols} and target ${target.rows}x${target.cols} differ`,
    );
  }
}

/** L = sum(R * y) with a fixed random R: the theory's standard probe (dL/dy = R). */
export class RandomProjectionLoss implements Loss {
  readonly name = "random-projection";
  private target: Mat | null = null;

  forward(y: Mat, target: Mat): number {
    checkShapes(this.name, y, target);
    this.target = target;
    let sum = 0;
    for (let i = 0; i < y.size; i++) sum += target.data[i]! * y.data[i]!;
    return sum;
  }

  backward(): Mat {
    if (!this.target) throw new Error("random-projection: backward before forward");
    return this.target;
  }
}

/** Mean squared error over all entries, as PyTorch's MSELoss: L = mean((y - t)^2). */
export class MeanSquaredErrorLoss implements Loss {
  readonly name = "mse";
  private readonly grad: Buffer;
  private y: Mat | null = null;
  private target: Mat | null = null;

  constructor(dtype: DType = "f64") {
    this.grad = new Buffer(dtype);
  }

  forward(y: Mat, target: Mat): number {
    checkShapes(this.name, y, target);
    this.y = y;
    this.target = target;
    let sum = 0;
    for (let i = 0; i < y.size; i++) {
      const d = y.data[i]! - target.data[i]!;
      sum += d * d;
    }
    return sum / y.size;
  }

  // dL/dy = 2 (y - t) / (batch * k)
  backward(): Mat {
    const { y, target } = this;
    if (!y || !target) throw new Error("mse: backward before forward");
    const g = this.grad.get(y.rows, y.cols);
    const scale = 2 / y.size;
    for (let i = 0; i < y.size; i++) g.data[i] = scale * (y.data[i]! - target.data[i]!);
    return g;
  }
}

/**
 * Softmax cross-entropy averaged over the batch: L = -(1/B) sum_b sum_k t_bk log softmax(y_b)_k.
 * Targets are one-hot rows (soft targets summing to 1 also work).
 */
export class SoftmaxCrossEntropyLoss implements Loss {
  readonly name = "cross-entropy";
  private readonly probs: Buffer;
  private readonly grad: Buffer;
  private target: Mat | null = null;

  constructor(dtype: DType = "f64") {
    this.probs = new Buffer(dtype);
    this.grad = new Buffer(dtype);
  }

  forward(y: Mat, target: Mat): number {
    checkShapes(this.name, y, target);
    this.target = target;
    const p = this.probs.get(y.rows, y.cols);
    const k = y.cols;
    let total = 0;
    for (let r = 0; r < y.rows; r++) {
      const o = r * k;
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < k; j++) max = Math.max(max, y.data[o + j]!);
      let sumExp = 0;
      for (let j = 0; j < k; j++) sumExp += Math.exp(y.data[o + j]! - max);
      const logSum = max + Math.log(sumExp);
      for (let j = 0; j < k; j++) {
        const logP = y.data[o + j]! - logSum;
        p.data[o + j] = Math.exp(logP);
        const t = target.data[o + j]!;
        if (t !== 0) total -= t * logP;
      }
    }
    return total / y.rows;
  }

  // dL/dy = (softmax(y) - t) / batch
  backward(): Mat {
    const t = this.target;
    if (!t) throw new Error("cross-entropy: backward before forward");
    const p = this.probs.get(t.rows, t.cols);
    const g = this.grad.get(t.rows, t.cols);
    const inv = 1 / t.rows;
    for (let i = 0; i < t.size; i++) g.data[i] = (p.data[i]! - t.data[i]!) * inv;
    return g;
  }
}

export function createLoss(name: LossName, dtype: DType = "f64"): Loss {
  switch (name) {
    case "random-projection":
      return new RandomProjectionLoss();
    case "mse":
      return new MeanSquaredErrorLoss(dtype);
    case "cross-entropy":
      return new SoftmaxCrossEntropyLoss(dtype);
  }
}
