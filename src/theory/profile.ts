import {
  type ActivationLike,
  meanActivation,
  meanSquareActivation,
  meanSquareDerivative,
  type QuadratureOptions,
  resolveActivation,
} from "./maps.ts";

/**
 * Mean-field prediction, layer by layer, for a concrete network of finite depth L (the probe
 * network of src/core/network.ts):
 *   z^l = W^l a^{l-1} + b^l,  a^0 = x,
 *   a^l = phi(z^l)                      (plain block)
 *   a^l = a^{l-1} + s phi(z^l)          (residual block, when the shapes allow it),
 * with the random-projection loss L = sum_i R_i a^L_i, R_i ~ N(0, 1). Derivations and the
 * approximations made (infinite width, gradient independence) are in docs/THEORY.md.
 */

export interface ProfileOptions extends QuadratureOptions {
  activation: ActivationLike;
  weightVar: number;
  biasVar: number;
  /** Number of hidden blocks L >= 1. */
  depth: number;
  /** Mean of x^2 over input units (the input enters layer 1 as is, not through phi). Default 1. */
  inputMeanSq?: number;
  /** Mean of x over input units; enters only the residual cross term. Default 0. */
  inputMean?: number;
  /** Residual blocks a^l = a^{l-1} + branchScale phi(z^l). Default false. */
  residual?: boolean;
  /** Residual branch scale s. Default 1. */
  branchScale?: number;
  /** Input and hidden widths: layer 1 is residual only when they are equal, and its input
   *  gradient picks up the fan ratio width / inputDim. Default: equal. */
  inputDim?: number;
  width?: number;
}

export interface LayerPrediction {
  /** 1-based, from the input side. */
  layer: number;
  /** Mean of (z^l)^2. */
  q: number;
  /** Mean of phi(z^l). */
  phiMean: number;
  /** Standard deviation of phi(z^l) over units and examples. */
  phiStd: number;
  /** Mean of (a^l)^2, the block output (= E[phi^2] for a plain block). */
  outputMeanSq: number;
  /** Mean of a^l (= phiMean for a plain block). */
  outputMean: number;
  /** Mean of (dL/da^l)^2 (1 at the top: dL/da^L = R). */
  gradOutputMeanSq: number;
  /** Mean of (dL/dz^l)^2. */
  gradPreactMeanSq: number;
  /** Mean of (dL/dW^l_ij)^2 for one example: gradPreactMeanSq times the mean of (a^{l-1})^2. */
  gradWeightMeanSq: number;
  /**
   * Mean-square gradient factor of block l going down: mean (dL/da^{l-1})^2 / mean
   * (dL/da^l)^2. Plain block: weightVar E[phi'(z^l)^2], the local chi1, which is also
   * gradPreactMeanSq_l / gradPreactMeanSq_{l+1}. Residual block: 1 + s^2 weightVar E[phi'^2].
   */
  factor: number;
  /** Whether this block has the skip connection. */
  residual: boolean;
}

/** Predicted per-layer profile of lengths and gradients (see LayerPrediction). */
export function predictProfile(options: ProfileOptions): LayerPrediction[] {
  const act = resolveActivation(options.activation);
  const { weightVar, biasVar, depth } = options;
  if (!Number.isInteger(depth) || depth < 1) {
    throw new RangeError(`depth must be a positive integer, got ${depth}`);
  }
  if (!(weightVar >= 0) || !(biasVar >= 0)) {
    throw new RangeError(`variances must be >= 0, got ${weightVar}, ${biasVar}`);
  }
  const inputMeanSq = options.inputMeanSq ?? 1;
  const inputMean = options.inputMean ?? 0;
  const s = options.branchScale ?? 1;
  const residual = options.residual ?? false;
  const width = options.width;
  const inputDim = options.inputDim;
  const firstSkip =
    residual && (inputDim === undefined || width === undefined || inputDim === width);
  const fanRatio = inputDim !== undefined && width !== undefined ? width / inputDim : 1;

  // Forward: track mean m and second moment p of a^{l-1} (a^0 = x).
  const rows: LayerPrediction[] = [];
  const dphi2: number[] = [];
  let m = inputMean;
  let p = inputMeanSq;
  for (let l = 1; l <= depth; l++) {
    const skip = residual && (l > 1 || firstSkip);
    const q = weightVar * p + biasVar;
    const mu = meanActivation(act, q, options);
    const phi2 = meanSquareActivation(act, q, options);
    dphi2.push(meanSquareDerivative(act, q, options));
    const prevP = p;
    if (skip) {
      // E[(a + s phi)^2] = E[a^2] + s^2 E[phi^2] + 2 s E[a] E[phi]: z^l_i is independent of
      // a^{l-1}_i in mean field (it sums N terms through fresh zero-mean weights).
      p = prevP + s * s * phi2 + 2 * s * m * mu;
      m = m + s * mu;
    } else {
      p = phi2;
      m = mu;
    }
    rows.push({
      layer: l,
      q,
      phiMean: mu,
      phiStd: Math.sqrt(Math.max(phi2 - mu * mu, 0)),
      outputMeanSq: p,
      outputMean: m,
      gradOutputMeanSq: Number.NaN,
      gradPreactMeanSq: Number.NaN,
      gradWeightMeanSq: prevP, // times gradPreactMeanSq below
      factor: Number.NaN,
      residual: skip,
    });
  }

  // Backward: G_l = mean (dL/da^l)^2, G_L = E[R^2] = 1.
  let G = 1;
  for (let l = depth; l >= 1; l--) {
    const row = rows[l - 1]!;
    const d2 = dphi2[l - 1]!;
    const fan = l === 1 ? fanRatio : 1;
    row.gradOutputMeanSq = G;
    if (row.residual) {
      // dL/dz = s phi'(z) dL/da; dL/da^{l-1} = dL/da^l + W^T dL/dz (cross term 0).
      row.gradPreactMeanSq = s * s * d2 * G;
      row.factor = 1 + fan * weightVar * s * s * d2;
    } else {
      row.gradPreactMeanSq = d2 * G;
      row.factor = fan * weightVar * d2;
    }
    row.gradWeightMeanSq *= row.gradPreactMeanSq;
    G *= row.factor;
  }
  return rows;
}
