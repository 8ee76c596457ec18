import type { DType } from "../dtype.ts";
import { addRowBias, columnSums } from "../kernels/elementwise.ts";
import { gemmNN, gemmNT, gemmTN } from "../kernels/gemm.ts";
import { Mat } from "../mat.ts";
import { Buffer, expectCols, type Layer, type Mode, type Param } from "./layer.ts";

/**
 * Fully connected layer z = x W^T + b, with W: [out, in] and b: [1, out]: the convention of
 * PyTorch's nn.Linear, so a dumped network can be rebuilt there unchanged.
 */
export class Dense implements Layer {
  readonly kind = "dense";
  readonly W: Mat;
  readonly b: Mat;
  /** dL/dW, [out, in] */
  readonly dW: Mat;
  /** dL/db, [1, out] */
  readonly db: Mat;
  /** When false, backward skips dL/dx (the first layer needs no input gradient). */
  computeInputGrad = true;

  private x: Mat | null = null;
  private readonly z: Buffer;
  private readonly dx: Buffer;
  private readonly scratchDyT: Buffer;
  private readonly scratchXT: Buffer;
  private readonly scratchWT: Mat;

  constructor(
    readonly inputDim: number,
    readonly outputDim: number,
    readonly dtype: DType = "f64",
  ) {
    this.W = Mat.zeros(outputDim, inputDim, dtype);
    this.b = Mat.zeros(1, outputDim, dtype);
    this.dW = Mat.zeros(outputDim, inputDim, dtype);
    this.db = Mat.zeros(1, outputDim, dtype);
    this.z = new Buffer(dtype);
    this.dx = new Buffer(dtype);
    this.scratchDyT = new Buffer(dtype);
    this.scratchXT = new Buffer(dtype);
    this.scratchWT = Mat.zeros(inputDim, outputDim, dtype);
  }

  // x: [batch, in] -> z: [batch, out]; `addBias` false leaves the bias to the caller (a hidden
  // block fusing it with its activation).
  forward(x: Mat, _mode: Mode = "train", addBias = true): Mat {
    expectCols("dense", x, this.inputDim);
    this.x = x;
    const batch = x.rows;
    const out = this.outputDim;
    const z = this.z.get(batch, out);
    gemmNT(batch, out, this.inputDim, x.data, this.W.data, z.data);
    if (addBias) addRowBias(z.data, this.b.data, batch, out);
    return z;
  }

  // dz: [batch, out] -> dx: [batch, in]; dW = dz^T x, db = column sums of dz, dx = dz W
  backward(dz: Mat): Mat {
    const x = this.x;
    if (!x) throw new Error("dense: backward before forward");
    const batch = x.rows;
    const out = this.outputDim;
    const inp = this.inputDim;
    gemmTN(
      out,
      inp,
      batch,
      dz.data,
      x.data,
      this.dW.data,
      this.scratchDyT.get(out, batch).data,
      this.scratchXT.get(inp, batch).data,
    );
    const dzd = dz.data;
    columnSums(dzd, batch, out, this.db.data);
    const dx = this.dx.get(batch, inp);
    if (this.computeInputGrad) {
      gemmNN(batch, inp, out, dzd, this.W.data, dx.data, this.scratchWT.data);
    }
    return dx;
  }

  params(): Param[] {
    return [
      { name: "W", value: this.W, grad: this.dW },
      { name: "b", value: this.b, grad: this.db },
    ];
  }
}
