import { type InitName, initDense } from "../init.ts";
import { Mat } from "../mat.ts";
import type { Rng } from "../rng.ts";
import type { RecurrentLayer } from "./recurrent-layer.ts";

/**
 * Default LSTM forget-gate bias: 1, as Gers, Schmidhuber & Cummins (2000) recommend and
 * Jozefowicz, Zaremba & Sutskever (2015) found to close most of the gap to the best gated
 * architectures. With f = sigmoid(1) ~ 0.73 at initialization the cell state (and its
 * gradient) decays by ~0.73 per step instead of ~0.5, so information from T steps back
 * survives longer. torch.nn.LSTM initializes it to 0 like every other bias.
 */
export const DEFAULT_FORGET_BIAS = 1;

export interface RecurrentInitOptions {
  /** Input weights weight_ih, one [H, I] block per gate. */
  init: InitName;
  /** sigma_w^2, gain and leaky slope of the input weights' init (as for the MLP's layers). */
  weightVar?: number;
  gain?: number;
  slope?: number;
  /**
   * Variance of bias_ih ~ N(0, biasVar); bias_hh starts at zero, so the total bias of each
   * pre-activation has variance biasVar, as an MLP layer's.
   */
  biasVar?: number;
  /**
   * Each [H, H] gate block of weight_hh: `recurrentInit` with weightVar 1, times
   * `recurrentGain`. "orthogonal" gives rho Q (all singular values rho); "identity" gives
   * rho I, the IRNN of Le, Jaitly & Hinton (2015); "normal" gives N(0, rho^2/H) (spectral
   * radius ~rho).
   */
  recurrentInit: InitName;
  recurrentGain?: number;
  /** Added to the LSTM's forget-gate block of bias_ih (default DEFAULT_FORGET_BIAS). */
  forgetBias?: number;
}

/**
 * Draw every parameter of `layer` from `rng`, per gate block so that every block has the
 * fan-out H of one gate (xavier sees [H, I], not [4H, I]) and an orthogonal recurrent block is
 * orthogonal on its own. Order of draws: weight_ih blocks in gate order, bias_ih, weight_hh
 * blocks in gate order; bias_hh draws nothing.
 */
export function initRecurrent(layer: RecurrentLayer, o: RecurrentInitOptions, rng: Rng): void {
  const H = layer.hidden;
  const I = layer.stepInputDim;
  const G = layer.gates;
  const noBias = Mat.zeros(1, H, "f64");
  const inputOptions = {
    weightVar: o.weightVar ?? 1,
    gain: o.gain ?? 1,
    slope: o.slope ?? 0,
    biasVar: 0,
  };
  const block = Mat.zeros(H, I, "f64");
  for (let g = 0; g < G; g++) {
    initDense(block, noBias, o.init, inputOptions, rng);
    layer.weightIh.data.set(block.data, g * H * I);
  }
  const biasVar = o.biasVar ?? 0;
  if (!(biasVar >= 0) || !Number.isFinite(biasVar)) {
    throw new RangeError(`init: biasVar must be a finite number >= 0, got ${biasVar}`);
  }
  const std = Math.sqrt(biasVar);
  const bih = layer.biasIh.data;
  for (let k = 0; k < G * H; k++) bih[k] = biasVar > 0 ? std * rng.normal() : 0;
  const rec = Mat.zeros(H, H, "f64");
  const recurrentOptions = { weightVar: 1, gain: o.recurrentGain ?? 1, slope: 0, biasVar: 0 };
  for (let g = 0; g < G; g++) {
    initDense(rec, noBias, o.recurrentInit, recurrentOptions, rng);
    layer.weightHh.data.set(rec.data, g * H * H);
  }
  layer.biasHh.fill(0);
  if (layer.kind === "lstm") {
    const fb = o.forgetBias ?? DEFAULT_FORGET_BIAS;
    if (!Number.isFinite(fb)) throw new RangeError(`init: forgetBias must be finite, got ${fb}`);
    for (let j = 0; j < H; j++) bih[H + j] = bih[H + j]! + fb;
  }
}
