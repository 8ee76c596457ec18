/**
 * Figure sets: functions mapping what the commands compute (a ProbeResult, a run directory's
 * records, demo results) to the inputs of the plot functions in ../figures, and the figures
 * themselves as named SVG. Used by the CLI's --plot, `gradscope report`, and free for the
 * browser lab (nothing here imports node: modules).
 */
export {
  activationLayersOf,
  initialActivationLayers,
  inputMeanSquare,
  probeActivationLayers,
} from "./activations.ts";
export {
  describeNetwork,
  type FigureSetOptions,
  MAX_HISTOGRAM_LAYERS,
  type NamedFigure,
  pickIndices,
} from "./common.ts";
export {
  activationFigures,
  depthSweepFigure,
  depthSweepFigures,
  jacobianFigures,
  matrixPowerFigures,
  phaseDiagramFigures,
} from "./demos.ts";
export { histogramSubtitle, type ProbeFigureOptions, probeFigures } from "./probe.ts";
export {
  type GradientTheory,
  probeGradientTheory,
  trainGradientTheory,
  trainTheoryUnavailable,
} from "./theory.ts";
export {
  describeTrainRun,
  type TrainFigureOptions,
  type TrainRunData,
  trainFigures,
} from "./train.ts";
