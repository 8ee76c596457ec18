import type { Activation } from "../activations.ts";
import type { DType } from "../dtype.ts";
import type { Mat } from "../mat.ts";
import { BatchNorm } from "./batch-norm.ts";
import { Dense } from "./dense.ts";
import { Buffer, type Layer, type Mode, type Param } from "./layer.ts";
import { LayerNorm } from "./layer-norm.ts";

export const NORMALIZATIONS = ["none", "batch-norm", "layer-norm"] as const;
export type Normalization = (typeof NORMALIZATIONS)[number];

export interface HiddenBlockOptions {
  inputDim: number;
  width: number;
  activation: Activation;
  normalization?: Normalization;
  /** a = a_prev + branchScale * phi(u); applied only when inputDim === width. */
  residual?: boolean;
  branchScale?: number;
  dtype?: DType;
}

/**
 * One hidden layer of the standard probe network:
 *   z = x W^T + b          (dense, pre-activation before any normalization)
 *   u = norm(z)            (batch or layer norm; u = z without normalization)
 *   phi = phi(u)
 *   a = x + s * phi        (residual) or a = phi
 * Every intermediate stays readable after forward and backward, which is what the probes
 * measure: z, u, phi, a and their gradients dz, du, dphi.
 */
export class HiddenBlock implements Layer {
  readonly kind = "hidden-block";
  readonly inputDim: number;
  readonly outputDim: number;
  readonly dense: Dense;
  readonly norm: BatchNorm | LayerNorm | null;
  readonly normalization: Normalization;
  readonly activation: Activation;
  /** True when the skip connection is active (requested and the shapes allow it). */
  readonly residual: boolean;
  readonly branchScale: number;

  private x: Mat | null = null;
  private zMat: Mat | null = null;
  private uMat: Mat | null = null;
  private dzMat: Mat | null = null;
  private readonly phiBuf: Buffer;
  private readonly aBuf: Buffer;
  private readonly dphiBuf: Buffer;
  private readonly duBuf: Buffer;
  private readonly dxBuf: Buffer;

  constructor(options: HiddenBlockOptions) {
    const dtype = options.dtype ?? "f64";
    this.inputDim = options.inputDim;
    this.outputDim = options.width;
    this.activation = options.activation;
    this.normalization = options.normalization ?? "none";
    this.residual = (options.residual ?? false) && options.inputDim === options.width;
    this.branchScale = options.branchScale ?? 1;
    this.dense = new Dense(options.inputDim, options.width, dtype);
    this.norm =
      this.normalization === "batch-norm"
        ? new BatchNorm(options.width, dtype)
        : this.normalization === "layer-norm"
          ? new LayerNorm(options.width, dtype)
          : null;
    this.phiBuf = new Buffer(dtype);
    this.aBuf = new Buffer(dtype);
    this.dphiBuf = new Buffer(dtype);
    this.duBuf = new Buffer(dtype);
    this.dxBuf = new Buffer(dtype);
  }

  // x: [batch, in] -> a: [batch, width]
  forward(x: Mat, mode: Mode = "train"): Mat {
    this.x = x;
    // Without a normalization between them, the bias and the activation run as one pass when
    // the activation offers it (u = z + b is still stored in z for the backward pass).
    const fused = this.norm === null && this.activation.biasForward !== undefined;
    const z = this.dense.forward(x, mode, !fused);
    const u = this.norm ? this.norm.forward(z, mode) : z;
    this.zMat = z;
    this.uMat = u;
    const phi = this.phiBuf.get(u.rows, u.cols);
    if (fused) this.activation.biasForward!(z.data, this.dense.b.data, z.rows, z.cols, phi.data);
    else this.activation.forward(u.data, phi.data, u.size);
    if (!this.residual) return phi;
    const a = this.aBuf.get(u.rows, u.cols);
    const s = this.branchScale;
    const ad = a.data;
    const xd = x.data;
    const pd = phi.data;
    for (let i = 0; i < a.size; i++) ad[i] = xd[i]! + s * pd[i]!;
    return a;
  }

  // da: [batch, width] -> da_prev: [batch, in]
  backward(da: Mat): Mat {
    const u = this.uMat;
    if (!u || !this.x) throw new Error("hidden block: backward before forward");
    let dphi = da;
    if (this.residual) {
      dphi = this.dphiBuf.get(da.rows, da.cols);
      const s = this.branchScale;
      for (let i = 0; i < da.size; i++) dphi.data[i] = s * da.data[i]!;
    }
    const du = this.duBuf.get(u.rows, u.cols);
    this.activation.backward(u.data, this.phi.data, dphi.data, du.data, u.size);
    const dz = this.norm ? this.norm.backward(du) : du;
    this.dzMat = dz;
    const dxDense = this.dense.backward(dz);
    if (!this.residual) return dxDense;
    const dx = this.dxBuf.get(dxDense.rows, dxDense.cols);
    for (let i = 0; i < dx.size; i++) dx.data[i] = dxDense.data[i]! + da.data[i]!;
    return dx;
  }

  params(): Param[] {
    return [...this.dense.params(), ...(this.norm ? this.norm.params() : [])];
  }

  /** Input of the last forward, [batch, in]. */
  get input(): Mat {
    return required(this.x, "input");
  }
  /** Pre-activation z = x W^T + b (before normalization), [batch, width]. */
  get z(): Mat {
    return required(this.zMat, "z");
  }
  /** Activation input u (= z without normalization), [batch, width]. */
  get u(): Mat {
    return required(this.uMat, "u");
  }
  /** phi(u), [batch, width]. */
  get phi(): Mat {
    const u = this.u;
    return this.phiBuf.get(u.rows, u.cols);
  }
  /** Block output a (phi, plus the input when residual), [batch, width]. */
  get output(): Mat {
    return this.residual ? this.aBuf.get(this.u.rows, this.u.cols) : this.phi;
  }
  /** dL/dz after backward, [batch, width]. */
  get dz(): Mat {
    return required(this.dzMat, "dz (run backward first)");
  }
}

function required(m: Mat | null, what: string): Mat {
  if (!m) throw new Error(`hidden block: ${what} not available before forward`);
  return m;
}
