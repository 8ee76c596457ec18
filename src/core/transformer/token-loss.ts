import type { DType } from "../dtype.ts";
import { type Loss, SoftmaxCrossEntropyLoss } from "../loss.ts";
import type { Mat } from "../mat.ts";
import { View } from "./view.ts";

/**
 * Per-position softmax cross-entropy averaged over every position of every example:
 * logits and one-hot targets [batch, T*classes] are read as [batch*T, classes], where the
 * batch-averaged cross-entropy is exactly this mean (torch: F.cross_entropy over the
 * flattened positions).
 */
export class TokenCrossEntropy implements Loss {
  readonly name = "cross-entropy";
  private readonly inner: SoftmaxCrossEntropyLoss;
  private readonly yView = new View();
  private readonly tView = new View();
  private readonly gView = new View();
  private rows = 0;

  constructor(
    readonly classes: number,
    dtype: DType = "f64",
  ) {
    this.inner = new SoftmaxCrossEntropyLoss(dtype);
  }

  forward(y: Mat, target: Mat): number {
    const positions = y.size / this.classes;
    this.rows = y.rows;
    return this.inner.forward(
      this.yView.of(y, positions, this.classes),
      this.tView.of(target, positions, this.classes),
    );
  }

  backward(): Mat {
    const g = this.inner.backward();
    return this.gView.of(g, this.rows, g.size / this.rows);
  }
}
