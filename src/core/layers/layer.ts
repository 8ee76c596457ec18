import type { DType } from "../dtype.ts";
import { Mat } from "../mat.ts";

/** Training mode uses batch statistics (batch norm); eval mode uses running statistics. */
export type Mode = "train" | "eval";

/** A learnable tensor and the gradient of the loss with respect to it (same shape). */
export interface Param {
  readonly name: string;
  readonly value: Mat;
  readonly grad: Mat;
}

/**
 * One differentiable step of a network. A layer owns its parameters and its output buffers:
 * `forward` returns a Mat that the next `forward` call overwrites, and keeps what `backward`
 * needs (often just a reference to its input, valid until the caller's next forward).
 * `backward` sets (does not accumulate) every parameter gradient.
 */
export interface Layer {
  readonly kind: string;
  readonly inputDim: number;
  readonly outputDim: number;
  /** x: [batch, inputDim] -> y: [batch, outputDim] */
  forward(x: Mat, mode: Mode): Mat;
  /** dy: [batch, outputDim] -> dx: [batch, inputDim]; fills each param's grad. */
  backward(dy: Mat): Mat;
  params(): Param[];
}

/**
 * A Mat of `rows` x `cols` reused across calls: reallocated only when the shape changes
 * (a new batch size), so steady-state steps allocate nothing.
 */
export class Buffer {
  private mat: Mat | null = null;
  constructor(private readonly dtype: DType) {}

  get(rows: number, cols: number): Mat {
    const m = this.mat;
    if (m && m.rows === rows && m.cols === cols) return m;
    this.mat = Mat.zeros(rows, cols, this.dtype);
    return this.mat;
  }
}

/** Throws when x does not have `cols` columns. */
export function expectCols(layer: string, x: Mat, cols: number): void {
  if (x.cols !== cols) {
    throw new RangeError(`${layer}: expected input with ${cols} columns, got ${x.rows}x${x.cols}`);
  }
}
