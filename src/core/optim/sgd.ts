import type { FloatArray } from "../dtype.ts";
import { axpy } from "../kernels/elementwise.ts";
import { momentumStepFast, sgdStepSumsFast } from "../kernels/reductions.ts";
import type { Param } from "../layers/layer.ts";
import type { OptimizerOptions } from "./optimizer.ts";
import { StatefulOptimizer } from "./stateful-optimizer.ts";
import { checkHyper, checkStepArgs, shiftedStd } from "./step-checks.ts";

export type SgdName = "sgd" | "momentum" | "nesterov";

/**
 * Stochastic gradient descent as `torch.optim.SGD` with dampening 0. Per element, with
 * weight decay wd, momentum mu and the momentum buffer b (zero before the first step):
 *
 *     g = grad + wd * p
 *     b = mu * b + g                    (mu > 0)
 *     d = nesterov ? g + mu * b : b     (d = g when mu = 0)
 *     p = p - lr * d
 *
 * "sgd" has mu = 0 unless `momentum` is given; "momentum" and "nesterov" default to 0.9, and
 * "nesterov" requires mu > 0 (as PyTorch does). PyTorch's first step sets b = g, which equals
 * mu * 0 + g exactly.
 */
export class Sgd extends StatefulOptimizer {
  readonly name: SgdName;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(name: SgdName = "sgd", options: OptimizerOptions = {}) {
    const momentum = options.momentum ?? (name === "sgd" ? 0 : 0.9);
    super(momentum === 0 ? [] : ["momentum"]);
    this.name = name;
    this.momentum = momentum;
    this.weightDecay = options.weightDecay ?? 0;
    this.nesterov = name === "nesterov";
    checkHyper("momentum", this.momentum, 0, 1, true);
    checkHyper("weightDecay", this.weightDecay, 0, Number.MAX_VALUE, true);
    if (this.nesterov && this.momentum === 0) {
      throw new RangeError("nesterov needs momentum > 0");
    }
  }

  step(
    params: readonly Param[],
    lr: number,
    updateStd?: Float64Array,
    weightSums?: Float64Array,
  ): void {
    checkStepArgs(params, lr, updateStd, weightSums);
    this.slots.bind(params);
    const mu = this.momentum;
    const wd = this.weightDecay;
    const buffers = mu === 0 ? null : this.slots.slot(0);
    const plain = buffers === null && wd === 0;
    if (plain && updateStd === undefined && weightSums === undefined) {
      // Plain SGD, no statistics wanted: p = p + (-lr) g is exactly p - lr * g below.
      for (const p of params) axpy(-lr, p.grad.data, p.value.data, p.value.size);
      this.t++;
      return;
    }
    const h = hyper;
    h[0] = lr;
    h[1] = mu;
    h[2] = wd;
    h[3] = this.nesterov ? 1 : 0;
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!;
      const x = p.value.data;
      const g = p.grad.data;
      const n = p.value.size;
      if (plain) {
        // The native or wasm kernel runs plainStepSumsTs's loop; only the sums' order differs.
        if (!sgdStepSumsFast(lr, x, g, n, stepSums)) plainStepSumsTs(x, g, n, lr, stepSums);
      } else {
        // The native / wasm kernels run the same loop (bit for bit); only the sums' order differs.
        const b = buffers === null ? null : buffers[i]!;
        if (!momentumStepFast(x, g, b, n, h, stepSums)) {
          momentumStepTs(x, g, b, n, h, stepSums);
        }
      }
      if (updateStd !== undefined) updateStd[i] = shiftedStd(stepSums[0]!, stepSums[1]!, n);
      if (weightSums !== undefined) {
        weightSums[2 * i] = stepSums[2]!;
        weightSums[2 * i + 1] = stepSums[3]!;
      }
    }
    this.t++;
  }
}

/** The step's hyperparameters, in KernelProvider.momentumStep's order: reused. */
const hyper = new Float64Array(4);

/**
 * One SGD step of x[0..n) with momentum buffer b (null: weight decay only), h as
 * KernelProvider.momentumStep's hyper, in PyTorch's order (see the class comment). out = [sum
 * e, sum e^2, sum x_new, sum x_new^2], e the update shifted by the first one's. Exported for
 * the native kernel's tests.
 */
export function momentumStepTs(
  x: FloatArray,
  g: FloatArray,
  b: Float64Array | null,
  n: number,
  h: Float64Array,
  out: Float64Array,
): void {
  const lr = h[0]!;
  const mu = h[1]!;
  const wd = h[2]!;
  const nesterov = h[3] !== 0;
  let shift = 0;
  let s1 = 0;
  let s2 = 0;
  let w = 0;
  let ww = 0;
  for (let j = 0; j < n; j++) {
    const old = x[j]!;
    let d = g[j]!;
    if (wd !== 0) d += wd * old;
    if (b !== null) {
      const bj = mu * b[j]! + d;
      b[j] = bj;
      d = nesterov ? d + mu * bj : bj;
    }
    x[j] = old - lr * d;
    const now = x[j]!;
    const delta = now - old;
    if (j === 0) shift = delta;
    const e = delta - shift;
    s1 += e;
    s2 += e * e;
    w += now;
    ww += now * now;
  }
  out[0] = s1;
  out[1] = s2;
  out[2] = w;
  out[3] = ww;
}

/** The sums a step fills ([sum e, sum e^2, sum x_new, sum x_new^2]), reused. */
const stepSums = new Float64Array(4);

/**
 * One plain SGD step x = x - lr g with its sums (the std of the update as stored, so a float32
 * rounding counts, and the new weights' sums, which the next recorded step reuses): out = [sum
 * e, sum e^2, sum x_new, sum x_new^2], e the update shifted by the first one's. Exported for
 * the native and wasm kernels' tests.
 */
export function plainStepSumsTs(
  x: FloatArray,
  g: FloatArray,
  n: number,
  lr: number,
  sums: Float64Array,
): void {
  sums.fill(0, 0, 4);
  if (n === 0) return;
  const old0 = x[0]!;
  x[0] = old0 - lr * g[0]!;
  const new0 = x[0]!;
  const shift = new0 - old0;
  let s1 = 0;
  let s2 = 0;
  let w1 = new0;
  let w2 = new0 * new0;
  for (let j = 1; j < n; j++) {
    const old = x[j]!;
    x[j] = old - lr * g[j]!;
    const now = x[j]!;
    const e = now - old - shift;
    s1 += e;
    s2 += e * e;
    w1 += now;
    w2 += now * now;
  }
  sums[0] = s1;
  sums[1] = s2;
  sums[2] = w1;
  sums[3] = w2;
}
