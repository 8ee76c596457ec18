import { Mat } from "../../core/mat.ts";
import type { Rng } from "../../core/rng.ts";

/**
 * Minibatches of a training set, drawn without replacement: at the start of every epoch the
 * example order is reshuffled (seeded Fisher-Yates on a permutation kept from epoch to epoch)
 * and cut into floor(n / batch) batches; the n mod batch examples left over sit out that
 * epoch (a different few each time). `x` and `y` are allocated once and refilled by `next`,
 * so drawing a batch allocates nothing.
 */
export class MinibatchSampler {
  /** The current batch's inputs, [batch, inputDim]. */
  readonly x: Mat;
  /** The current batch's targets, [batch, outputDim]. */
  readonly y: Mat;
  readonly batch: number;
  /** Epochs started so far (1 after the first `next`). */
  epoch = 0;
  private readonly order: Int32Array;
  private pos: number;

  constructor(
    private readonly X: Mat,
    private readonly Y: Mat,
    batch: number,
    private readonly rng: Rng,
  ) {
    const n = X.rows;
    if (Y.rows !== n) throw new RangeError(`sampler: ${n} inputs but ${Y.rows} targets`);
    if (!(Number.isInteger(batch) && batch >= 1 && batch <= n)) {
      throw new RangeError(`sampler: batch must be an integer in 1..${n}, got ${batch}`);
    }
    this.batch = batch;
    this.x = Mat.zeros(batch, X.cols, X.dtype);
    this.y = Mat.zeros(batch, Y.cols, Y.dtype);
    this.order = new Int32Array(n);
    for (let i = 0; i < n; i++) this.order[i] = i;
    this.pos = n; // forces a shuffle on the first draw
  }

  /** Fill `x` and `y` with the next minibatch. */
  next(): void {
    const n = this.order.length;
    if (this.pos + this.batch > n) {
      const order = this.order;
      for (let i = n - 1; i > 0; i--) {
        const j = this.rng.int(i + 1);
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
      this.pos = 0;
      this.epoch++;
    }
    copyRows(this.X, this.order, this.pos, this.batch, this.x);
    copyRows(this.Y, this.order, this.pos, this.batch, this.y);
    this.pos += this.batch;
  }

  /** The sampler's position (example order, next row, epoch, shuffle RNG), for checkpoints. */
  state(): SamplerState {
    return {
      order: Array.from(this.order),
      pos: this.pos,
      epoch: this.epoch,
      rng: this.rng.state(),
    };
  }

  /** Restore a position from `state()` of a sampler over the same data and batch size. */
  setState(state: SamplerState): void {
    const n = this.order.length;
    const seen = new Uint8Array(n);
    if (state.order.length !== n) {
      throw new RangeError(`sampler: the state orders ${state.order.length} examples, not ${n}`);
    }
    for (const i of state.order) {
      if (!(Number.isInteger(i) && i >= 0 && i < n) || seen[i]) {
        throw new RangeError("sampler: the state's order is not a permutation");
      }
      seen[i] = 1;
    }
    if (!(Number.isInteger(state.pos) && state.pos >= 0 && state.pos <= n)) {
      throw new RangeError(`sampler: the state's position ${state.pos} is outside 0..${n}`);
    }
    if (!(Number.isInteger(state.epoch) && state.epoch >= 0)) {
      throw new RangeError(`sampler: the state's epoch ${state.epoch} is not a count`);
    }
    this.rng.setState(state.rng);
    this.order.set(state.order);
    this.pos = state.pos;
    this.epoch = state.epoch;
  }
}

/** A MinibatchSampler's position, as `state()` returns it (plain numbers, JSON-ready). */
export interface SamplerState {
  order: number[];
  pos: number;
  epoch: number;
  rng: number[];
}

/** out[r] = src[order[from + r]] for r < count. */
export function copyRows(src: Mat, order: Int32Array, from: number, count: number, out: Mat): void {
  const c = src.cols;
  const s = src.data;
  const d = out.data;
  for (let r = 0; r < count; r++) {
    const o = order[from + r]! * c;
    const t = r * c;
    for (let j = 0; j < c; j++) d[t + j] = s[o + j]!;
  }
}
