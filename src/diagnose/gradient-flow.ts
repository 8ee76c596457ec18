import type { DiagnosisContext } from "./context.ts";
import type { RemedyPick } from "./rank-remedies.ts";
import { roundedCriticalWeightVar } from "./remedies.ts";
import { num, pct, sci } from "./text.ts";
import { THRESHOLDS } from "./thresholds.ts";
import { describeWeightScale } from "./weight-scale.ts";

/**
 * Causes and remedy orderings shared by the gradient-flow rules (vanishing, exploding,
 * underflow): they all come down to the per-layer factor chi1 = sigma_w^2 E[phi'(z)^2].
 */

/** What the activation's derivative does to the gradient, in a few words. */
function activationFact(ctx: DiagnosisContext): string {
  switch (ctx.config.activation) {
    case "sigmoid":
      return "sigmoid's derivative is at most 0.25";
    case "tanh":
      return "tanh's derivative is 1 at 0 and falls toward 0 as |u| grows";
    case "relu":
      return "ReLU passes the gradient of active units only, about half of them";
    case "leaky-relu":
      return `leaky ReLU scales the gradient of inactive units by ${num(ctx.config.slope)}`;
    case "identity":
      return "the identity activation passes the gradient unchanged";
    default:
      return `${ctx.config.activation}'s derivative is at most ${num(ctx.activation.maxDerivative)}`;
  }
}

/** The measurement a gradient-flow cause explains. */
export interface FlowMeasurement {
  /** Fitted per-layer factor of the mean-square gradient. */
  factor: number;
  /** First-to-last gradWeightNorm ratio. */
  ratio: number;
  /** Step of the snapshot measured. */
  step: number;
  /** The condition already held at the first snapshot (initialization, or a probe). */
  sinceInit: boolean;
}

/**
 * Why the gradient shrinks (direction "vanishing") or grows ("exploding") by `factor` per layer:
 * the mean-field chi1 of this activation and weight scale when theory applies, else what the
 * measurement says and what normalization does. Theory describes initialization: for a later
 * training step the measurement leads and theory is given for comparison.
 */
export function gradientFlowCause(
  ctx: DiagnosisContext,
  m: FlowMeasurement,
  direction: "vanishing" | "exploding",
): string {
  const L = ctx.depth;
  const theory = ctx.theory();
  // the measured factor decides the word: a diverged network can "vanish" (dead units) with factor > 1
  const verb = (Number.isFinite(m.factor) ? m.factor < 1 : direction === "vanishing")
    ? "shrinks"
    : "grows";
  const at = ctx.training ? ` at step ${m.step}` : "";
  const per = Number.isFinite(m.factor)
    ? `the measured mean-square gradient ${verb} by ${num(m.factor)} per layer${at}`
    : `the gradient ${verb} toward the input${at}`;
  if (ctx.config.source === "imported") {
    return `On the recorded modules ${per}${Number.isFinite(m.ratio) ? ` (weight-gradient norm of the first module over the last: ${sci(m.ratio)})` : ""}; gradscope did not build this model, so no mean-field prediction is given.`;
  }
  if (!m.sinceInit) {
    const init = theory
      ? `; at initialization mean-field chi1 was ${num(theory.chi1)} (${theory.phase} phase)`
      : "";
    return `The gradients were not ${direction} at initialization: training changed the weights until ${per}${Number.isFinite(m.ratio) ? ` (first-to-last gradient norm ratio ${sci(m.ratio)})` : ""}${init}.`;
  }
  if (theory && theory.chi1 > 0 && ctx.weightVar > 0) {
    const meanSqDeriv = theory.chi1 / ctx.weightVar;
    const qStar = Number.isFinite(theory.qStar) ? ` at q* = ${num(theory.qStar)}` : "";
    const first = `${activationFact(ctx)} (E[phi'(z)^2] = ${num(meanSqDeriv)}${qStar}), and ${describeWeightScale(ctx.config)}.`;
    const compounded = theory.chi1 ** Math.max(0, L - 1);
    const agrees = theory.phase === (direction === "vanishing" ? "ordered" : "chaotic");
    if (agrees) {
      const measured = Number.isFinite(m.factor)
        ? ` (mean field; measured ${num(m.factor)}${at})`
        : " (mean field)";
      const phase =
        direction === "exploding" ? " > 1: the network is in the chaotic phase, and" : ":";
      const norm = `a first-to-last norm ratio of about ${sci(Math.sqrt(compounded))}${Number.isFinite(m.ratio) ? ` (measured ${sci(m.ratio)}${at})` : ""}`;
      return `${first} Each layer multiplies the mean-square gradient by chi1 = ${num(theory.chi1)}${measured}${phase} from layer ${L} down to layer 1 that compounds to ${sci(compounded)}, ${norm}.`;
    }
    return `${first} Mean-field theory predicts chi1 = ${num(theory.chi1)} per layer (${theory.phase} phase), yet ${per}: finite width or the input layer have moved this network off the mean-field prediction.`;
  }
  if (ctx.config.batchNorm && direction === "exploding") {
    const rate =
      ctx.config.activation === "relu"
        ? "by about pi/(pi-1) = 1.47 per layer for ReLU"
        : "for every activation";
    return `Batch norm's backward pass amplifies the gradient at initialization, ${rate} (Yang et al. 2019: the gradient explosion of batch-norm networks at initialization), and more so when the examples' representations are correlated (low-dimensional inputs); ${per}. Batch-norm networks often train anyway once the first updates decorrelate the layers; a lower learning rate or a warmup keeps those first steps safe, and residual connections bound the growth.`;
  }
  if (ctx.config.init === "zeros") {
    return "Zero weights give every unit the same output and pass no gradient down: dL/da_prev = W^T dL/dz = 0 in every layer.";
  }
  const parts = [
    ctx.config.batchNorm ? "batch norm" : "",
    ctx.config.layerNorm ? "layer norm" : "",
    ctx.config.residual ? "residual connections" : "",
  ].filter(Boolean);
  const lead =
    parts.length > 0
      ? `With ${parts.join(" and ")}, mean-field chi1 does not describe this network`
      : "Mean-field theory gives no prediction for this network";
  return `${lead}; ${per} (${activationFact(ctx)}, and ${describeWeightScale(ctx.config)}).`;
}

