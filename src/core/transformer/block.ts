import type { DType } from "../dtype.ts";
import { Buffer, expectCols, type Layer, type Mode, type Param } from "../layers/layer.ts";
import { LayerNorm } from "../layers/layer-norm.ts";
import type { Mat } from "../mat.ts";
import { MultiHeadAttention } from "./attention.ts";
import { FeedForward, type FfnActivation } from "./ffn.ts";
import { View } from "./view.ts";

/** Where a block's layer norms sit (Xiong et al. 2020; Wang et al. 2022 for DeepNorm). */
export const NORM_POSITIONS = ["post", "pre", "deepnorm"] as const;
export type NormPosition = (typeof NORM_POSITIONS)[number];

export interface TransformerBlockSpec {
  width: number;
  heads: number;
  ffnWidth: number;
  seqLen: number;
  normPosition: NormPosition;
  /** Residual scale of DeepNorm (alpha); must be 1 for post and pre. */
  alpha?: number;
  activation?: FfnActivation;
  dtype?: DType;
}

/**
 * One transformer encoder block over x [batch, T*d] (row b holds example b's T positions,
 * d features each; the same memory as [batch*T, d], which the sub-layers read):
 * - post:     h = LN1(x + Attn(x));        y = LN2(h + FFN(h))
 * - pre:      h = x + Attn(LN1(x));        y = h + FFN(LN2(h))
 * - deepnorm: h = LN1(alpha x + Attn(x));  y = LN2(alpha h + FFN(h))
 * Buffers are owned and reused; the returned Mat is overwritten by the next forward.
 */
export class TransformerBlock implements Layer {
  readonly kind = "transformer-block";
  readonly inputDim: number;
  readonly outputDim: number;
  readonly attention: MultiHeadAttention;
  readonly ffn: FeedForward;
  readonly ln1: LayerNorm;
  readonly ln2: LayerNorm;
  readonly normPosition: NormPosition;
  readonly alpha: number;
  readonly width: number;
  readonly seqLen: number;

  private readonly xView = new View();
  private readonly dyView = new View();
  private readonly outView = new View();
  private readonly dxView = new View();
  /** Residual sums: post/deepnorm the LN inputs, pre the stream after attention (h) and y. */
  private readonly sum1: Buffer;
  private readonly sum2: Buffer;
  private readonly grad1: Buffer;
  private readonly dx: Buffer;
  private x: Mat | null = null;
  private out: Mat | null = null;
  private hasGrad = false;

  constructor(spec: TransformerBlockSpec) {
    const dtype = spec.dtype ?? "f64";
    this.width = spec.width;
    this.seqLen = spec.seqLen;
    this.inputDim = spec.seqLen * spec.width;
    this.outputDim = this.inputDim;
    this.normPosition = spec.normPosition;
    this.alpha = spec.alpha ?? 1;
    if (spec.normPosition !== "deepnorm" && this.alpha !== 1) {
      throw new RangeError(`transformer block: alpha applies to deepnorm only, got ${this.alpha}`);
    }
    this.attention = new MultiHeadAttention(spec.width, spec.heads, spec.seqLen, dtype);
    this.ffn = new FeedForward(spec.width, spec.ffnWidth, spec.activation ?? "relu", dtype);
    this.ln1 = new LayerNorm(spec.width, dtype);
    this.ln2 = new LayerNorm(spec.width, dtype);
    this.sum1 = new Buffer(dtype);
    this.sum2 = new Buffer(dtype);
    this.grad1 = new Buffer(dtype);
    this.dx = new Buffer(dtype);
  }

  /** The block's input of the last forward, [batch, T*d]. */
  get input(): Mat {
    if (!this.x) throw new Error("transformer block: no forward yet");
    return this.x;
  }

  /** dL/d(block input) of the last backward, [batch, T*d]. */
  get inputGrad(): Mat {
    if (!this.x || !this.hasGrad) throw new Error("transformer block: no backward yet");
    return this.dxView.of(
      this.dx.get(this.x.rows * this.seqLen, this.width),
      this.x.rows,
      this.inputDim,
    );
  }

