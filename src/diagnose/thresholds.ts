/**
 * Every threshold of the diagnosis, in one place. Fractions are of entries (saturated,
 * inactive) or of units (dead) of one layer, as defined in DESIGN.md; update ratios are log10(std(delta W) / std(W)).
 */
export const THRESHOLDS = {
  // vanishing / exploding: decided by the verdict (src/verdict/thresholds.ts); these only
  // choose which layers a finding names and what a remedy aims at
  /** An exploding finding names the layers whose gradient norm exceeds layer L's by this factor. */
  explodingLayerFactor: 10,
  /** A layer is named in a training explosion when its gradient norm grew by more than this. */
  explodingGrowth: 1e3,
  /** Remedy reduce-depth aims at a first-to-last ratio of at least this (at the measured factor). */
  reduceDepthTargetRatio: 1e-2,

  // saturation (bounded activations)
  /** A layer is saturated when more than this fraction of its entries have phi' < 1% of max phi'. */
  saturatedFraction: 0.2,
  /** Warning when at least this share of the layers is saturated (info below). */
  saturationWarningLayerShare: 0.25,
  /** Critical when the saturated fraction averaged over all layers exceeds this. */
  saturationCriticalMean: 0.5,

  // dead units (ReLU family)
  /** A layer has dead units when more than this fraction of its units never activate. */
  deadFraction: 0.3,
  /** ... or when more than this fraction of its entries have phi' = 0. */
  inactiveFraction: 0.9,
  /** Warning when some layer has more dead units than this, or the mean over layers exceeds deadWarningMean. */
  deadWarningMax: 0.5,
  deadWarningMean: 0.3,
  /** Critical when some layer has more dead units than this, or the mean exceeds deadCriticalMean. */
  deadCriticalMax: 0.9,
  deadCriticalMean: 0.5,
  /** Dead fraction grown by more than this between the first and last snapshot: units died in training. */
  deadGrowth: 0.1,
  /** biasVar above this share of the pre-activation mean square: the biases decide which units are off. */
  biasShare: 0.25,
  /** dead / inactive above this in the flagged layers: units are on for all examples or off for all. */
  collapseShare: 0.7,

  // unstable updates (training)
  /** Median update ratio (log10) above this in most layers: updates too large. */
  updateRatioHigh: -1,
  /** ... above this: critical (updates larger than the weights). */
  updateRatioCritical: 0,
  /** Median update ratio (log10) below this in most layers: updates too small. */
  updateRatioLow: -5,
  /** "Most layers": more than this share of the layers with an update ratio. */
  updateLayerShare: 0.5,
  /** "Recent steps": the last this fraction of the snapshots that carry update ratios (at least one). */
  recentFraction: 0.25,

  // loss plateau (training)
  /** Relative improvement of the loss over the last half of the steps below this: plateau. */
  plateauImprovement: 0.01,
  /** The share of the steps at the end examined for the plateau. */
  plateauTail: 0.5,
  /** Each end of that tail is the mean of this share of its points (at least one). */
  plateauEdge: 0.2,
  /** No plateau below max(lossFloorAbsolute, lossFloorRelative x initial loss): that is convergence. */
  lossFloorAbsolute: 1e-3,
  lossFloorRelative: 0.01,
  /** A loss that rose by more than this share over that tail is reported as rising (warning), not as a plateau. */
  lossRise: 0.1,
  /** A plateau at or above this share of the initial loss is a warning (never learned); info below. */
  stuckLossShare: 0.9,
  /** Fewest loss values for the plateau rule. */
  minLossPoints: 4,
} as const;
