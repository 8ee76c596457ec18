import type { FloatArray } from "../../core/dtype.ts";
import type { RecurrentLayer } from "../../core/recurrent/recurrent-layer.ts";
import { RnnCell } from "../../core/recurrent/rnn-cell.ts";
import { countNonFinite, l2Norm, meanStd } from "../../probe/stats.ts";

/** What the probe measures at one time step t (1..T) after a backward pass. */
export interface TimeStepMetrics {
  t: number;
  /** Frobenius norm over the batch of dL/dh_t (the total derivative through later steps). */
  gradHiddenNorm: number;
  /** Mean over batch and units of (dL/dh_t)^2. */
  gradHiddenMeanSq: number;
  /** Standard deviation of h_t over batch and units. */
  hiddenStd: number;
  /** Mean of h_t^2: the forward signal of the flow verdict. */
  hiddenMeanSq: number;
  /**
   * Fraction of saturated units: rnn with a bounded activation, phi'(u_t) < 0.01 sup phi'
   * (as the MLP's metric; 0 for unbounded activations); lstm, 1 - tanh(c_t)^2 < 0.01; gru,
   * 1 - n_t^2 < 0.01 (the candidate state).
   */
  saturated: number;
  /** NaN/Inf entries among h_t and dL/dh_t. */
  nonfinite: number;
  /**
   * dL/dh_t is exactly zero while dL/dh_{t+1} is nonzero but below 1e-30 in RMS: the dtype
   * rounded it away (a true zero, e.g. a dead ReLU layer, comes from a gradient in range).
   */
  underflow: boolean;
  /** The linear RNN's profile |dL/dh_T| rho^(T-t) where it applies, else null. */
  predicted: number | null;
}

const SATURATED = 0.01;

function saturatedTanh(
  a: FloatArray,
  offset: number,
  stride: number,
  width: number,
  rows: number,
): number {
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const o = offset + r * stride;
    for (let j = 0; j < width; j++) {
      const v = a[o + j]!;
      if (1 - v * v < SATURATED) count++;
    }
  }
  return count / (rows * width);
}

/**
 * Per-step metrics of a layer after forward and backward; `linearProfile` (rho^(T-t), t =
 * 1..T) fills `predicted` scaled to the measured |dL/dh_T|.
 */
export function measureTimeSteps(
  layer: RecurrentLayer,
  linearProfile: readonly number[] | null,
  scratch: Float64Array = new Float64Array(layer.batch * layer.hidden),
): TimeStepMetrics[] {
  const T = layer.seqLen;
  const H = layer.hidden;
  const B = layer.batch;
  const n = B * H;
  const out: TimeStepMetrics[] = [];
  const topNorm = l2Norm(layer.gradHiddenAt(T), n);
  const activation = layer.cell instanceof RnnCell ? layer.cell.activation : null;
  let above = Number.NaN; // RMS of dL/dh_{t+1}
  const rms: number[] = new Array(T + 1).fill(Number.NaN);
  for (let t = T; t >= 1; t--) rms[t] = l2Norm(layer.gradHiddenAt(t), n) / Math.sqrt(n);
  for (let t = 1; t <= T; t++) {
    const h = layer.hiddenAt(t);
    const dh = layer.gradHiddenAt(t);
    const gNorm = l2Norm(dh, n);
    const hNorm = l2Norm(h, n);
    let saturated = 0;
    if (layer.kind === "lstm") saturated = saturatedTanh(layer.tanhCellAt(t), 0, H, H, B);
    else if (layer.kind === "gru") saturated = saturatedTanh(layer.gatesAt(t), 2 * H, 3 * H, H, B);
    else if (activation?.bounded) {
      activation.derivatives(layer.gatesAt(t), h, scratch, n);
      const cut = SATURATED * activation.maxDerivative;
      let low = 0;
      for (let k = 0; k < n; k++) if (scratch[k]! < cut) low++;
      saturated = low / n;
    }
    above = t < T ? rms[t + 1]! : Number.NaN;
    out.push({
      t,
      gradHiddenNorm: gNorm,
      gradHiddenMeanSq: (gNorm * gNorm) / n,
      hiddenStd: meanStd(h, n).std,
      hiddenMeanSq: (hNorm * hNorm) / n,
      saturated,
      nonfinite: countNonFinite(h, n) + countNonFinite(dh, n),
      underflow: gNorm === 0 && above > 0 && above < 1e-30,
      predicted: linearProfile ? topNorm * linearProfile[t - 1]! : null,
    });
  }
  return out;
}
