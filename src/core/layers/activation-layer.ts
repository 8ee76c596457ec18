import { type Activation, type ActivationName, getActivation } from "../activations.ts";
import type { DType } from "../dtype.ts";
import type { Mat } from "../mat.ts";
import { Buffer, expectCols, type Layer, type Mode, type Param } from "./layer.ts";

/** Element-wise a = phi(u). */
export class ActivationLayer implements Layer {
  readonly kind = "activation";
  readonly activation: Activation;
  readonly outputDim: number;
  private u: Mat | null = null;
  private readonly a: Buffer;
  private readonly du: Buffer;

  constructor(
    readonly inputDim: number,
    activation: ActivationName | Activation,
    dtype: DType = "f64",
  ) {
    this.activation = typeof activation === "string" ? getActivation(activation) : activation;
    this.outputDim = inputDim;
    this.a = new Buffer(dtype);
    this.du = new Buffer(dtype);
  }

  // u: [batch, n] -> a: [batch, n]
  forward(u: Mat, _mode: Mode = "train"): Mat {
    expectCols(`activation ${this.activation.name}`, u, this.inputDim);
    this.u = u;
    const a = this.a.get(u.rows, u.cols);
    this.activation.forward(u.data, a.data, u.size);
    return a;
  }

  // da: [batch, n] -> du = da * phi'(u): [batch, n]
  backward(da: Mat): Mat {
    const u = this.u;
    if (!u) throw new Error("activation: backward before forward");
    const du = this.du.get(u.rows, u.cols);
    this.activation.backward(u.data, this.a.get(u.rows, u.cols).data, da.data, du.data, u.size);
    return du;
  }

  params(): Param[] {
    return [];
  }
}
