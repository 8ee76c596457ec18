import { layerScale, logScale, MARGINS, MIN_LOG_DECADES } from "../axes.ts";
import { type FigureOptions, resolveDocument } from "../dom.ts";
import { composeFigure, DEFAULT_WIDTH, type LegendItem } from "../frame.ts";
import { finiteExtent } from "../histogram.ts";
import { categorical } from "../palette.ts";
import { logSeriesMarks, offScaleItem, positiveExtent, type Series } from "../series.ts";

export interface MatrixPowerData {
  /** n: the number of layers (matrix powers) at each point. */
  layers: readonly number[];
  /**
   * One line per label: a norm of W^n at each n. A `dashed` line (e.g. the prediction rho^n)
   * is drawn in the colour of the solid line listed before it.
   */
  norms: readonly { label: string; values: readonly number[]; dashed?: boolean }[];
}

/**
 * Figure 7: the norm of W^n against depth n on a log axis: straight lines whose slope is
 * log10 of the spectral radius (growing when rho > 1, vanishing when rho < 1).
 */
export function matrixPowerGrowth(data: MatrixPowerData, options: FigureOptions = {}): string {
  // A dashed line (e.g. the prediction rho^n) takes the colour of the solid line before it.
  let solid = -1;
  const series: Series[] = data.norms.map((norm) => {
    const dashed = norm.dashed ?? false;
    if (!dashed || solid < 0) solid++;
    return {
      label: norm.label,
      color: categorical(solid),
      points: data.layers.map((n, k) => ({ x: n, y: norm.values[k] ?? Number.NaN })),
      dashed,
      dots: data.layers.length <= 40 && !dashed,
    };
  });
  const [lo, hi] = positiveExtent(series);
  const y = logScale(lo, hi, "norm of Wⁿ (log scale)", 8, MIN_LOG_DECADES);
  const { marks, offScale } = logSeriesMarks(series, (y.domain as [number, number])[0]);
  const legend: LegendItem[] = series.map((s) => ({
    label: s.label,
    color: s.color,
    shape: s.dashed ? "dashed" : s.dots ? "line-dot" : "line",
  }));
  if (offScale > 0) legend.push(offScaleItem());
  const [n0, n1] = finiteExtent([data.layers]) ?? [0, 1];
  return composeFigure({
    document: resolveDocument(options.document),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 460,
    header: {
      title: options.title ?? "Growth of the matrix power Wⁿ with depth",
      subtitle: options.subtitle,
      legend,
    },
    panels: [
      () => ({
        ...MARGINS,
        x: layerScale(n0, n1, "n (layers applied)"),
        y,
        marks,
      }),
    ],
  });
}
