/**
 * Figures: one function per figure, each returning standalone SVG markup. Browser-safe: no
 * node: imports here (the Node-only pieces are node-dom.ts, png.ts and render-node.ts).
 */
export type { FigureDocument, FigureElement, FigureOptions } from "./dom.ts";
export {
  type ActivationFigureData,
  activationFigure,
} from "./figures/activation-figure.ts";
export {
  type ActivationHistogramOptions,
  type ActivationLayer,
  activationHistograms,
} from "./figures/activation-histograms.ts";
export {
  type GradientHeatmapData,
  type GradientHeatmapOptions,
  gradientHeatmap,
} from "./figures/gradient-heatmap.ts";
export {
  type GradientMetric,
  type GradientNormOptions,
  type GradientRun,
  gradientNormByLayer,
  type TheoryPoint,
} from "./figures/gradient-norm.ts";
export { type LossCurvesData, type LossCurvesOptions, lossCurves } from "./figures/loss-curves.ts";
export { type MatrixPowerData, matrixPowerGrowth } from "./figures/matrix-power.ts";
export {
  CHI1_THRESHOLDS,
  CHI1_THRESHOLDS_WIDE,
  type PhaseDiagramData,
  type PhaseDiagramOptions,
  phaseDiagram,
} from "./figures/phase-diagram.ts";
export {
  type SingularValueOptions,
  type SingularValueSet,
  singularValueHistogram,
} from "./figures/singular-values.ts";
export {
  type UpdateRatioData,
  type UpdateRatioOptions,
  updateRatio,
} from "./figures/update-ratio.ts";
