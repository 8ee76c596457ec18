/**
 * The cuts of the verdict, in one place. Every gradient threshold is on the mean square of
 * dL/dz, so a factor of 1e2 is a factor of 10 in the gradient's norm: the first layers then
 * learn ten times slower (or faster) than the last under plain SGD.
 */
export const VERDICT_THRESHOLDS = {
  /**
   * The measured change of E[(dL/dz)^2] from the last layer down to the first one judged
   * (FlowMeasures.span): below this the gradient vanishes (warning: the input side's gradient
   * norm is 10x smaller), below the critical value it is effectively gone (1e6x smaller).
   */
  vanishingSpan: 1e-2,
  vanishingCriticalSpan: 1e-12,
  /** ... above this the gradient explodes (warning, 10x larger); above the critical value critically. */
  explodingSpan: 1e2,
  explodingCriticalSpan: 1e12,
  /**
   * The forward signal q of layer L over that of the first layer measured (layer 2 when the
   * input layer is left out): below this it collapses toward zero, above the next it blows up.
   * For bounded or biased activations q settles at a fixed point q* > 0 and never collapses.
   */
  signalCollapse: 1e-4,
  signalBlowup: 1e4,
  /**
   * Absolute scale: a mean square within this factor of the dtype's largest value overflows
   * with the next step's growth (a finite entry beyond ~1e154 already squares to Infinity).
   */
  overflowMargin: 1e-4,
  /**
   * Absolute scale: a layer whose RMS gradient is below this multiple of the dtype's smallest
   * normal number loses precision (subnormal) and rounds to zero with the next shrink.
   */
  underflowMargin: 1e4,
  /**
   * Training runs: the global gradient norm growing by more than this between the first
   * recorded step and its largest later value is an explosion made by training.
   */
  growthExploding: 1e3,
  growthCriticalExploding: 1e6,
} as const;
