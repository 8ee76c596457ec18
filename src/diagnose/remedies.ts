import type { NetworkConfig } from "../experiment/config.ts";
import { fitPerLayerFactor } from "../verdict/summary.ts";
import type { DiagnosisContext } from "./context.ts";
import { isFiniteSnapshot } from "./measures.ts";
import { num } from "./text.ts";
import { THRESHOLDS } from "./thresholds.ts";
import type { RemedyId, TrainChange } from "./types.ts";

/** One row of the REMEDIES table: what a remedy changes and when it can apply. */
export interface RemedyDefinition {
  id: RemedyId;
  label: string;
  /** "network": a configChange `doctor` can probe; "training": a trainChange (training runs only). */
  kind: "network" | "training";
  /**
   * False when the remedy is already in place or cannot apply to this network. Beyond this,
   * rankRemedies drops a network remedy whose network equals the current one or an earlier
   * remedy's (e.g. he-init on a he-uniform ReLU network, or critical-init next to he-init).
   */
  available(ctx: DiagnosisContext): boolean;
  configChange(ctx: DiagnosisContext): Partial<NetworkConfig>;
  trainChange?(ctx: DiagnosisContext): TrainChange;
  /** Default reason, used when the rule that suggests it gives none. */
  why(ctx: DiagnosisContext): string;
}

const unitGain = (ctx: DiagnosisContext): Partial<NetworkConfig> =>
  ctx.config.gain !== 1 ? { gain: 1 } : {};

/** The critical sigma_w^2 rounded to 4 significant digits (what critical-init sets). */
export function roundedCriticalWeightVar(ctx: DiagnosisContext): number {
  const w = ctx.criticalWeightVar();
  return Number.isFinite(w) ? Number(w.toPrecision(4)) : Number.NaN;
}

/**
 * The largest depth whose first-to-last gradient ratio stays within
 * [reduceDepthTargetRatio, 1/reduceDepthTargetRatio] at the per-layer factor of the
 * mean-square gradient measured in the first finite snapshot (ratio of norms ~
 * factor^((L-1)/2)); NaN when no smaller depth helps.
 */
export function suggestedDepth(ctx: DiagnosisContext): number {
  // depth is a property of the architecture: judged at initialization (the first snapshot)
  const first = ctx.snapshots.find(isFiniteSnapshot);
  let factor = first ? fitPerLayerFactor(first.layers) : Number.NaN;
  if (!Number.isFinite(factor)) factor = ctx.theory()?.chi1 ?? Number.NaN;
  if (!(factor > 0) || !Number.isFinite(factor) || factor === 1) return Number.NaN;
  const budget = 2 * Math.log(1 / THRESHOLDS.reduceDepthTargetRatio);
  const depth = 1 + Math.floor(budget / Math.abs(Math.log(factor)));
  return depth < ctx.depth ? Math.max(1, depth) : Number.NaN;
}

function lrChange(ctx: DiagnosisContext, scale: number): TrainChange {
  const lr = ctx.input.training?.lr;
  return lr !== undefined
    ? { lr: Number((lr * scale).toPrecision(6)), lrScale: scale }
    : { lrScale: scale };
}

function lrPhrase(ctx: DiagnosisContext, scale: number): string {
  const lr = ctx.input.training?.lr;
  return lr !== undefined ? ` (lr ${num(lr)} -> ${num(lr * scale)})` : "";
}

/**
 * Branch scale of the residual remedy: 1/depth, 4 significant digits. With s = 1 every block
 * adds a full phi(u) to the stream, so activations grow with depth (linearly for a
 * non-zero-mean phi such as sigmoid: mean 0.5 per block, ~10 per unit after 20 blocks, and
 * the readout starts with huge logits); keeping the sum of the branch scales bounded keeps the
 * activation length bounded (Hanin & Rolnick 2018, "How to start training"), and
 * depth * (1/depth) = 1 whatever the depth.
 */
