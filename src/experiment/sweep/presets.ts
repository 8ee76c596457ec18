import type { SweepSpec } from "./spec.ts";

/**
 * Schoenholz et al. (2017), "Deep Information Propagation", at a CPU size: tanh networks on
 * MNIST digits over depth and sigma_w^2 (sigma_b^2 = 0.05), trained briefly with SGD; the
 * trainable region ends near a multiple of the correlation depth scale xi_c, which peaks at
 * the critical sigma_w^2 (~1.76 here). The paper trained width 300 (and more) for longer; this
 * is width 100 and 300 steps of SGD (72 points), so the fitted multiple is smaller than its ~6.
 */
export const SCHOENHOLZ: SweepSpec = {
  name: "schoenholz",
  mode: "train",
  base: {
    dataset: "mnist",
    samples: 3000,
    testFraction: 0.2,
    activation: "tanh",
    init: "normal",
    biasVar: 0.05,
    width: 100,
    batch: 64,
    optimizer: "sgd",
    lr: 0.01,
    steps: 300,
    recordEvery: 300,
    evalEvery: 0,
    dtype: "f32",
  },
  grid: {
    weightVar: [1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4],
    depth: [10, 20, 30, 40, 60, 80, 100, 150, 200],
  },
  seeds: [0],
};

export const SWEEP_PRESETS = { schoenholz: SCHOENHOLZ } as const;
export type SweepPresetName = keyof typeof SWEEP_PRESETS;
