import * as Plot from "@observablehq/plot";
import { linearScale, logScale, MARGINS } from "../axes.ts";
import { type FigureOptions, resolveDocument } from "../dom.ts";
import { formatNumber } from "../format.ts";
import { composeFigure, DEFAULT_WIDTH, type LegendItem, type Panel } from "../frame.ts";
import { finiteExtent, histogram, linearEdges, logEdges, stepOutline } from "../histogram.ts";
import { categorical, INK, MUTED } from "../palette.ts";

export interface SingularValueSet {
  label: string;
  values: readonly number[] | Float64Array;
  /**
   * Values at or below this are numerically zero (e.g. the Jacobian's rank tolerance
   * max * n * eps): they are counted in a bar of their own, not drawn as a spectrum.
   * Default 0 (exact zeros and negative values only).
   */
  zeroBelow?: number;
}

export interface SingularValueOptions extends FigureOptions {
  /** Number of bins (default 40). */
  bins?: number;
  /** Log x axis; default when the shown values (and 1) span more than a factor of 100. */
  logX?: boolean;
  /** Keep σ = 1 (dynamical isometry) inside the x range (default true). */
  includeOne?: boolean;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** The values of a set split into shown (finite, above its zero threshold), zero and NaN/∞. */
export function splitSpectrum(set: SingularValueSet): {
  shown: number[];
  zeros: number;
  nonfinite: number;
} {
  const tol = Math.max(0, set.zeroBelow ?? 0);
  const shown: number[] = [];
  let zeros = 0;
  let nonfinite = 0;
  for (const v of set.values) {
    if (!Number.isFinite(v)) nonfinite++;
    else if (v <= tol) zeros++;
    else shown.push(v);
  }
  return { shown, zeros, nonfinite };
}

/** The histogram's bin edges: over the shown values (and 1 when asked), log or linear. */
export function spectrumEdges(
  sets: readonly SingularValueSet[],
  options: Pick<SingularValueOptions, "bins" | "logX" | "includeOne"> = {},
): { edges: number[]; log: boolean } {
  const bins = options.bins ?? 40;
  const shown = sets.map((s) => splitSpectrum(s).shown);
  const ext = finiteExtent(shown, true);
  const includeOne = options.includeOne ?? true;
  let lo = ext?.[0] ?? 1;
  let hi = ext?.[1] ?? 1;
  if (includeOne) {
    lo = Math.min(lo, 1);
    hi = Math.max(hi, 1);
  }
  const log = options.logX ?? hi / lo > 100;
  if (log) return { edges: logEdges(lo, hi, bins), log };
  // Linear: from 0, and a little past the top so σ = 1 (or the largest value) is not on the edge.
  return { edges: linearEdges(0, hi > 0 ? hi * 1.02 : 1, bins), log };
}

/**
 * Figure 9: histograms of the singular values of input-output Jacobians, several overlaid
 * (share of singular values per bin), with sigma = 1 (dynamical isometry) marked and always in
 * range. Values at or below a set's `zeroBelow` (numerically zero: float64 cannot tell them
 * from 0) are counted in a bar of their own beside the axis, not drawn as part of the spectrum.
 */
export function singularValueHistogram(
  sets: readonly SingularValueSet[],
  options: SingularValueOptions = {},
): string {
  const { edges, log } = spectrumEdges(sets, options);
  const legend: LegendItem[] = [];
  const marks: Plot.Markish[] = [];
  const zeroBars: { set: string; share: number; color: string }[] = [];
  let peak = 0;
  sets.forEach((set, i) => {
    const color = categorical(i);
    const { shown, zeros, nonfinite } = splitSpectrum(set);
    const total = Math.max(1, set.values.length);
    const h = histogram(shown, edges);
    const share = h.counts.map((c) => c / total);
    for (const v of share) peak = Math.max(peak, v);
    if (zeros > 0) {
      zeroBars.push({ set: set.label, share: zeros / total, color });
      peak = Math.max(peak, zeros / total);
    }
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
    const finite = [...shown];
    let max = Number.NEGATIVE_INFINITY;
    for (const v of shown) if (v > max) max = v;
    const notes: string[] = [];
    const tol = set.zeroBelow ?? 0;
    if (zeros > 0)
      notes.push(`${zeros} numerically 0 (σ ${tol > 0 ? `≤ ${formatNumber(tol, 2)}` : "= 0"})`);
    if (h.outside > 0) notes.push(`${h.outside} outside the axis`);
    if (nonfinite > 0) notes.push(`${nonfinite} NaN/∞`);
    legend.push({
      label: `${set.label} (n = ${set.values.length}, median ${formatNumber(median(finite), 3)}, max ${formatNumber(max, 3)}${notes.map((t) => `, ${t}`).join("")})`,
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
  const y = linearScale(0, peak * 1.05, "share of singular values per bin", {
    format: (v) => `${formatNumber(v * 100, 3)}%`,
  });
  const panels: Panel[] = [];
  if (zeroBars.length > 0) {
    // The numerically zero values: a bar per set on a category axis of its own.
    panels.push(() => ({
      ...MARGINS,
      marginRight: 8,
      x: {
        type: "band",
        domain: zeroBars.map((b) => b.set),
        label: "σ ≈ 0",
        labelAnchor: "center",
        labelArrow: "none",
        tickFormat: () => "",
        padding: 0.2,
      },
      y,
      marks: [
        Plot.barY(zeroBars, { x: "set", y: "share", fill: "color", fillOpacity: 0.5 }),
        Plot.ruleY([0], { stroke: INK }),
      ],
    }));
  }
  panels.push(() => ({
    ...MARGINS,
    ...(zeroBars.length > 0 ? { marginLeft: 30 } : {}),
    x,
    y: zeroBars.length > 0 ? { ...y, label: null, tickFormat: () => "" } : y,
    marks: [...marks, Plot.ruleY([0], { stroke: INK })],
  }));
  return composeFigure({
    document: resolveDocument(options.document),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 460,
    header: {
      title: options.title ?? "Singular values of the input-output Jacobian",
      subtitle: options.subtitle,
      legend,
    },
    panels,
    ...(zeroBars.length > 0 ? { panelWeights: [0.2, 0.8] } : {}),
  });
}
