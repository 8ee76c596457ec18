import type { FloatArray } from "../dtype.ts";
import { adamStepFast } from "../kernels/reductions.ts";
import type { Param } from "../layers/layer.ts";
import type { OptimizerOptions } from "./optimizer.ts";
import { StatefulOptimizer } from "./stateful-optimizer.ts";
import { checkHyper, checkStepArgs, shiftedStd } from "./step-checks.ts";

export type AdamName = "adam" | "adamw";

/**
 * Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019) as `torch.optim.Adam` and
 * `torch.optim.AdamW` (amsgrad off), in PyTorch's operation order. At step t (from 1), per
 * element with first and second moments m, v (zero before the first step):
 *
 *     adam:  g = grad + wd * p            adamw: g = grad;  p = p * (1 - lr * wd)
 *     m = lerp(m, g, 1 - beta1)           (m + (1 - beta1) (g - m), torch's lerp formula)
 *     v = v * beta2 + (1 - beta2) * g * g
 *     p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 *
 * so the first step moves each coordinate by lr * g / (|g| + eps), i.e. lr * sign(g).
 * Weight decay defaults to 0 for "adam" and 0.01 for "adamw" (PyTorch's defaults).
 */
export class Adam extends StatefulOptimizer {
  readonly name: AdamName;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;

  constructor(name: AdamName = "adam", options: OptimizerOptions = {}) {
    super(["m", "v"]);
    this.name = name;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? (name === "adamw" ? 0.01 : 0);
    checkHyper("beta1", this.beta1, 0, 1);
    checkHyper("beta2", this.beta2, 0, 1);
    checkHyper("eps", this.eps, 0, Number.MAX_VALUE, true);
    checkHyper("weightDecay", this.weightDecay, 0, Number.MAX_VALUE, true);
  }

  step(
    params: readonly Param[],
    lr: number,
    updateStd?: Float64Array,
    weightSums?: Float64Array,
  ): void {
    checkStepArgs(params, lr, updateStd, weightSums);
    this.slots.bind(params);
    const t = this.t + 1;
    const decoupled = this.name === "adamw";
    const h = hyper;
    h[0] = 1 - this.beta1; // w1
    h[1] = this.beta2;
    h[2] = 1 - this.beta2; // w2
    h[3] = this.eps;
    h[4] = lr / (1 - this.beta1 ** t); // step size
    h[5] = Math.sqrt(1 - this.beta2 ** t); // sqrt of the second bias correction
    h[6] = decoupled ? 0 : this.weightDecay; // L2 term added to the gradient
    h[7] = decoupled ? 1 - lr * this.weightDecay : 1; // AdamW's decay of the weights
    const ms = this.slots.slot(0);
    const vs = this.slots.slot(1);
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!;
      const x = p.value.data;
      const g = p.grad.data;
      const n = p.value.size;
      // The native / wasm kernels run the same loop (bit for bit); only the sums' order differs.
      if (!adamStepFast(x, g, ms[i]!, vs[i]!, n, h, sums)) {
        adamStepTs(x, g, ms[i]!, vs[i]!, n, h, sums);
      }
      if (updateStd !== undefined) updateStd[i] = shiftedStd(sums[0]!, sums[1]!, n);
      if (weightSums !== undefined) {
        weightSums[2 * i] = sums[2]!;
        weightSums[2 * i + 1] = sums[3]!;
      }
    }
    this.t = t;
  }
}

/** The step's hyperparameters, in KernelProvider.adamStep's order, and its sums: reused. */
const hyper = new Float64Array(8);
const sums = new Float64Array(4);

/**
 * One Adam step of x[0..n) with moments m, v (see the class comment), in PyTorch's operation
 * order; h as KernelProvider.adamStep's hyper. out = [sum e, sum e^2, sum x_new, sum x_new^2],
 * e the update shifted by the first one's (for the update's std without cancellation).
 * Exported for the native kernel's tests.
 */
export function adamStepTs(
  x: FloatArray,
  g: FloatArray,
  m: Float64Array,
  v: Float64Array,
  n: number,
  h: Float64Array,
  out: Float64Array,
): void {
  const w1 = h[0]!;
  const beta2 = h[1]!;
  const w2 = h[2]!;
  const eps = h[3]!;
  const stepSize = h[4]!;
  const bc2Sqrt = h[5]!;
  const l2 = h[6]!;
  const decay = h[7]!;
  let shift = 0;
  let s1 = 0;
  let s2 = 0;
  let w = 0;
  let ww = 0;
  for (let j = 0; j < n; j++) {
    const old = x[j]!;
    let pj = old;
    let gj = g[j]!;
    if (l2 !== 0) gj += l2 * pj;
    if (decay !== 1) pj *= decay;
    const mPrev = m[j]!;
    // torch.lerp(m, g, w1): the formula depends on the side of 0.5 the weight is on.
    const mj = w1 < 0.5 ? mPrev + w1 * (gj - mPrev) : gj - (gj - mPrev) * (1 - w1);
    const vj = v[j]! * beta2 + w2 * gj * gj;
    m[j] = mj;
    v[j] = vj;
    x[j] = pj - stepSize * (mj / (Math.sqrt(vj) / bc2Sqrt + eps));
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
