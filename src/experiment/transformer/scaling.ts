import type { NormPosition } from "../../core/transformer/block.ts";
import { frobenius, meanSquare } from "../../core/transformer/view.ts";
import { buildTransformerProbe, transformerForwardBackward } from "./build.ts";
import { type TransformerConfig, transformerConfig } from "./config.ts";

/** Xiong et al.'s measurement at one depth: |dL/dW2| of every block at initialization. */
export interface ScalingRow {
  normPosition: NormPosition;
  depth: number;
  /** Per seed, per block (1-based order): |dL/dW2|_F of the FFN output weight. */
  perSeed: number[][];
  /** Mean over seeds of the first and last block's |dL/dW2|. */
  first: number;
  last: number;
  /** Standard deviation over seeds of the last block's |dL/dW2|. */
  lastStd: number;
  /** Mean over seeds of last / first: > 1 when gradients are larger near the output. */
  lastOverFirst: number;
  /** Per seed: mean square of the last block's output (x_L). */
  lastQ: number[];
}

export interface ScalingOptions {
  depths?: readonly number[];
  seeds?: readonly number[];
  normPositions?: readonly NormPosition[];
  /** The probe configuration apart from depth, normPosition and seed. */
  base?: Partial<TransformerConfig>;
}

/** The probe of the scaling study: Xiong et al.'s block (ReLU FFN of 4d, Xavier), tokens, random projection. */
export const SCALING_BASE: Partial<TransformerConfig> = {
  width: 64,
  heads: 4,
  ffnWidth: 256,
  seqLen: 8,
  batch: 8,
  vocab: 16,
  positions: "sinusoidal",
  init: "xavier-uniform",
  loss: "random-projection",
};

export const SCALING_DEPTHS: readonly number[] = [4, 8, 16, 32, 48];

const mean = (xs: readonly number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
const std = (xs: readonly number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, v) => s + (v - m) ** 2, 0) / Math.max(1, xs.length - 1));
};

/**
 * One probe pass: |dL/dW2| per block, and the mean square of the last block's output (for
 * pre-LN the residual stream x_L that the final LayerNorm divides by its RMS).
 */
export function ffnOutGradNorms(config: TransformerConfig): { grads: number[]; lastQ: number } {
  const setup = buildTransformerProbe(config);
  transformerForwardBackward(setup);
  const blocks = setup.model.blocks;
  const y = blocks.at(-1)!.output;
  return {
    grads: blocks.map((b) => frobenius(b.ffn.fc2.dW)),
    lastQ: meanSquare(y.data, y.size),
  };
}

/** Measure every (norm position, depth) over the seeds. */
export function measureLnScaling(options: ScalingOptions = {}): ScalingRow[] {
  const depths = options.depths ?? SCALING_DEPTHS;
  const seeds = options.seeds ?? [0, 1, 2, 3];
  const rows: ScalingRow[] = [];
  for (const normPosition of options.normPositions ?? (["post", "pre"] as const)) {
    for (const depth of depths) {
      const runs = seeds.map((seed) =>
        ffnOutGradNorms(
          transformerConfig({ ...SCALING_BASE, ...options.base, depth, normPosition, seed }),
        ),
      );
      const perSeed = runs.map((r) => r.grads);
      const lasts = perSeed.map((g) => g.at(-1)!);
      rows.push({
        normPosition,
        depth,
        perSeed,
        first: mean(perSeed.map((g) => g[0]!)),
        last: mean(lasts),
        lastStd: std(lasts),
        lastOverFirst: mean(perSeed.map((g) => g.at(-1)! / g[0]!)),
        lastQ: runs.map((r) => r.lastQ),
      });
    }
  }
  return rows;
}

/** Least-squares slope of log y on log x: the exponent p of y ~ x^p. */
export function fitExponent(xs: readonly number[], ys: readonly number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = mean(lx);
  const my = mean(ly);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < lx.length; i++) {
    sxy += (lx[i]! - mx) * (ly[i]! - my);
    sxx += (lx[i]! - mx) ** 2;
  }
  return sxy / sxx;
}

/**
 * The exponent of the last block's |dL/dW2| against depth for one norm position, fitted per
 * seed (each seed's own sweep over the depths): mean, standard deviation and standard error
 * over seeds, and the fit of the seed-averaged values.
 */
export function lastBlockExponent(
  rows: readonly ScalingRow[],
  normPosition: NormPosition,
): {
  exponent: number;
  perSeedMean: number;
  perSeedStd: number;
  stdError: number;
  /**
   * The exponent that 1/sqrt(E[x_L^2]) has against depth: what the final LayerNorm's Jacobian
   * alone predicts for pre-LN (exactly -1/2 once E[x_L^2] grows linearly in L from zero).
   */
  rmsPrediction: number;
} {
  const rs = rows.filter((r) => r.normPosition === normPosition);
  const depths = rs.map((r) => r.depth);
  const seeds = rs[0]!.perSeed.length;
  const perSeed: number[] = [];
  for (let s = 0; s < seeds; s++) {
    perSeed.push(
      fitExponent(
        depths,
        rs.map((r) => r.perSeed[s]!.at(-1)!),
      ),
    );
  }
  const sd = std(perSeed);
  const invRms = rs.map((r) => mean(r.lastQ.map((q) => 1 / Math.sqrt(q))));
  return {
    rmsPrediction: fitExponent(depths, invRms),
    exponent: fitExponent(
      depths,
      rs.map((r) => r.last),
    ),
    perSeedMean: mean(perSeed),
    perSeedStd: sd,
    stdError: sd / Math.sqrt(seeds),
  };
}