  /** The block's output of the last forward, [batch, T*d]. */
  get output(): Mat {
    if (!this.out) throw new Error("transformer block: no forward yet");
    return this.out;
  }

  forward(x: Mat, _mode: Mode = "train"): Mat {
    expectCols("transformer block", x, this.inputDim);
    this.x = x;
    const rows = x.rows * this.seqLen;
    const d = this.width;
    const xv = this.xView.of(x, rows, d);
    const n = rows * d;
    const xd = xv.data;
    const h = this.sum1.get(rows, d);
    const hd = h.data;
    let y: Mat;
    if (this.normPosition === "pre") {
      const a = this.attention.forward(this.ln1.forward(xv)).data;
      for (let i = 0; i < n; i++) hd[i] = xd[i]! + a[i]!;
      const f = this.ffn.forward(this.ln2.forward(h)).data;
      y = this.sum2.get(rows, d);
      const yd = y.data;
      for (let i = 0; i < n; i++) yd[i] = hd[i]! + f[i]!;
    } else {
      const alpha = this.alpha;
      const a = this.attention.forward(xv).data;
      for (let i = 0; i < n; i++) hd[i] = alpha * xd[i]! + a[i]!;
      const u1 = this.ln1.forward(h);
      const f = this.ffn.forward(u1).data;
      const s = this.sum2.get(rows, d);
      const sd = s.data;
      const ud = u1.data;
      for (let i = 0; i < n; i++) sd[i] = alpha * ud[i]! + f[i]!;
      y = this.ln2.forward(s);
    }
    this.out = this.outView.of(y, x.rows, this.inputDim);
    return this.out;
  }

  backward(dy: Mat): Mat {
    const x = this.x;
    if (!x) throw new Error("transformer block: backward before forward");
    const rows = x.rows * this.seqLen;
    const d = this.width;
    const n = rows * d;
    const dyv = this.dyView.of(dy, rows, d);
    const dyd = dyv.data;
    const g = this.grad1.get(rows, d);
    const gd = g.data;
    const dx = this.dx.get(rows, d);
    const dxd = dx.data;
    if (this.normPosition === "pre") {
      // dh = dy + LN2'(FFN'(dy)); dx = dh + LN1'(Attn'(dh))
      const viaFfn = this.ln2.backward(this.ffn.backward(dyv)).data;
      for (let i = 0; i < n; i++) gd[i] = dyd[i]! + viaFfn[i]!;
      const viaAttn = this.ln1.backward(this.attention.backward(g)).data;
      for (let i = 0; i < n; i++) dxd[i] = gd[i]! + viaAttn[i]!;
    } else {
      // ds = LN2'(dy); du1 = alpha ds + FFN'(ds); dh = LN1'(du1); dx = alpha dh + Attn'(dh)
      const alpha = this.alpha;
      const ds = this.ln2.backward(dyv);
      const viaFfn = this.ffn.backward(ds).data;
      const dsd = ds.data;
      for (let i = 0; i < n; i++) gd[i] = alpha * dsd[i]! + viaFfn[i]!;
      const dh = this.ln1.backward(g);
      const viaAttn = this.attention.backward(dh).data;
      const dhd = dh.data;
      for (let i = 0; i < n; i++) dxd[i] = alpha * dhd[i]! + viaAttn[i]!;
    }
    this.hasGrad = true;
    return this.dxView.of(dx, x.rows, this.inputDim);
  }

  /** attn.{Wq,bq,...,Wo,bo}, ffn.{W1,b1,W2,b2}, ln1.{gamma,beta}, ln2.{gamma,beta}. */
  params(): Param[] {
    return [
      ...this.attention.params().map((p) => ({ ...p, name: `attn.${p.name}` })),
      ...this.ffn.params().map((p) => ({ ...p, name: `ffn.${p.name}` })),
      ...this.ln1.params().map((p) => ({ ...p, name: `ln1.${p.name}` })),
      ...this.ln2.params().map((p) => ({ ...p, name: `ln2.${p.name}` })),
    ];
  }
}
