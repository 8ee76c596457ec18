import type { DType } from "../dtype.ts";
import { Dense } from "../layers/dense.ts";
import { Buffer, type Param } from "../layers/layer.ts";
import type { Mat } from "../mat.ts";
import { View } from "./view.ts";

export const TASK_KINDS = ["sequence", "token"] as const;
/** sequence: one label per example (mean-pool, then Dense); token: one label per position. */
export type TaskKind = (typeof TASK_KINDS)[number];

/** A classification head on the final representation h [batch, T*d]. */
export interface Head {
  readonly kind: TaskKind;
  readonly dense: Dense;
  /** h [batch, T*d] -> logits: [batch, classes] (sequence) or [batch, T*classes] (token). */
  forward(h: Mat): Mat;
  /** dLogits (shape of forward's output) -> dh [batch, T*d]. */
  backward(dLogits: Mat): Mat;
  params(): Param[];
}

/** Mean over positions, then a Dense layer: logits [batch, classes]. */
export class SequenceHead implements Head {
  readonly kind = "sequence";
  readonly dense: Dense;
  private readonly pooled: Buffer;
  private readonly dh: Buffer;

  constructor(
    readonly width: number,
    readonly seqLen: number,
    readonly classes: number,
    dtype: DType = "f64",
  ) {
    this.dense = new Dense(width, classes, dtype);
    this.pooled = new Buffer(dtype);
    this.dh = new Buffer(dtype);
  }

  forward(h: Mat): Mat {
    const { width: d, seqLen: T } = this;
    const p = this.pooled.get(h.rows, d);
    for (let b = 0; b < h.rows; b++) {
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let t = 0; t < T; t++) s += h.data[b * T * d + t * d + j]!;
        p.data[b * d + j] = s / T;
      }
    }
    return this.dense.forward(p);
  }

  backward(dLogits: Mat): Mat {
    const { width: d, seqLen: T } = this;
    const dp = this.dense.backward(dLogits);
    const dh = this.dh.get(dLogits.rows, T * d);
    for (let b = 0; b < dLogits.rows; b++) {
      for (let t = 0; t < T; t++) {
        for (let j = 0; j < d; j++) dh.data[b * T * d + t * d + j] = dp.data[b * d + j]! / T;
      }
    }
    return dh;
  }

  params(): Param[] {
    return this.dense.params();
  }
}

/** The same Dense layer at every position: logits [batch, T*classes]. */
export class TokenHead implements Head {
  readonly kind = "token";
  readonly dense: Dense;
  private readonly hView = new View();
  private readonly logitsView = new View();
  private readonly dLogitsView = new View();
  private readonly dhView = new View();

  constructor(
    readonly width: number,
    readonly seqLen: number,
    readonly classes: number,
    dtype: DType = "f64",
  ) {
    this.dense = new Dense(width, classes, dtype);
  }

  forward(h: Mat): Mat {
    const z = this.dense.forward(this.hView.of(h, h.rows * this.seqLen, this.width));
    return this.logitsView.of(z, h.rows, this.seqLen * this.classes);
  }

  backward(dLogits: Mat): Mat {
    const rows = dLogits.rows * this.seqLen;
    const dh = this.dense.backward(this.dLogitsView.of(dLogits, rows, this.classes));
    return this.dhView.of(dh, dLogits.rows, this.seqLen * this.width);
  }

  params(): Param[] {
    return this.dense.params();
  }
}