export function residualBranchScale(depth: number): number {
  return depth > 1 ? Number((1 / depth).toPrecision(4)) : 1;
}

const chi1At = (ctx: DiagnosisContext, w: number): number => ctx.theoryAt(w)?.chi1 ?? Number.NaN;

/** The remedies the rules may suggest, keyed by id. */
export const REMEDIES: Readonly<Record<RemedyId, RemedyDefinition>> = {
  "relu-he": {
    id: "relu-he",
    label: "ReLU with He initialization",
    kind: "network",
    available: () => true,
    configChange: (ctx) => ({ activation: "relu", init: "he-normal", ...unitGain(ctx) }),
    why: () =>
      "ReLU's derivative is exactly 1 on active units and He init (sigma_w^2 = 2) makes chi1 = 2 x 1/2 = 1: the mean-square gradient keeps its size from layer to layer",
  },
  "leaky-relu-he": {
    id: "leaky-relu-he",
    label: "leaky ReLU with He initialization",
    kind: "network",
    available: () => true,
    configChange: (ctx) => ({ activation: "leaky-relu", init: "he-normal", ...unitGain(ctx) }),
    why: (ctx) =>
      `leaky ReLU's derivative is never 0 (slope ${num(ctx.config.slope)} below zero), so no unit can die, and He init for that slope keeps chi1 = 1`,
  },
  "batch-norm": {
    id: "batch-norm",
    label: "batch normalization",
    kind: "network",
    available: (ctx) => !ctx.config.batchNorm,
    configChange: (ctx) => ({
      batchNorm: true,
      ...(ctx.config.layerNorm ? { layerNorm: false } : {}),
    }),
    why: () =>
      "normalizing every unit's pre-activation over the batch keeps it at zero mean and unit variance whatever the weights, so phi' stays in its useful range",
  },
  "layer-norm": {
    id: "layer-norm",
    label: "layer normalization",
    kind: "network",
    available: (ctx) => !ctx.config.batchNorm && !ctx.config.layerNorm,
    configChange: () => ({ layerNorm: true }),
    why: () =>
      "normalizing each example's pre-activations over the units keeps their scale at 1 in every layer, independent of the batch",
  },
  residual: {
    id: "residual",
    label: "residual connections",
    kind: "network",
    available: (ctx) => !ctx.config.residual,
    configChange: (ctx) => ({ residual: true, branchScale: residualBranchScale(ctx.config.depth) }),
    why: (ctx) =>
      `the skip a = a_prev + s phi(u) gives the gradient an identity path, so it reaches layer 1 without passing through every layer's phi' and W; the branch scale s = 1/depth = ${num(residualBranchScale(ctx.config.depth), 3)} keeps the sum of the branches, and so the activations, bounded at any depth`,
  },
  "xavier-init": {
    id: "xavier-init",
    label: "Xavier (Glorot) initialization",
    kind: "network",
    available: () => true,
    configChange: (ctx) => ({ init: "xavier-normal", ...unitGain(ctx) }),
    why: (ctx) => {
      const c = chi1At(ctx, 1);
      return `Xavier sets sigma_w^2 = 1 on square layers${Number.isFinite(c) ? `, where mean-field chi1 = ${num(c)}` : ""}`;
    },
  },
  "he-init": {
    id: "he-init",
    label: "He (Kaiming) initialization",
    kind: "network",
    available: () => true,
    configChange: (ctx) => ({ init: "he-normal", ...unitGain(ctx) }),
    why: (ctx) => {
      const s = ctx.config.activation === "leaky-relu" ? ctx.config.slope : 0;
      return `He init sets sigma_w^2 = ${num(2 / (1 + s * s))}, which makes chi1 = 1 for ${ctx.config.activation === "leaky-relu" ? "leaky " : ""}ReLU`;
    },
  },
  "orthogonal-init": {
    id: "orthogonal-init",
    label: "orthogonal initialization",
    kind: "network",
    available: () => true,
    configChange: (ctx) => {
      const w = roundedCriticalWeightVar(ctx);
      return { init: "orthogonal", weightVar: Number.isFinite(w) ? w : 1, ...unitGain(ctx) };
    },
    why: (ctx) => {
      const w = roundedCriticalWeightVar(ctx);
      return `orthogonal W has all singular values equal (sqrt(${num(Number.isFinite(w) ? w : 1)})), so no gradient direction shrinks or grows faster than the others (dynamical isometry)`;
    },
  },
  "critical-init": {
    id: "critical-init",
    label: "critical initialization (edge of chaos)",
    kind: "network",
    available: (ctx) => Number.isFinite(roundedCriticalWeightVar(ctx)),
    configChange: (ctx) => ({
      init: "normal",
      weightVar: roundedCriticalWeightVar(ctx),
      ...unitGain(ctx),
    }),
    why: (ctx) => {
      const w = roundedCriticalWeightVar(ctx);
      const report = ctx.theoryAt(w);
      const q = report && Number.isFinite(report.qStar) ? ` (q* = ${num(report.qStar)})` : "";
      return `weightVar ${num(w, 4)} puts ${ctx.config.activation} with biasVar ${num(ctx.config.biasVar)} on the mean-field critical line chi1 = 1${q}: gradients neither vanish nor explode with depth`;
    },
  },
  "zero-bias": {
    id: "zero-bias",
    label: "zero initial biases",
    kind: "network",
    available: (ctx) => ctx.config.biasVar > 0,
    configChange: () => ({ biasVar: 0 }),
    why: (ctx) =>
      `biases drawn with variance ${num(ctx.config.biasVar)} shift whole units into the flat or zero part of phi; zero biases leave that to the weights`,
  },
  "reduce-depth": {
    id: "reduce-depth",
    label: "a shallower network",
    kind: "network",
    available: (ctx) => Number.isFinite(suggestedDepth(ctx)),
    configChange: (ctx) => ({ depth: suggestedDepth(ctx) }),
    why: (ctx) =>
      `at the measured per-layer factor, depth ${suggestedDepth(ctx)} keeps layer 1's gradient within ${num(1 / THRESHOLDS.reduceDepthTargetRatio)}x of layer L's`,
  },
  float64: {
    id: "float64",
    label: "float64 arithmetic",
    kind: "network",
    available: (ctx) => ctx.config.dtype === "f32",
    configChange: () => ({ dtype: "f64" }),
    why: () =>
      "float64 represents magnitudes from 1e-308 to 1e308 (float32: 1.4e-45 to 3.4e38), so gradients that float32 rounds to 0 or Inf stay measurable; it does not change how fast the layers learn",
  },
  "lower-lr": {
    id: "lower-lr",
    label: "a 10x lower learning rate",
    kind: "training",
    available: () => true,
    configChange: () => ({}),
    trainChange: (ctx) => lrChange(ctx, 0.1),
    why: (ctx) =>
      `smaller steps${lrPhrase(ctx, 0.1)} keep each update small next to the weights it changes`,
  },
  "higher-lr": {
    id: "higher-lr",
    label: "a 10x higher learning rate",
    kind: "training",
    available: () => true,
    configChange: () => ({}),
    trainChange: (ctx) => lrChange(ctx, 10),
    why: (ctx) => `larger steps${lrPhrase(ctx, 10)} move weights that currently barely change`,
  },
  "gradient-clipping": {
    id: "gradient-clipping",
    label: "gradient clipping (global norm 1)",
    kind: "training",
    available: (ctx) => (ctx.input.training?.clip ?? "none") === "none",
    configChange: () => ({}),
    trainChange: () => ({ clip: "global-norm", clipThreshold: 1 }),
    why: () =>
      "rescaling the whole gradient to norm at most 1 before each step bounds the update, so one large gradient cannot throw the weights into overflow",
  },
};
