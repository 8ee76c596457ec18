import type { DecisionBoundaryData } from "../report/figures/decision-boundary.ts";
import type {
  ActivationLayer,
  GradientHeatmapData,
  GradientRun,
  LossCurvesData,
  TheoryPoint,
  UpdateRatioData,
} from "../report/index.ts";
import type { FixedHeatmapData, LinePanelsData } from "./lab-figures.ts";

/** Size and titles every figure request may carry (the document is the worker's). */
export interface FigureFrame {
  width?: number;
  height?: number;
  title?: string;
  subtitle?: string;
}

/**
 * What the figure worker draws. Each request is plain data; the answer is standalone SVG
 * markup from the same plot functions the CLI and the HTML report use (src/report).
 */
export type FigureRequest =
  | {
      kind: "gradient";
      runs: GradientRun[];
      theory: (TheoryPoint[] | null)[];
      metric: "gradWeightNorm" | "gradPreactMeanSq";
      frame: FigureFrame;
    }
  | { kind: "heatmap"; data: GradientHeatmapData; frame: FigureFrame }
  /** Lines on log axes whose domains the page fixed (lab-figures.ts). */
  | { kind: "panels"; data: LinePanelsData; frame: FigureFrame }
  /** A heatmap on a colour scale of decades the page fixed (shared by A and B). */
  | { kind: "fixedHeatmap"; data: FixedHeatmapData; frame: FigureFrame }
  | { kind: "updateRatio"; data: UpdateRatioData; frame: FigureFrame }
  | { kind: "loss"; data: LossCurvesData; frame: FigureFrame }
  | { kind: "histograms"; layers: ActivationLayer[]; activation: string; frame: FigureFrame }
  /** Computes matrixPowerDemo(matrix, layers) too; `info` is the demo without its powers. */
  | { kind: "matrixPower"; matrix: number[][]; layers: number; frame: FigureFrame }
  | { kind: "decision"; data: DecisionBoundaryData; frame: FigureFrame }
  /**
   * The mean-field phase diagram of (activation, slope) over a grid covering the marker,
   * with the marker (the network's effective sigma_w^2, sigma_b^2). The diagram is cached
   * per activation and grid, so moving the marker is cheap. `info` is PhaseDiagramInfo.
   */
  | {
      kind: "phase";
      activation: string;
      slope: number;
      marker: { weightVar: number; biasVar: number };
      frame: FigureFrame;
    }
  /** Computes activationTable(name) too; `info` is the table without its points. */
  | { kind: "activation"; name: string; slope: number; frame: FigureFrame };

export type FigureAnswer =
  | { id: number; svg: string; info?: unknown; ms: number }
  | { id: number; error: string };

/** What the figure worker tells about a phase diagram it drew. */
export interface PhaseDiagramInfo {
  weightVars: [number, number];
  biasVars: [number, number];
  /** chi1 at the marker and its phase. */
  chi1: number;
  phase: string;
  /** The critical weight variance at the marker's bias variance (NaN when there is none). */
  criticalWeightVar: number;
}
