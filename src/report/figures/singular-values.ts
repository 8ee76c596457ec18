import * as Plot from "@observablehq/plot";
import { linearScale, logScale, MARGINS } from "../axes.ts";
import { type FigureOptions, resolveDocument } from "../dom.ts";
import { formatNumber } from "../format.ts";
import { composeFigure, DEFAULT_WIDTH, type LegendItem } from "../frame.ts";
import { finiteExtent, histogram, linearEdges, logEdges, stepOutline } from "../histogram.ts";
import { categorical, MUTED } from "../palette.ts";

export interface SingularValueSet {
  label: string;
  values: readonly number[] | Float64Array;
}

export interface SingularValueOptions extends FigureOptions {
  /** Number of bins (default 40). */
  bins?: number;
  /** Log x axis; default when the positive values span more than a factor of 100. */
  logX?: boolean;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/**
 * Figure 9: histograms of the singular values of input-output Jacobians, several overlaid
 * (share of singular values per bin), with sigma = 1 (dynamical isometry) marked.
 */
export function singularValueHistogram(
  sets: readonly SingularValueSet[],
  options: SingularValueOptions = {},
): string {
  const bins = options.bins ?? 40;
  const positive = finiteExtent(
    sets.map((s) => s.values),
    true,
  );
  const all = finiteExtent(sets.map((s) => s.values)) ?? [0, 1];
  const log = options.logX ?? (positive !== null && positive[1] / positive[0] > 100);
  const edges =
    log && positive
      ? logEdges(positive[0], positive[1], bins)
      : linearEdges(Math.min(0, all[0]), all[1], bins);
  const legend: LegendItem[] = [];
  const marks: Plot.Markish[] = [];
  let peak = 0;
  sets.forEach((set, i) => {
    const color = categorical(i);
    const h = histogram(set.values, edges);
    const share = h.counts.map((c) => c / Math.max(1, h.inside + h.outside));
    for (const v of share) peak = Math.max(peak, v);
    const bars = share.map((y, k) => ({ x1: edges[k]!, x2: edges[k + 1]!, y }));
    marks.push(
      // y1/y2 rather than y, which would stack the bars.
      Plot.rect(bars, {
        x1: "x1",
        x2: "x2",
        y1: 0,
        y2: "y",
        fill: color,
        fillOpacity: 0.15,
        inset: 0,
      }),
      Plot.line(stepOutline(edges, share), { x: "x", y: "y", stroke: color, strokeWidth: 2 }),
    );
    let n = 0;
    let max = Number.NEGATIVE_INFINITY;
    const finite: number[] = [];
    for (const v of set.values) {
      if (!Number.isFinite(v)) continue;
      n++;
      finite.push(v);
      if (v > max) max = v;
    }
    const lost: string[] = [];
    if (h.outside > 0) lost.push(`${h.outside} ${log ? "≤ 0" : "outside"} not shown`);
    if (h.nonfinite > 0) lost.push(`${h.nonfinite} NaN/∞`);
    legend.push({
      label: `${set.label} (n = ${n}, median ${formatNumber(median(finite), 3)}, max ${formatNumber(max, 3)}${lost.map((t) => `, ${t}`).join("")})`,
      color,
      shape: "area",
    });
  });
  const [e0, e1] = [edges[0]!, edges[edges.length - 1]!];
  const x = log
    ? logScale(e0, e1, "singular value σ of the Jacobian (log scale)")
    : linearScale(e0, e1, "singular value σ of the Jacobian", { grid: false });
  const xDomain = x.domain as [number, number];
  if (1 >= xDomain[0] && 1 <= xDomain[1]) {
    marks.unshift(Plot.ruleX([1], { stroke: MUTED, strokeDasharray: "6 4", strokeWidth: 1.5 }));
    legend.push({ label: "σ = 1 (dynamical isometry)", color: MUTED, shape: "dashed" });
  }
  return composeFigure({
    document: resolveDocument(options.document),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 460,
    header: {
      title: options.title ?? "Singular values of the input-output Jacobian",
      subtitle: options.subtitle,
      legend,
    },
    panels: [
      () => ({
        ...MARGINS,
        x,
        y: linearScale(0, peak * 1.05, "share of singular values per bin", {
          format: (v) => `${formatNumber(v * 100, 3)}%`,
        }),
        marks: [...marks, Plot.ruleY([0], { stroke: "#222" })],
      }),
    ],
  });
}
