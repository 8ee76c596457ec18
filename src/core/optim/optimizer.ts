import type { Param } from "../layers/layer.ts";

/** The optimizers `createOptimizer` knows, by the names configs and the CLI use. */
export const OPTIMIZER_NAMES = ["sgd", "momentum", "nesterov", "adam", "adamw"] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

export function isOptimizerName(name: string): name is OptimizerName {
  return (OPTIMIZER_NAMES as readonly string[]).includes(name);
}

/** Hyperparameters; each optimizer reads the ones it uses. Defaults as in PyTorch. */
export interface OptimizerOptions {
  /** Heavy-ball coefficient mu: 0.9 for "momentum" and "nesterov", 0 for "sgd". */
  momentum?: number;
  /** Adam's first-moment decay, 0.9. */
  beta1?: number;
  /** Adam's second-moment decay, 0.999. */
  beta2?: number;
  /** Adam's denominator guard, 1e-8. */
  eps?: number;
  /**
   * 0 except for "adamw" (0.01). SGD and Adam add `weightDecay * p` to the gradient (L2);
   * AdamW decays the weights themselves, `p -= lr * weightDecay * p`, before its update.
   */
  weightDecay?: number;
}

/**
 * A checkpoint of an optimizer: the step counter and every per-parameter state buffer, keyed
 * by parameter name then slot name (e.g. `buffers["layer1.W"].v`). `state()` returns
 * Float64Array copies; `load()` also accepts plain number arrays (as read back from JSON,
 * where a non-finite entry needs its own encoding). Float64 round trips exactly, so a loaded
 * optimizer continues bit for bit.
 */
export interface OptimizerState {
  readonly name: OptimizerName;
  /** Steps taken so far (Adam's bias-correction counter). */
  readonly step: number;
  readonly buffers: Readonly<Record<string, Readonly<Record<string, ArrayLike<number>>>>>;
}

/**
 * Updates parameters in place from their gradients.
 *
 * Memory: state buffers (float64, one per slot per parameter, sized like the parameter) are
 * allocated lazily on the first `step` and reused; a step allocates nothing. Every step must
 * see the same parameter list (same names and sizes, in order) until `reset()` or `load()`.
 *
 * Precision: each element's update is computed in float64 (reading the parameter, gradient
 * and float64 state) and the result is stored once into the parameter's own typed array, so
 * a float32 parameter is rounded once per step. The state stays float64 even for float32
 * parameters: Adam's g^2 for |g| < 1e-23 would underflow to zero in float32. This is the one
 * deliberate difference from PyTorch, which keeps state and intermediate results in the
 * parameter's dtype; for float64 parameters the arithmetic follows PyTorch's operation order.
 */
export interface Optimizer {
  readonly name: OptimizerName;
  /** Names of the per-parameter state buffers: [] (sgd), ["momentum"], or ["m", "v"]. */
  readonly slotNames: readonly string[];
  /** Steps taken since creation, reset() or the loaded checkpoint's count. */
  readonly steps: number;
  /**
   * One update of every parameter from its current gradient with learning rate `lr` (>= 0).
   *
   * `updateStd`, when given (length >= params.length), receives for each parameter i the
   * population standard deviation over its entries of the change actually stored,
   * delta = value_after - value_before (in float64, after rounding to the parameter's dtype,
   * so an update lost to float32 rounding shows as 0). A recorder gets the training metric
   * `updateRatio = log10(updateStd[i] / std(W_i))` with no extra pass and no allocation.
   *
   * `weightSums`, when given (length >= 2 params.length), receives the float64 sum and sum of
   * squares of each parameter's values after the update at [2i] and [2i + 1], taken during the
   * update's own pass, where the optimizer supports it (plain SGD); other entries are left as
   * they were, so callers fill NaN first. A recorder measuring the next step reuses them.
   */
  step(
    params: readonly Param[],
    lr: number,
    updateStd?: Float64Array,
    weightSums?: Float64Array,
  ): void;
  /** Forgets all state: the step counter returns to 0 and buffers are reallocated lazily. */
  reset(): void;
  /** A deep copy of the state, for checkpoints. */
  state(): OptimizerState;
  /** Restores a checkpoint; buffers bind to parameters by name on the next step. */
  load(state: OptimizerState): void;
  /**
   * The live state buffer `slot` of parameter `index` (e.g. Adam's "v"), or undefined before
   * the first step. For probes and tests; writing into it changes the optimizer's state.
   */
  slot(index: number, slot: string): Float64Array | undefined;
}
