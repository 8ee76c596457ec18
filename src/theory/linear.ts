/**
 * Deep linear networks y = W^L ... W^1 x with Gaussian W^l_ij ~ N(0, weightVar / N) (no
 * bias): exact finite-width statements about the product of matrices, complementing the
 * infinite-width mean field (Saxe et al. 2014; Pennington et al. 2017, 2018; Hanin 2018).
 *
 * For any fixed vector v, ||W v||^2 = weightVar ||v||^2 chi^2_N / N exactly (rotation
 * invariance of the Gaussian), independently across layers. Hence after k layers
 *   ||J_k v||^2 / ||v||^2 = weightVar^k prod_{i=1..k} X_i,  X_i ~ chi^2_N / N i.i.d.,
 * whose mean is weightVar^k (what mean field predicts) while its logarithm has mean
 * k (ln weightVar + psi(N/2) - ln(N/2)) < k ln weightVar and variance k psi'(N/2): a
 * typical network sits below the mean, by a factor that grows with depth / width.
 */

export interface LinearOptions {
  weightVar: number;
  depth: number;
  /** Width N (every layer's fan-in). */
  width: number;
}

export interface LinearLayerPrediction {
  /** Number of matrices in the product. */
  layers: number;
  /** E[||J v||^2 / ||v||^2] = weightVar^layers (also the mean-field prediction). */
  meanSq: number;
  /** E[ln(||J v||^2 / ||v||^2)]. */
  logMean: number;
  /** Standard deviation of ln(||J v||^2 / ||v||^2). */
  logStd: number;
  /** exp(logMean): the typical (median-like) value, below meanSq at finite width. */
  typical: number;
  /**
   * Infinite-width spectrum of J^T J / weightVar^layers (Fuss-Catalan law of a product of
   * Ginibre matrices): mean 1, variance = layers, right edge (k+1)^{k+1} / k^k, k = layers.
   */
  spectrumVariance: number;
  spectrumEdge: number;
}

/**
 * Per-depth prediction for the product of the first k = 1..depth matrices (for gradients,
 * read k as the number of layers between the output and the layer considered).
 */
export function linearNetworkPrediction(options: LinearOptions): LinearLayerPrediction[] {
  const { weightVar, depth, width } = options;
  if (!(weightVar > 0)) throw new RangeError(`weightVar must be > 0, got ${weightVar}`);
  if (!Number.isInteger(depth) || depth < 1) {
    throw new RangeError(`depth must be a positive integer, got ${depth}`);
  }
  if (!(width >= 1)) throw new RangeError(`width must be >= 1, got ${width}`);
  const h = width / 2;
  const logFactor = Math.log(weightVar) + digamma(h) - Math.log(h);
  const logVar = trigamma(h);
  const out: LinearLayerPrediction[] = [];
  for (let k = 1; k <= depth; k++) {
    const logMean = k * logFactor;
    out.push({
      layers: k,
      meanSq: weightVar ** k,
      logMean,
      logStd: Math.sqrt(k * logVar),
      typical: Math.exp(logMean),
      spectrumVariance: k,
      spectrumEdge: Math.exp((k + 1) * Math.log(k + 1) - k * Math.log(k)),
    });
  }
  return out;
}

/** Digamma psi(x) for x > 0: recurrence up to x >= 10, then the asymptotic series. */
export function digamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`digamma needs x > 0, got ${x}`);
  let shift = 0;
  while (x < 10) {
    shift -= 1 / x;
    x += 1;
  }
  const r = 1 / (x * x);
  const series =
    r *
    (1 / 12 - r * (1 / 120 - r * (1 / 252 - r * (1 / 240 - r * (1 / 132 - r * (691 / 32760))))));
  return shift + Math.log(x) - 0.5 / x - series;
}

/** Trigamma psi'(x) for x > 0: recurrence up to x >= 10, then the asymptotic series. */
export function trigamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`trigamma needs x > 0, got ${x}`);
  let shift = 0;
  while (x < 10) {
    shift += 1 / (x * x);
    x += 1;
  }
  const r = 1 / (x * x);
  const series =
    1 / x +
    r / 2 +
    (r / x) *
      (1 / 6 - r * (1 / 30 - r * (1 / 42 - r * (1 / 30 - r * (5 / 66 - r * (691 / 2730))))));
  return shift + series;
}
