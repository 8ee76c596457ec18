/**
 * Words for every number gradscope prints: one entry per column and theory quantity, with the
 * terminal header (ASCII, as the tables print it), the display form (the report's and the
 * lab's headers) and a one-line definition. `--help` ("Columns"), `--explain`, the report's
 * header titles and its definitions list all read this table, so they cannot disagree.
 */
export interface GlossaryEntry {
  /** The field name in JSON and metrics.jsonl (or a stable id for a printed-only column). */
  key: string;
  /** The header in terminal tables. */
  terminal: string;
  /** The header in HTML (unicode; may hold &shy; for narrow columns). */
  display: string;
  /** One line: what the number is, how it is computed, what it tells. */
  definition: string;
}

const entries: readonly GlossaryEntry[] = [
  // per layer (probe, train records, report)
  {
    key: "layer",
    terminal: "layer",
    display: "layer",
    definition: "1-based index of the hidden layer from the input side",
  },
  {
    key: "q",
    terminal: "q",
    display: "q",
    definition:
      "mean over batch and units of z² (the pre-activation, before normalization): the forward signal's size",
  },
  {
    key: "gradPreactMeanSq",
    terminal: "E[dz^2]",
    display: "E[(∂L/∂z)²]",
    definition:
      "mean over batch and units of (∂L/∂z)²: the backward signal the verdict follows from layer to layer",
  },
  {
    key: "gradWeightNorm",
    terminal: "|dW|",
    display: "‖∂L/∂W‖",
    definition:
      "Frobenius norm of ∂L/∂W, the layer's weight gradient (it also carries the layer's input, so it mixes forward and backward)",
  },
  { key: "gradBiasNorm", terminal: "|db|", display: "‖∂L/∂b‖", definition: "L2 norm of ∂L/∂b" },
  { key: "weightNorm", terminal: "|W|", display: "‖W‖", definition: "Frobenius norm of W" },
  {
    key: "gradToWeight",
    terminal: "grad/w",
    display: "grad / weight",
    definition:
      "std(∂L/∂W) / std(W): how big a gradient step is against the weights (lr times it is the update's size)",
  },
  {
    key: "actMean",
    terminal: "act mean",
    display: "mean φ",
    definition: "mean of φ(u), the layer's output",
  },
  {
    key: "actStd",
    terminal: "act std",
    display: "std φ",
    definition: "standard deviation of φ(u), the layer's output",
  },
  {
    key: "saturated",
    terminal: "sat",
    display: "satu&shy;rated",
    definition:
      "share of entries with φ′(u) < 1% of max φ′ (bounded activations only): units that pass almost no gradient",
  },
  {
    key: "lowDerivative",
    terminal: "low phi'",
    display: "low φ′",
    definition: "share of entries with φ′(u) < 1% of max φ′ (every activation)",
  },
  {
    key: "inactive",
    terminal: "inactive",
    display: "in&shy;active",
    definition: "share of entries with φ′(u) = 0",
  },
  {
    key: "dead",
    terminal: "dead",
    display: "dead",
    definition:
      "share of units with φ′(u) = 0 for every example of the batch (a ReLU that never fires learns nothing)",
  },
  {
    key: "nonfinite",
    terminal: "NaN/Inf",
    display: "NaN/∞",
    definition: "count of NaN/Inf among z, a and the gradients",
  },
  {
    key: "subnormal",
    terminal: "subnormal",
    display: "sub&shy;normal",
    definition:
      "count of subnormal entries among ∂L/∂z and ∂L/∂W in the run's dtype (a step from underflow)",
  },
  {
    key: "underflow",
    terminal: "underflow",
    display: "under&shy;flow",
    definition: "∂L/∂z underflowed to exactly 0 although φ′ and the gradient above were not 0",
  },
  {
    key: "updateRatio",
    terminal: "update ratio",
    display: "log₁₀ update ratio",
    definition:
      "log₁₀(std ΔW / std W) of the step's update (training only; around -3 is the usual healthy size)",
  },
  {
    key: "predGradPreactMeanSq",
    terminal: "pred E[dz^2]",
    display: "predicted E[(∂L/∂z)²]",
    definition: "the mean-field prediction of E[(∂L/∂z)²] at the layer (probe --theory)",
  },
  {
    key: "measOverPred",
    terminal: "meas/pred",
    display: "measured / predicted",
    definition:
      "measured E[(∂L/∂z)²] over the mean-field prediction: 1 when theory and network agree",
  },
  // recurrent nets, per time step
  {
    key: "t",
    terminal: "t",
    display: "t",
    definition: "time step, 1 (first input) to T (the loss reads h_T)",
  },
  {
    key: "stepsBack",
    terminal: "steps back",
    display: "steps back",
    definition: "T - t: how many steps back in time the gradient has travelled from the loss",
  },
  {
    key: "gradHiddenNorm",
    terminal: "|dL/dh_t|",
    display: "‖∂L/∂h_t‖",
    definition:
      "Frobenius norm over the batch of the total gradient of the loss with respect to the hidden state h_t",
  },
  {
    key: "gradHiddenMeanSq",
    terminal: "E[(dL/dh)^2]",
    display: "E[(∂L/∂h_t)²]",
    definition: "mean over batch and units of (∂L/∂h_t)²: what the verdict over time steps follows",
  },
  {
    key: "predicted",
    terminal: "pred rho^(T-t)",
    display: "predicted ρ^(T−t)",
    definition:
      "the linear RNN's exact law |∂L/∂h_T| ρ^(T−t) (identity activation, W_hh = ρ times an orthogonal matrix)",
  },
  {
    key: "hiddenStd",
    terminal: "h std",
    display: "std h_t",
    definition: "standard deviation of h_t over batch and units",
  },
  // transformer blocks
  {
    key: "block",
    terminal: "block",
    display: "block",
    definition: "1-based index of the transformer block from the input side",
  },
  {
    key: "inputMeanSq",
    terminal: "E[x^2] in",
    display: "E[x²] in",
    definition: "mean square of the block's input (the residual stream)",
  },
  {
    key: "blockOutputMeanSq",
    terminal: "E[y^2] out",
    display: "E[y²] out",
    definition: "mean square of the block's output",
  },
  {
    key: "gradInputMeanSq",
    terminal: "E[(dL/dx)^2]",
    display: "E[(∂L/∂x)²]",
    definition:
      "mean square of the gradient at the block's input: what the verdict over blocks follows",
  },
  {
    key: "gradFfnOut",
    terminal: "|dW_ffn2|",
    display: "‖∂L/∂W₂‖",
    definition:
      "Frobenius norm of the gradient of the block's FFN output weight (Xiong et al. 2020's quantity)",
  },
  {
    key: "attentionEntropy",
    terminal: "attn entropy",
    display: "attention entropy",
    definition: "mean entropy (nats) of the attention weights; log T is uniform attention",
  },
  {
    key: "ffnDead",
    terminal: "ffn dead",
    display: "FFN dead",
    definition: "share of FFN hidden units whose ReLU is off at every position of every example",
  },
  // comparison
  {
    key: "finalLoss",
    terminal: "final loss",
    display: "final loss",
    definition: "training loss at the last step",
  },
  {
    key: "testLoss",
    terminal: "test loss",
    display: "test loss",
    definition: "loss on the held-out test set at the end",
  },
  {
    key: "testAcc",
    terminal: "test acc",
    display: "test accuracy",
    definition: "accuracy on the held-out test set at the end",
  },
  {
    key: "stepsToTarget",
    terminal: "steps to loss",
    display: "steps to target loss",
    definition:
      "first recorded step whose loss is at or below the target: half the first variant's initial loss unless --target-loss gives one ('never' when no step reached it)",
  },
  {
    key: "initialVerdict",
    terminal: "verdict (init)",
    display: "verdict at initialization",
    definition:
      "the verdict of the first recorded step (the network as initialized, on the training data)",
  },
  {
    key: "runVerdict",
    terminal: "verdict (run)",
    display: "verdict of the run",
    definition:
      "the verdict of the whole run: exploded on NaN/Inf, exploding when the gradient norm grew over 1000x, else the last step's",
  },
  // theory (gradscope theory, probe --theory)
  {
    key: "qStar",
    terminal: "fixed point q*",
    display: "q*",
    definition:
      "the fixed point of the length map: the size q every layer's pre-activations settle to in a deep wide network",
  },
  {
    key: "chi1",
    terminal: "chi1",
    display: "χ₁",
    definition:
      "σ_w² E[φ′(z)²] at q*: the factor by which E[(∂L/∂z)²] changes per layer toward the input (< 1 vanishes, > 1 explodes)",
  },
  {
    key: "phase",
    terminal: "phase",
    display: "phase",
    definition:
      "ordered (χ₁ < 1: gradients vanish, inputs converge), chaotic (χ₁ > 1: gradients explode, inputs decorrelate), or critical (χ₁ = 1)",
  },
  {
    key: "chiQ",
    terminal: "chi_q",
    display: "χ_q",
    definition: "slope of the length map at q*: how fast q returns to q* after a perturbation",
  },
  {
    key: "cStar",
    terminal: "c*",
    display: "c*",
    definition: "the fixed point of the correlation map: the correlation two inputs reach at depth",
  },
  {
    key: "chiC",
    terminal: "chi_c",
    display: "χ_c",
    definition: "slope of the correlation map at c*: how fast correlations approach c*",
  },
  {
    key: "xiQ",
    terminal: "xi_q",
    display: "ξ_q",
    definition:
      "depth scale of q's convergence, -1/ln χ_q: layers until q forgets the input's size",
  },
  {
    key: "xiC",
    terminal: "xi_c",
    display: "ξ_c",
    definition:
      "depth scale of correlations, -1/ln χ_c: layers over which inputs stay distinguishable (Schoenholz et al. 2017: trainable up to about 6 ξ_c)",
  },
  {
    key: "xiGrad",
    terminal: "xi_grad",
    display: "ξ_∇",
    definition:
      "depth scale of the gradient, -1/ln χ₁: layers over which E[(∂L/∂z)²] changes by a factor e",
  },
];

/** Every entry by key. */
export const GLOSSARY: ReadonlyMap<string, GlossaryEntry> = new Map(entries.map((e) => [e.key, e]));

/** The definition of `key` ("" for an unknown key). */
export function define(key: string): string {
  return GLOSSARY.get(key)?.definition ?? "";
}

/** Entries in the given order (unknown keys skipped). */
export function glossaryOf(keys: readonly string[]): GlossaryEntry[] {
  return keys.flatMap((k) => {
    const e = GLOSSARY.get(k);
    return e ? [e] : [];
  });
}
