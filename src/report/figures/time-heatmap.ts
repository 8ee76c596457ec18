import * as Plot from "@observablehq/plot";
import { layerScale, linearScale, MARGINS } from "../axes.ts";
import { type FigureOptions, resolveDocument } from "../dom.ts";
import { formatTick } from "../format.ts";
import { composeFigure, DEFAULT_WIDTH, type LegendItem } from "../frame.ts";
import { NONFINITE_COLOR, sample, viridis, ZERO_COLOR } from "../palette.ts";
import { binIndex, niceThresholds } from "../quantize.ts";
import { cellEdges } from "./gradient-heatmap.ts";

export interface PointStepHeatmapData {
  /** Training steps, ascending (x). */
  steps: readonly number[];
  /** Number of measure points P (time steps T, or blocks L), drawn 1..P from the bottom. */
  points: number;
  /** values[stepIndex][point - 1]: a gradient norm (not its log). */
  values: readonly (readonly number[])[];
}

export interface PointStepHeatmapOptions extends FigureOptions {
  /** y axis label, e.g. "time step t (1 = first input)". */
  pointLabel: string;
  /** What the values are, for the title and the colour legend, e.g. "‖∂L/∂h_t‖". */
  valueLabel: string;
  /** Most colour bins (default 10). */
  maxBins?: number;
}

type Kind = "value" | "zero" | "nonfinite";

interface Cell {
  x1: number;
  x2: number;
  y1: number;
  y2: number;
  kind: Kind;
  fill: string;
}

/** log10 of a positive finite value, else NaN. */
const log10 = (v: number): number => (Number.isFinite(v) && v > 0 ? Math.log10(v) : Number.NaN);

/**
 * log10 of a gradient norm over measure point (y: the time steps of a recurrent net, or the
 * blocks of a transformer) and training step (x), quantized into at most 10 viridis colours
 * over the run's own range. A zero (underflow, which a log scale cannot show) is grey and
 * NaN/Inf is red, each with a legend entry. Long sequences are drawn as contiguous runs of
 * equal colour per point, so T = 1000 by 1000 steps stays a few thousand rects.
 */
export function pointStepHeatmap(
  data: PointStepHeatmapData,
  options: PointStepHeatmapOptions,
): string {
  const { steps, points } = data;
  const edges = cellEdges(steps);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const row of data.values) {
    for (let p = 0; p < points; p++) {
      const lg = log10(row[p] ?? Number.NaN);
      if (Number.isFinite(lg)) {
        lo = Math.min(lo, lg);
        hi = Math.max(hi, lg);
      }
    }
  }
  if (!(lo <= hi)) {
    lo = 0;
    hi = 1;
  }
  const thresholds = niceThresholds(lo, hi, options.maxBins ?? 10);
  const colors = sample(viridis, thresholds.length + 1);
  const cells: Cell[] = [];
  let zeros = 0;
  let nonfinite = 0;
  for (let p = 1; p <= points; p++) {
    let run: Cell | null = null;
    for (let i = 0; i < steps.length; i++) {
      const v = data.values[i]?.[p - 1] ?? Number.NaN;
      const lg = log10(v);
      let kind: Kind = "value";
      let fill: string;
      if (Number.isFinite(lg)) fill = colors[binIndex(lg, thresholds)]!;
      else if (v === 0) {
        kind = "zero";
        fill = ZERO_COLOR;
        zeros++;
      } else {
        kind = "nonfinite";
        fill = NONFINITE_COLOR;
        nonfinite++;
      }
      if (run && run.fill === fill) run.x2 = edges[i + 1]!;
      else {
        run = { x1: edges[i]!, x2: edges[i + 1]!, y1: p - 0.5, y2: p + 0.5, kind, fill };
        cells.push(run);
      }
    }
  }
  const extras: LegendItem[] = [];
  if (zeros > 0) extras.push({ label: "= 0 (underflow)", color: ZERO_COLOR, shape: "rect" });
  if (nonfinite > 0) extras.push({ label: "NaN or ∞", color: NONFINITE_COLOR, shape: "rect" });
  const x0 = edges[0] ?? 0;
  const x1 = edges[edges.length - 1] ?? 1;
  return composeFigure({
    document: resolveDocument(options.document),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 500,
    header: {
      title:
        options.title ??
        `${options.valueLabel} by ${options.pointLabel.split(" (")[0]} and training step`,
      subtitle: options.subtitle,
      colorBar: {
        title: `log₁₀ ${options.valueLabel}`,
        colors,
        thresholds,
        format: formatTick,
        extras,
      },
    },
    panels: [
      () => ({
        ...MARGINS,
        x: { ...linearScale(x0, x1, "training step", { grid: false }), domain: [x0, x1] },
        y: layerScale(1, Math.max(1, points), options.pointLabel, 0.5),
        color: { type: "identity" },
        marks: [
          Plot.rect(cells, {
            x1: "x1",
            x2: "x2",
            y1: "y1",
            y2: "y2",
            fill: "fill",
            inset: 0,
            shapeRendering: "crispEdges",
          }),
        ],
      }),
    ],
  });
}
