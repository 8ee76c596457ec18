import { type Activation, getActivation } from "../activations.ts";
import type { DType } from "../dtype.ts";
import { Dense } from "../layers/dense.ts";
import { Buffer, type Param } from "../layers/layer.ts";
import type { Mat } from "../mat.ts";

/** The FFN activations a transformer block accepts: Xiong et al. use ReLU, BERT GELU. */
export const FFN_ACTIVATIONS = ["relu", "gelu"] as const;
export type FfnActivation = (typeof FFN_ACTIVATIONS)[number];

/**
 * The position-wise feed-forward network: out = phi(u W1^T + b1) W2^T + b2, applied to each
 * row (position) of u [batch*T, d]; W1 is [ffnWidth, d], W2 is [d, ffnWidth].
 */
export class FeedForward {
  readonly fc1: Dense;
  readonly fc2: Dense;
  readonly activation: Activation;
  private readonly hidden: Buffer;
  private readonly dPre: Buffer;
  private pre: Mat | null = null;

  constructor(
    readonly width: number,
    readonly ffnWidth: number,
    activation: FfnActivation = "relu",
    readonly dtype: DType = "f64",
  ) {
    this.fc1 = new Dense(width, ffnWidth, dtype);
    this.fc2 = new Dense(ffnWidth, width, dtype);
    this.activation = getActivation(activation);
    this.hidden = new Buffer(dtype);
    this.dPre = new Buffer(dtype);
  }

  /** phi(u W1^T + b1) of the last forward, [batch*T, ffnWidth]. */
  get hiddenActivations(): Mat {
    if (!this.pre) throw new Error("ffn: no forward yet");
    return this.hidden.get(this.pre.rows, this.ffnWidth);
  }

  /** u W1^T + b1 of the last forward, [batch*T, ffnWidth]. */
  get preActivations(): Mat {
    if (!this.pre) throw new Error("ffn: no forward yet");
    return this.pre;
  }

  forward(u: Mat): Mat {
    const pre = this.fc1.forward(u);
    this.pre = pre;
    const a = this.hidden.get(u.rows, this.ffnWidth);
    this.activation.forward(pre.data, a.data, pre.size);
    return this.fc2.forward(a);
  }

  backward(dOut: Mat): Mat {
    const pre = this.pre;
    if (!pre) throw new Error("ffn: backward before forward");
    const da = this.fc2.backward(dOut);
    const dPre = this.dPre.get(pre.rows, this.ffnWidth);
    const a = this.hidden.get(pre.rows, this.ffnWidth);
    this.activation.backward(pre.data, a.data, da.data, dPre.data, pre.size);
    return this.fc1.backward(dPre);
  }

  /** W1, b1, W2, b2. */
  params(): Param[] {
    return [
      ...this.fc1.params().map((p) => ({ ...p, name: `${p.name}1` })),
      ...this.fc2.params().map((p) => ({ ...p, name: `${p.name}2` })),
    ];
  }
}
