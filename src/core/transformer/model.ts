import type { DType } from "../dtype.ts";
import type { Mode, Param } from "../layers/layer.ts";
import { LayerNorm } from "../layers/layer-norm.ts";
import type { Mat } from "../mat.ts";
import { type NormPosition, TransformerBlock } from "./block.ts";
import { deepNormAlpha } from "./deepnorm.ts";
import { InputEmbedding } from "./embedding.ts";
import type { FfnActivation } from "./ffn.ts";
import { type Head, SequenceHead, type TaskKind, TokenHead } from "./heads.ts";
import { type PositionKind, Positions } from "./positions.ts";
import { View } from "./view.ts";

export interface TransformerModelSpec {
  /** Features per position: the vocabulary size for one-hot tokens, else the input width. */
  inputDim: number;
  seqLen: number;
  width: number;
  heads: number;
  ffnWidth: number;
  depth: number;
  normPosition: NormPosition;
  positions: PositionKind;
  activation?: FfnActivation;
  /** A classification head, or null for the probe (the loss reads the representation). */
  head?: { kind: TaskKind; classes: number } | null;
  dtype?: DType;
}

/**
 * Embedding (+ positions) -> depth transformer blocks -> final LayerNorm (pre-LN only, as in
 * Xiong et al.) -> optional head. Post-LN and DeepNorm blocks already end in a LayerNorm.
 * forward returns the head's logits, or the final representation [batch, T*d] without a head.
 */
export class TransformerModel {
  readonly spec: Readonly<TransformerModelSpec>;
  readonly dtype: DType;
  readonly embedding: InputEmbedding;
  readonly positions: Positions;
  readonly blocks: readonly TransformerBlock[];
  readonly finalNorm: LayerNorm | null;
  readonly head: Head | null;
  private readonly finalView = new View();
  private readonly finalOutView = new View();
  private readonly dFinalView = new View();
  private readonly dFinalOutView = new View();
  private rep: Mat | null = null;
  private dEmbedded: Mat | null = null;

  constructor(spec: TransformerModelSpec) {
    if (!Number.isInteger(spec.depth) || spec.depth < 1) {
      throw new RangeError(`transformer: depth must be a positive integer, got ${spec.depth}`);
    }
    this.spec = { ...spec };
    const dtype = spec.dtype ?? "f64";
    this.dtype = dtype;
    const { width: d, seqLen: T } = spec;
    this.embedding = new InputEmbedding(spec.inputDim, d, T, dtype);
    this.positions = new Positions(spec.positions, T, d, dtype);
    const alpha = spec.normPosition === "deepnorm" ? deepNormAlpha(spec.depth) : 1;
    const blocks: TransformerBlock[] = [];
    for (let l = 0; l < spec.depth; l++) {
      blocks.push(
        new TransformerBlock({
          width: d,
          heads: spec.heads,
          ffnWidth: spec.ffnWidth,
          seqLen: T,
          normPosition: spec.normPosition,
          alpha,
          activation: spec.activation ?? "relu",
          dtype,
        }),
      );
    }
    this.blocks = blocks;
    this.finalNorm = spec.normPosition === "pre" ? new LayerNorm(d, dtype) : null;
    const head = spec.head ?? null;
    this.head =
      head === null
        ? null
        : head.kind === "sequence"
          ? new SequenceHead(d, T, head.classes, dtype)
          : new TokenHead(d, T, head.classes, dtype);
  }

  get depth(): number {
    return this.blocks.length;
  }

  /** The final representation of the last forward (after the final LN), [batch, T*d]. */
  get representation(): Mat {
    if (!this.rep) throw new Error("transformer: no forward yet");
    return this.rep;
  }

  /** dL/d(embeddings + positions) of the last backward: the first block's input gradient. */
  get embeddedGrad(): Mat {
    if (!this.dEmbedded) throw new Error("transformer: no backward yet");
    return this.dEmbedded;
  }

  // x: [batch, T*inputDim] -> logits, or the representation [batch, T*d]
  forward(x: Mat, mode: Mode = "train"): Mat {
    let h = this.embedding.forward(x);
    this.positions.add(h);
    for (const block of this.blocks) h = block.forward(h, mode);
    if (this.finalNorm) {
      const d = this.spec.width;
      const u = this.finalNorm.forward(this.finalView.of(h, h.rows * this.spec.seqLen, d));
      h = this.finalOutView.of(u, h.rows, h.cols);
    }
    this.rep = h;
    return this.head ? this.head.forward(h) : h;
  }

  // dy: the gradient of forward's output; sets every parameter gradient
  backward(dy: Mat): void {
    let g = this.head ? this.head.backward(dy) : dy;
    if (this.finalNorm) {
      const d = this.spec.width;
      const du = this.finalNorm.backward(this.dFinalView.of(g, g.rows * this.spec.seqLen, d));
      g = this.dFinalOutView.of(du, g.rows, g.cols);
    }
    for (let l = this.blocks.length - 1; l >= 0; l--) g = this.blocks[l]!.backward(g);
    this.dEmbedded = g;
    this.positions.backward(g);
    this.embedding.backward(g);
  }

  params(): Param[] {
    const out: Param[] = [];
    const add = (prefix: string, ps: Param[]) => {
      for (const p of ps) out.push({ ...p, name: `${prefix}.${p.name}` });
    };
    add("embed", this.embedding.params());
    add("pos", this.positions.params());
    this.blocks.forEach((block, l) => {
      add(`block${l + 1}`, block.params());
    });
    if (this.finalNorm) add("final", this.finalNorm.params());
    if (this.head) add("head", this.head.params());
    return out;
  }
}
