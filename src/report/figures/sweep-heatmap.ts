import * as Plot from "@observablehq/plot";
import { linearScale, MARGINS } from "../axes.ts";
import { type FigureOptions, resolveDocument } from "../dom.ts";
import { formatNumber } from "../format.ts";
import { composeFigure, DEFAULT_WIDTH, type LegendItem } from "../frame.ts";
import { INK, MISSING_COLOR, sample, viridis } from "../palette.ts";
import { binIndex, niceThresholds } from "../quantize.ts";
import { cellEdges } from "./gradient-heatmap.ts";

export interface SweepHeatmapData {
  xLabel: string;
  yLabel: string;
  metricLabel: string;
  /** true for a loss (lower is better: the colour scale is reversed). */
  lowerIsBetter: boolean;
  cells: readonly { x: number; y: number; value: number }[];
  /** Theory (weight variance across, depth up): the critical line and curves k * xi_c. */
  criticalX?: number;
  curves?: readonly {
    label: string;
    dashed?: boolean;
    points: readonly { x: number; y: number }[];
  }[];
}

const distinct = (vs: readonly number[]) =>
  [...new Set(vs.filter(Number.isFinite))].sort((a, b) => a - b);

/**
 * A sweep over two axes as a heatmap of one metric (test accuracy or final loss), quantized
 * into at most 10 colours; cells with no finite value are grey. With theory: the critical
 * weight variance as a vertical line and the curves depth = k xi_c(sigma_w^2), clipped to the
 * plotted depths.
 */
export function sweepHeatmap(data: SweepHeatmapData, options: FigureOptions = {}): string {
  const xs = distinct(data.cells.map((c) => c.x));
  const ys = distinct(data.cells.map((c) => c.y));
  const xe = cellEdges(xs);
  const ye = cellEdges(ys);
  const xi = new Map(xs.map((v, i) => [v, i]));
  const yi = new Map(ys.map((v, i) => [v, i]));
  const values = data.cells.map((c) => c.value).filter(Number.isFinite);
  const lo = values.length > 0 ? Math.min(...values) : 0;
  const hi = values.length > 0 ? Math.max(...values) : 1;
  const thresholds = niceThresholds(lo, hi, 10);
  const ramp = sample(viridis, thresholds.length + 1, 0.02, 0.98);
  const colors = data.lowerIsBetter ? [...ramp].reverse() : ramp;
  const rects = data.cells
    .filter((c) => xi.has(c.x) && yi.has(c.y))
    .map((c) => {
      const i = xi.get(c.x)!;
      const j = yi.get(c.y)!;
      return {
        x1: xe[i]!,
        x2: xe[i + 1]!,
        y1: ye[j]!,
        y2: ye[j + 1]!,
        fill: Number.isFinite(c.value) ? colors[binIndex(c.value, thresholds)]! : MISSING_COLOR,
      };
    });
  const x0 = xe[0] ?? 0;
  const x1 = xe[xe.length - 1] ?? 1;
  const y0 = ye[0] ?? 0;
  const y1 = ye[ye.length - 1] ?? 1;
  const marks: Plot.Markish[] = [
    Plot.rect(rects, {
      x1: "x1",
      x2: "x2",
      y1: "y1",
      y2: "y2",
      fill: "fill",
      shapeRendering: "crispEdges",
    }),
  ];
  const legend: LegendItem[] = [];
  if (
    data.criticalX !== undefined &&
    Number.isFinite(data.criticalX) &&
    data.criticalX >= x0 &&
    data.criticalX <= x1
  ) {
    const line = [
      { x: data.criticalX, y: y0 },
      { x: data.criticalX, y: y1 },
    ];
    marks.push(Plot.line(line, { x: "x", y: "y", stroke: "white", strokeWidth: 5 }));
    marks.push(Plot.line(line, { x: "x", y: "y", stroke: INK, strokeWidth: 2 }));
    legend.push({
      label: `critical line χ₁ = 1 (σ_w² = ${formatNumber(data.criticalX, 3)})`,
      color: INK,
      shape: "line",
    });
  }
  const curveColors = ["#e15759", "#ffffff"];
  (data.curves ?? []).forEach((curve, n) => {
    // above the plotted depths the curve breaks (Plot leaves NaN points out of a line)
    const pts = curve.points
      .filter((p) => p.x >= x0 && p.x <= x1)
      .map((p) => ({ x: p.x, y: Number.isFinite(p.y) && p.y <= y1 ? p.y : Number.NaN }));
    const color = curveColors[n % curveColors.length]!;
    marks.push(
      Plot.line(pts, { x: "x", y: "y", stroke: INK, strokeWidth: 4.5, strokeOpacity: 0.5 }),
    );
    marks.push(
      Plot.line(pts, {
        x: "x",
        y: "y",
        stroke: color,
        strokeWidth: 2.5,
        ...(curve.dashed ? { strokeDasharray: "6,4" } : {}),
      }),
    );
    legend.push({
      label: curve.label,
      color: color === "#ffffff" ? MISSING_COLOR : color,
      shape: curve.dashed ? "dashed" : "line",
    });
  });
  marks.push(Plot.frame({ stroke: INK, strokeWidth: 0.5 }));
  const extras: LegendItem[] = [...legend];
  if (data.cells.some((c) => !Number.isFinite(c.value))) {
    extras.push({ label: "no result (failed or blew up)", color: MISSING_COLOR, shape: "rect" });
  }
  return composeFigure({
    document: resolveDocument(options.document),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 600,
    header: {
      title: options.title ?? `${data.metricLabel} over ${data.xLabel} and ${data.yLabel}`,
      subtitle: options.subtitle,
      colorBar: {
        title: data.metricLabel,
        colors,
        thresholds,
        format: (v) => formatNumber(v, 3),
        ...(data.lowerIsBetter
          ? { lowNote: "← better", highNote: "worse →" }
          : { lowNote: "← worse", highNote: "better →" }),
        extras,
      },
    },
    panels: [
      () => ({
        ...MARGINS,
        x: { ...linearScale(x0, x1, data.xLabel, { grid: false }), domain: [x0, x1] },
        y: { ...linearScale(y0, y1, data.yLabel, { grid: false }), domain: [y0, y1] },
        color: { type: "identity" },
        marks,
      }),
    ],
  });
}
