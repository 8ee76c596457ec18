import { type ActivationName, getActivation } from "./activations.ts";
import type { DType } from "./dtype.ts";
import { type InitName, type InitOptions, initDense } from "./init.ts";
import { Dense } from "./layers/dense.ts";
import { HiddenBlock, type Normalization } from "./layers/hidden-block.ts";
import type { Mode, Param } from "./layers/layer.ts";
import type { Mat } from "./mat.ts";
import type { Rng } from "./rng.ts";

/** The shape of a deep fully connected network: `depth` hidden blocks of `width` units. */
export interface NetworkSpec {
  inputDim: number;
  depth: number;
  width: number;
  activation: ActivationName;
  /** Negative slope of leaky ReLU. */
  slope?: number;
  normalization?: Normalization;
  residual?: boolean;
  branchScale?: number;
  /** Size of a final linear readout layer; omitted or 0 for none (the probe setup). */
  outputs?: number;
  dtype?: DType;
}

/**
 * Observers called as each hidden block finishes its forward or backward pass. With none
 * registered the network only checks an empty array, so probes cost nothing when unused.
 */
export interface NetworkHooks {
  afterBlockForward?(index: number, block: HiddenBlock): void;
  afterBlockBackward?(index: number, block: HiddenBlock): void;
}

export class Network {
  readonly spec: Readonly<NetworkSpec>;
  readonly blocks: readonly HiddenBlock[];
  readonly readout: Dense | null;
  readonly dtype: DType;
  readonly hooks: NetworkHooks[] = [];

  constructor(spec: NetworkSpec) {
    if (!Number.isInteger(spec.depth) || spec.depth < 1) {
      throw new RangeError(`depth must be a positive integer, got ${spec.depth}`);
    }
    this.spec = { ...spec };
    this.dtype = spec.dtype ?? "f64";
    const activation = getActivation(
      spec.activation,
      spec.slope === undefined ? {} : { slope: spec.slope },
    );
    const blocks: HiddenBlock[] = [];
    for (let l = 0; l < spec.depth; l++) {
      blocks.push(
        new HiddenBlock({
          inputDim: l === 0 ? spec.inputDim : spec.width,
          width: spec.width,
          activation,
          normalization: spec.normalization ?? "none",
          residual: spec.residual ?? false,
          branchScale: spec.branchScale ?? 1,
          dtype: this.dtype,
        }),
      );
    }
    // Nothing upstream of the input needs its gradient: skip that product.
    blocks[0]!.dense.computeInputGrad = false;
    this.blocks = blocks;
    this.readout = spec.outputs ? new Dense(spec.width, spec.outputs, this.dtype) : null;
  }

  get depth(): number {
    return this.blocks.length;
  }

  /** Draw every weight and bias (hidden blocks, then the readout) from `rng`. */
  initialize(init: InitName, options: InitOptions, rng: Rng): void {
    for (const block of this.blocks) initDense(block.dense.W, block.dense.b, init, options, rng);
    if (this.readout) initDense(this.readout.W, this.readout.b, init, options, rng);
  }

  // x: [batch, inputDim] -> y: [batch, outputs or width]
  forward(x: Mat, mode: Mode = "train"): Mat {
    let a = x;
    const hooks = this.hooks;
    for (let l = 0; l < this.blocks.length; l++) {
      const block = this.blocks[l]!;
      a = block.forward(a, mode);
      for (let h = 0; h < hooks.length; h++) hooks[h]!.afterBlockForward?.(l, block);
    }
    return this.readout ? this.readout.forward(a, mode) : a;
  }

  // dy: [batch, outputs or width] -> fills every parameter gradient
  backward(dy: Mat): void {
    let da = this.readout ? this.readout.backward(dy) : dy;
    const hooks = this.hooks;
    for (let l = this.blocks.length - 1; l >= 0; l--) {
      const block = this.blocks[l]!;
      da = block.backward(da);
      for (let h = 0; h < hooks.length; h++) hooks[h]!.afterBlockBackward?.(l, block);
    }
  }

  params(): Param[] {
    const out: Param[] = [];
    this.blocks.forEach((block, l) => {
      for (const p of block.params()) out.push({ ...p, name: `layer${l + 1}.${p.name}` });
    });
    if (this.readout) {
      for (const p of this.readout.params()) out.push({ ...p, name: `readout.${p.name}` });
    }
    return out;
  }
}
