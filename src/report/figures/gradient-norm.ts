import type { LayerMetrics } from "../../probe/layer-metrics.ts";
import { layerScale, logScale, MARGINS, MIN_LOG_DECADES } from "../axes.ts";
import { type FigureOptions, resolveDocument } from "../dom.ts";
import { formatNumber } from "../format.ts";
import { composeFigure, DEFAULT_WIDTH, type LegendItem } from "../frame.ts";
import { categorical } from "../palette.ts";
import {
  logSeriesMarks,
  offScaleItem,
  positiveExtent,
  type Series,
  theoryItem,
} from "../series.ts";

export type GradientMetric = "gradWeightNorm" | "gradPreactMeanSq";

/** One measured network: its label and per-layer metrics (only the plotted fields are read). */
export interface GradientRun {
  label: string;
  layers: readonly Pick<LayerMetrics, "layer" | GradientMetric>[];
}

/** A predicted value of the plotted metric at one layer. */
export interface TheoryPoint {
  layer: number;
  value: number;
}

export interface GradientNormOptions extends FigureOptions {
  /** Which metric to plot (default gradWeightNorm). */
  metric?: GradientMetric;
  /** Per run (same order as `runs`): predictions drawn dashed in the run's colour. */
  theory?: readonly (readonly TheoryPoint[] | null | undefined)[];
  /** Legend text of the dashed lines (default "mean-field theory (dashed)"). */
  theoryLabel?: string;
}

const METRIC_LABEL: Record<GradientMetric, { axis: string; title: string }> = {
  gradWeightNorm: {
    axis: "‖∂L/∂W‖, Frobenius norm (log scale)",
    title: "Weight-gradient norm by layer",
  },
  gradPreactMeanSq: {
    axis: "mean (∂L/∂z)² (log scale)",
    title: "Mean squared pre-activation gradient by layer",
  },
};

/**
 * Figure 1: a gradient metric against layer on a log axis, one line per run (with its
 * first-to-last-layer ratio in the legend) and optional dashed theory lines.
 */
export function gradientNormByLayer(
  runs: readonly GradientRun[],
  options: GradientNormOptions = {},
): string {
  const metric = options.metric ?? "gradWeightNorm";
  const series: Series[] = [];
  const legend: LegendItem[] = [];
  let minLayer = Number.POSITIVE_INFINITY;
  let maxLayer = Number.NEGATIVE_INFINITY;
  runs.forEach((run, i) => {
    const color = categorical(i);
    const points = run.layers.map((m) => ({ x: m.layer, y: m[metric] }));
    for (const p of points) {
      minLayer = Math.min(minLayer, p.x);
      maxLayer = Math.max(maxLayer, p.x);
    }
    series.push({ label: run.label, color, points });
    const first = points.reduce(
      (a, b) => (b.x < a.x ? b : a),
      points[0] ?? { x: 0, y: Number.NaN },
    );
    const last = points.reduce((a, b) => (b.x > a.x ? b : a), points[0] ?? { x: 0, y: Number.NaN });
    const ratio = first.y / last.y;
    const ratioText =
      points.length > 1 ? ` (layer ${first.x} ÷ layer ${last.x}: ${formatNumber(ratio, 2)})` : "";
    legend.push({ label: `${run.label}${ratioText}`, color, shape: "line-dot" });
    const theory = options.theory?.[i];
    if (theory && theory.length > 0) {
      series.push({
        label: `${run.label} theory`,
        color,
        points: theory.map((t) => ({ x: t.layer, y: t.value })),
        dashed: true,
      });
      for (const t of theory) {
        minLayer = Math.min(minLayer, t.layer);
        maxLayer = Math.max(maxLayer, t.layer);
      }
    }
  });
  if (!Number.isFinite(minLayer)) {
    minLayer = 1;
    maxLayer = 1;
  }
  const [lo, hi] = positiveExtent(series);
  const y = logScale(lo, hi, METRIC_LABEL[metric].axis, 8, MIN_LOG_DECADES);
  const floor = (y.domain as [number, number])[0];
  const { marks, offScale } = logSeriesMarks(series, floor);
  if (series.some((s) => s.dashed))
    legend.push(theoryItem(options.theoryLabel ?? "mean-field theory (dashed)"));
  if (offScale > 0) legend.push(offScaleItem());
  return composeFigure({
    document: resolveDocument(options.document),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 500,
    header: {
      title: options.title ?? METRIC_LABEL[metric].title,
      subtitle: options.subtitle,
      legend,
    },
    panels: [
      () => ({
        ...MARGINS,
        x: layerScale(minLayer, maxLayer, "layer (1 = input side)"),
        y,
        marks,
      }),
    ],
  });
}
