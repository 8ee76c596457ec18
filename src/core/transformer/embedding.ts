import type { DType } from "../dtype.ts";
import { gemmNT, gemmTN } from "../kernels/gemm.ts";
import { Buffer, type Param } from "../layers/layer.ts";
import { Mat } from "../mat.ts";
import { View } from "./view.ts";

/**
 * The input embedding: each position's input row (a one-hot token of length vocab, or a
 * continuous vector) times E^T, with E: [d, inputDim] as a bias-free nn.Linear. For one-hot
 * rows this is exactly the lookup E[:, token] of nn.Embedding (whose table is E^T).
 * x: [batch, T*inputDim] -> h: [batch, T*d].
 */
export class InputEmbedding {
  readonly E: Mat;
  readonly dE: Mat;
  private readonly out: Buffer;
  private readonly xView = new View();
  private readonly hView = new View();
  private readonly scratchA: Buffer;
  private readonly scratchB: Buffer;
  private x: Mat | null = null;

  constructor(
    readonly inputDim: number,
    readonly width: number,
    readonly seqLen: number,
    dtype: DType = "f64",
  ) {
    this.E = Mat.zeros(width, inputDim, dtype);
    this.dE = Mat.zeros(width, inputDim, dtype);
    this.out = new Buffer(dtype);
    this.scratchA = new Buffer(dtype);
    this.scratchB = new Buffer(dtype);
  }

  forward(x: Mat): Mat {
    const rows = x.rows * this.seqLen;
    const xv = this.xView.of(x, rows, this.inputDim);
    this.x = xv;
    const h = this.out.get(x.rows, this.seqLen * this.width);
    gemmNT(rows, this.width, this.inputDim, xv.data, this.E.data, h.data);
    return h;
  }

  /** dE = dh^T x over all positions (the input needs no gradient). */
  backward(dh: Mat): void {
    const xv = this.x;
    if (!xv) throw new Error("embedding: backward before forward");
    const rows = xv.rows;
    const dhv = this.hView.of(dh, rows, this.width);
    gemmTN(
      this.width,
      this.inputDim,
      rows,
      dhv.data,
      xv.data,
      this.dE.data,
      this.scratchA.get(this.width, rows).data,
      this.scratchB.get(this.inputDim, rows).data,
    );
  }

  params(): Param[] {
    return [{ name: "E", value: this.E, grad: this.dE }];
  }
}
