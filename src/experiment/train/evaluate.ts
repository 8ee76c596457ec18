import { Mat } from "../../core/mat.ts";
import type { Network } from "../../core/network.ts";

/** Loss and accuracy of a network on a whole set (accuracy null for regression). */
export interface Evaluation {
  loss: number;
  accuracy: number | null;
}

/**
 * Evaluates a network on a full data set in eval mode (batch norm uses its running
 * statistics), in chunks of the training batch size so the network's buffers keep their
 * shape: the last chunk is padded with zero rows that are ignored (rows are independent in
 * eval mode). Losses follow core/loss.ts: cross-entropy averaged over examples, mse over all
 * entries. Accuracy compares the argmax of the output with the argmax of the one-hot target.
 */
export class Evaluator {
  private readonly chunk: Mat;
  private readonly rows: Int32Array;

  constructor(
    private readonly network: Network,
    private readonly loss: "mse" | "cross-entropy",
    private readonly classification: boolean,
    batch: number,
    inputDim: number,
  ) {
    this.chunk = Mat.zeros(batch, inputDim, network.dtype);
    this.rows = new Int32Array(batch);
  }

  evaluate(X: Mat, Y: Mat): Evaluation {
    const n = X.rows;
    const b = this.chunk.rows;
    const c = X.cols;
    const k = Y.cols;
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < n; start += b) {
      const count = Math.min(b, n - start);
      const d = this.chunk.data;
      for (let r = 0; r < count; r++) {
        const o = (start + r) * c;
        for (let j = 0; j < c; j++) d[r * c + j] = X.data[o + j]!;
      }
      if (count < b) d.fill(0, count * c, b * c);
      const out = this.network.forward(this.chunk, "eval");
      const y = out.data;
      const t = Y.data;
      for (let r = 0; r < count; r++) {
        const yo = r * k;
        const to = (start + r) * k;
        if (this.loss === "cross-entropy") {
          let max = Number.NEGATIVE_INFINITY;
          for (let j = 0; j < k; j++) max = Math.max(max, y[yo + j]!);
          let sumExp = 0;
          for (let j = 0; j < k; j++) sumExp += Math.exp(y[yo + j]! - max);
          const logSum = max + Math.log(sumExp);
          for (let j = 0; j < k; j++) {
            const tj = t[to + j]!;
            if (tj !== 0) lossSum -= tj * (y[yo + j]! - logSum);
          }
        } else {
          let s = 0;
          for (let j = 0; j < k; j++) {
            const e = y[yo + j]! - t[to + j]!;
            s += e * e;
          }
          lossSum += s / k;
        }
        if (this.classification) {
          let best = 0;
          let target = 0;
          for (let j = 1; j < k; j++) {
            if (y[yo + j]! > y[yo + best]!) best = j;
            if (t[to + j]! > t[to + target]!) target = j;
          }
          if (best === target && Number.isFinite(y[yo + best]!)) correct++;
        }
      }
    }
    return {
      loss: n === 0 ? Number.NaN : lossSum / n,
      accuracy: this.classification ? (n === 0 ? Number.NaN : correct / n) : null,
    };
  }
}
