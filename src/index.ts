/**
 * gradscope: the public library API. Everything here is plain functions and classes over
 * typed arrays; nothing touches files, the terminal or the DOM.
 */

export {
  ACTIVATION_NAMES,
  type Activation,
  type ActivationName,
  getActivation,
  isActivationName,
} from "./core/activations.ts";
// Core engine
export type { DType, FloatArray } from "./core/dtype.ts";
export { INIT_NAMES, type InitName, type InitOptions, initDense } from "./core/init.ts";
export { gemmNN, gemmNT, gemmTN, transpose } from "./core/kernels/gemm.ts";
export { ActivationLayer } from "./core/layers/activation-layer.ts";
export { BatchNorm } from "./core/layers/batch-norm.ts";
export { Dense } from "./core/layers/dense.ts";
export { HiddenBlock, NORMALIZATIONS, type Normalization } from "./core/layers/hidden-block.ts";
export type { Layer, Mode, Param } from "./core/layers/layer.ts";
export { LayerNorm } from "./core/layers/layer-norm.ts";
export { createLoss, LOSS_NAMES, type Loss, type LossName } from "./core/loss.ts";
export { Mat } from "./core/mat.ts";
export { Network, type NetworkHooks, type NetworkSpec } from "./core/network.ts";
export {
  clipGlobalNorm,
  clipLayerNorm,
  clipValue,
  createOptimizer,
  learningRate,
  OPTIMIZER_NAMES,
  type Optimizer,
} from "./core/optim/index.ts";
export {
  GruCell,
  initRecurrent,
  LstmCell,
  RecurrentLayer,
  type RecurrentLayerSpec,
  RnnCell,
} from "./core/recurrent/index.ts";
export { Rng } from "./core/rng.ts";
export {
  MultiHeadAttention,
  TransformerBlock,
  TransformerModel,
  type TransformerModelSpec,
} from "./core/transformer/index.ts";
export {
  contradictions,
  type Diagnosis,
  type DiagnosisInput,
  diagnose,
  diagnoseProbe,
  type Finding,
} from "./diagnose/index.ts";
// Beyond MLPs (issue #15): recurrent nets through time, transformer encoder blocks
export { ARCH_NAMES, type ArchName } from "./experiment/arch-options.ts";
export {
  type Comparison,
  compare,
  SEED_STORY,
  type Variant,
  type VariantOutcome,
} from "./experiment/compare.ts";
// Experiments
// Training, comparison
export {
  ConfigError,
  type NetworkConfig,
  type ProbeConfig,
  resolveNetworkConfig,
  resolveProbeConfig,
  resolveTrainConfig,
  type TrainConfig,
} from "./experiment/config.ts";
export {
  type DecisionGrid,
  evaluateDecisionGrid,
  type GridBounds,
  gridBounds,
  gridClassAt,
} from "./experiment/decision-grid.ts";
export { dumpChunks } from "./experiment/dump.ts";
export { decodeNumber, encodeNumber, toJson } from "./experiment/json-numbers.ts";
export { estimateBytes } from "./experiment/memory.ts";
export {
  NETWORK_OPTIONS,
  type OptionSpec,
  PROBE_OPTIONS,
  TRAIN_OPTIONS,
} from "./experiment/options.ts";
export {
  buildProbe,
  forwardBackward,
  type ProbeResult,
  type ProbeSetup,
  runProbe,
} from "./experiment/probe-run.ts";
export {
  effectiveWeightVar,
  type ProbeTheory,
  predictProbe,
  probeTheoryUnavailable,
} from "./experiment/probe-theory.ts";
export {
  addingProblem,
  copyTask,
  type RecurrentConfig,
  type RecurrentProbeResult,
  resolveRecurrentConfig,
  runRecurrentProbe,
  trainRecurrent,
} from "./experiment/recurrent/index.ts";
export type { LayerRecord, TrainRecord, TrainSummary } from "./experiment/train/recorder.ts";
export { Trainer, type TrainOptions, type TrainResult, train } from "./experiment/train/trainer.ts";
export {
  type TransformerConfig,
  transformerConfig,
} from "./experiment/transformer/config.ts";
export {
  runTransformerProbe,
  type TransformerProbeResult,
} from "./experiment/transformer/probe.ts";
export { trainTransformer } from "./experiment/transformer/train.ts";
// Probes
export type { LayerMetrics } from "./probe/layer-metrics.ts";
export { measureBlock } from "./probe/layer-metrics.ts";
export { measureNetwork } from "./probe/measure.ts";
// Figures (SVG strings from plain data; PNG rendering lives in the Node-only report/node.ts)
export * as figures from "./report/index.ts";
// Theory
export {
  criticalWeightVar,
  phaseDiagram,
  type TheoryReport,
  theoryReport,
} from "./theory/mean-field.ts";
export { type LayerPrediction, predictProfile } from "./theory/profile.ts";
export { type PascanuBounds, pascanuBounds, recurrentTheory } from "./theory/recurrent.ts";
export {
  type FlowJudgment,
  type FlowPoint,
  judgeFlow,
  judgeRun,
  type RunJudgment,
  VERDICT_THRESHOLDS,
} from "./verdict/index.ts";
export {
  fitPerLayerFactor,
  type ProbeSummary,
  summarize,
  type Verdict,
} from "./verdict/summary.ts";
