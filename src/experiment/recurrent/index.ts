/** Recurrent nets (issue #15): config, probe over time steps, dump, sequence tasks, training. */
export {
  estimateRecurrentBytes,
  gateCount,
  RECURRENT_ONLY_OPTIONS,
  RECURRENT_OPTIONS,
  type RecurrentConfig,
  recurrentShape,
  resolveRecurrentConfig,
} from "./config.ts";
export { recurrentDumpChunks } from "./dump.ts";
export {
  RECURRENT_PROBE_TASK,
  RECURRENT_TRAIN_TASK,
  type RecurrentTrainJob,
  recurrentProbeJob,
  recurrentTrainJob,
} from "./jobs.ts";
export {
  type RecurrentParamMetrics,
  type RecurrentProbeResult,
  type RecurrentProbeSummary,
  type RunRecurrentProbeOptions,
  runRecurrentProbe,
  timeStepPoints,
} from "./probe.ts";
export {
  buildRecurrentProbe,
  type RecurrentProbeSetup,
  recurrentForwardBackward,
  recurrentLayerFromConfig,
} from "./probe-setup.ts";
export {
  RECURRENT_REMEDY_IDS,
  type RecurrentRemedy,
  type RecurrentRemedyId,
  recurrentRemedies,
} from "./remedies.ts";
export { measureTimeSteps, type TimeStepMetrics } from "./step-metrics.ts";
export {
  addingProblem,
  copyTask,
  createSequenceTask,
  type DigitsTaskOptions,
  isSequenceTaskName,
  SEQUENCE_TASK_NAMES,
  type SequenceTask,
  type SequenceTaskName,
  type SequenceTaskOptions,
  sequentialDigits,
} from "./tasks.ts";
export {
  buildRecurrentModel,
  DEFAULT_RECURRENT_TRAIN,
  type RecurrentStepInfo,
  type RecurrentTrainConfig,
  type RecurrentTrainResult,
  type TimeStepGradRecord,
  type TrainRecurrentOptions,
  timeStepNorms,
  trainRecurrent,
} from "./train-recurrent.ts";
