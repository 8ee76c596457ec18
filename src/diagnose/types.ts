import type { NetworkConfig, TrainConfig } from "../experiment/config.ts";
import type { LayerMetrics } from "../probe/layer-metrics.ts";
import type { Verdict } from "../verdict/index.ts";

/** What a finding is about. The order of RULES (rules.ts) breaks ties between severities. */
export type FindingId =
  | "non-finite"
  | "exploding"
  | "vanishing"
  | "underflow"
  | "forward-signal"
  | "dead-units"
  | "saturation"
  | "unstable-updates"
  | "loss-plateau";

export type Severity = "info" | "warning" | "critical";

/** One number behind a finding, e.g. {label: "first-to-last gradient norm ratio", value: 1.4e-16}. */
export interface Evidence {
  label: string;
  value: number;
  unit?: string;
}

/** A remedy in the REMEDIES table (remedies.ts). */
export type RemedyId =
  | "relu-he"
  | "leaky-relu-he"
  | "batch-norm"
  | "layer-norm"
  | "residual"
  | "xavier-init"
  | "he-init"
  | "orthogonal-init"
  | "critical-init"
  | "zero-bias"
  | "reduce-depth"
  | "float64"
  | "lower-lr"
  | "higher-lr"
  | "gradient-clipping";

/**
 * A change to training rather than to the network. `lr` is the new learning rate when the
 * current one is known (DiagnosisInput.training.lr); `lrScale` always says the factor.
 */
export interface TrainChange {
  lr?: number;
  lrScale?: number;
  clip?: TrainConfig["clip"];
  clipThreshold?: number;
}

export interface Remedy {
  id: RemedyId;
  label: string;
  /** Why it helps with this finding on this network (one sentence, with numbers). */
  why: string;
  /** Network fields to change: what `doctor` runs is {...config, ...configChange}. Empty for training remedies. */
  configChange: Partial<NetworkConfig>;
  /** Training fields to change (present only for training remedies). */
  trainChange?: TrainChange;
  /** 1 = most applicable to this finding and this config. */
  rank: number;
}

export interface Finding {
  id: FindingId;
  severity: Severity;
  /** One line with the key number. */
  title: string;
  /** Layers concerned (1-based, from the input side). */
  layers: number[];
  /** Recorded steps where the condition held (a probe is step 0). */
  steps: number[];
  /** The numbers behind the finding. */
  evidence: Evidence[];
  /** The likely cause, specific to the config, in one or two sentences. */
  cause: string;
  /**
   * Ranked remedies; none repeats the current config or another remedy's network. Empty for a
   * finding explained by the primary one (secondaryTo): the primary's remedies apply.
   */
  remedies: Remedy[];
  /** Which way the condition goes, for rules with two ("small" / "large" updates). */
  variant?: string;
  /** The primary finding this one follows from (absent for the primary and independent findings). */
  secondaryTo?: FindingId;
  /** consequence: caused by the primary; mechanism: how the primary comes about. */
  relation?: "consequence" | "mechanism";
}

export interface Diagnosis {
  /**
   * The verdict (src/verdict judgeRun over the same snapshots): healthy, vanishing, exploding,
   * exploded, signal-collapse, signal-blowup, non-finite or underflow.
   */
  verdict: Verdict;
  /** The verdict's sentence. */
  verdictMessage: string;
  /** The finding the verdict names (null when healthy): the cause, listed first. */
  primary: FindingId | null;
  /** The primary first, then by severity (ties in the order of RULES). */
  findings: Finding[];
  /**
   * Rules that could not run because the input lacks a quantity they read (an imported run
   * without activation statistics, a run with no snapshots): "not measurable here". With
   * `partial`, the rule did run, judging only from what `partial` names.
   */
  notMeasurable?: { id: FindingId; missing: string[]; partial?: string }[];
  /** No finding of severity warning or critical. */
  healthy: boolean;
  /** One line for people. */
  headline: string;
}

/**
 * The network fields the diagnosis reads. Both NetworkConfig (probe) and TrainConfig
 * (training) fit this shape, so either can be passed as DiagnosisInput.config.
 */
export type DiagnosisConfig = DiagnosisSource &
  Pick<
    NetworkConfig,
    | "depth"
    | "width"
    | "activation"
    | "init"
    | "weightVar"
    | "biasVar"
    | "gain"
    | "slope"
    | "batchNorm"
    | "layerNorm"
    | "residual"
    | "branchScale"
    | "dtype"
  >;

/**
 * Where the network came from. "imported": a run recorded from the user's own model (the
 * PyTorch hook, TensorBoard): gradscope did not set its weights, so no mean-field claim is made
 * and the config's init fields mean nothing; the measurements decide alone.
 */
export interface DiagnosisSource {
  source?: "gradscope" | "imported";
}

/** Per-layer metrics of one recorded step, plus the training-only update ratio (log10). */
export type SnapshotLayer = LayerMetrics & { updateRatio?: number | null };

export interface Snapshot {
  /** Optimizer step (0 for a probe at initialization). */
  step: number;
  layers: SnapshotLayer[];
  /** Loss at this step (minibatch loss in training). */
  loss?: number;
  /** Global L2 norm of all parameter gradients (training records carry it); Inf/NaN is an overflow. */
  gradNorm?: number;
}

/** What the diagnosis knows about the optimizer, when the snapshots come from training. */
export interface TrainingContext {
  lr?: number;
  clip?: TrainConfig["clip"];
  clipThreshold?: number;
  optimizer?: TrainConfig["optimizer"];
}

/**
 * Where a training run first met NaN/Inf (TrainSummary.explosion has this shape): the trainer
 * can see overflow that the recorded metrics do not, e.g. a global gradient norm beyond 1.8e308.
 */
export interface ExplosionInfo {
  step: number;
  /** 1-based hidden layer, or null (loss, network output, readout, global gradient norm). */
  layer: number | null;
  /** Where: z, a, output, loss, readout-gradient, dz, dW, db, dgamma, dbeta or gradient. */
  what: string;
}

export interface DiagnosisInput {
  config: DiagnosisConfig;
  /** One snapshot for a probe; one per recorded step for training (any order). */
  snapshots: Snapshot[];
  /** Loss per step when recorded more often than the snapshots. */
  lossHistory?: { step: number; loss: number }[];
  /** Optimizer settings of a training run (enables training remedies with exact values). */
  training?: TrainingContext;
  /** The run's explosion, when the trainer stopped on NaN/Inf. */
  explosion?: ExplosionInfo | null;
}