/**
 * Remedies for gradients that shrink toward the input, most applicable first. `meanDead`:
 * the mean dead-unit fraction when dead units block the gradient (revive them first).
 */
export function vanishingPicks(ctx: DiagnosisContext, meanDead = 0): RemedyPick[] {
  const act = ctx.config.activation;
  if (meanDead > THRESHOLDS.deadWarningMean) {
    // the gradient stops at dead units: revive them first
    return [
      {
        id: "leaky-relu-he",
        why: `${pct(meanDead)} of the units are dead and block the gradient; leaky ReLU has no zero-derivative region`,
      },
      { id: "lower-lr" },
      { id: "batch-norm" },
      { id: "residual" },
    ];
  }
  const crit = roundedCriticalWeightVar(ctx);
  if (act === "sigmoid") {
    const q = ctx.theoryAt(crit)?.qStar;
    return [
      { id: "relu-he" },
      { id: "batch-norm" },
      { id: "residual" },
      { id: "leaky-relu-he" },
      { id: "reduce-depth" },
      {
        id: "critical-init",
        why: `weightVar ${num(crit, 4)} reaches chi1 = 1 for sigmoid only with large pre-activations${q !== undefined && Number.isFinite(q) ? ` (q* = ${num(q)})` : ""}, where many units saturate: a last resort`,
      },
    ];
  }
  if (act === "relu" || act === "leaky-relu") {
    return [
      { id: "he-init" },
      { id: "critical-init" },
      { id: "residual" },
      { id: "batch-norm" },
      { id: "reduce-depth" },
    ];
  }
  if (act === "tanh") {
    return [
      { id: "critical-init" },
      { id: "xavier-init" },
      { id: "orthogonal-init" },
      { id: "batch-norm" },
      { id: "residual" },
      { id: "relu-he" },
      { id: "reduce-depth" },
    ];
  }
  return [
    { id: "critical-init" },
    { id: "batch-norm" },
    { id: "residual" },
    { id: "relu-he" },
    { id: "reduce-depth" },
  ];
}

/**
 * Remedies for gradients that grow. `fromInit`: the growth is already there at initialization
 * (chi1 > 1), so the weight scale comes first; otherwise training made it, and the step size does.
 */
export function explodingPicks(ctx: DiagnosisContext, fromInit: boolean): RemedyPick[] {
  const act = ctx.config.activation;
  const initFixes: RemedyPick[] = [
    { id: "critical-init" },
    ...(act === "relu" || act === "leaky-relu" ? [{ id: "he-init" as const }] : []),
    ...(act === "tanh" ? [{ id: "xavier-init" as const }, { id: "orthogonal-init" as const }] : []),
  ];
  const structural: RemedyPick[] = ctx.config.batchNorm
    ? [{ id: "residual" }, { id: "reduce-depth" }]
    : [{ id: "batch-norm" }, { id: "layer-norm" }, { id: "reduce-depth" }];
  const training: RemedyPick[] = [{ id: "gradient-clipping" }, { id: "lower-lr" }];
  const chaotic = (ctx.theory()?.chi1 ?? 0) > 1;
  const normalization = structural.filter((p) => p.id !== "reduce-depth");
  return fromInit
    ? [...initFixes, ...structural, ...training]
    : [...training, ...(chaotic ? initFixes : []), ...normalization, ...initFixes];
}
