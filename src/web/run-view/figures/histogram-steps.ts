import * as Plot from "@observablehq/plot";
import { linearScale, MARGINS } from "../../../report/axes.ts";
import { type FigureOptions, resolveDocument } from "../../../report/dom.ts";
import { cellEdges } from "../../../report/figures/gradient-heatmap.ts";
import { formatPercent, integerTicks, powerOfTen } from "../../../report/format.ts";
import { composeFigure, DEFAULT_WIDTH } from "../../../report/frame.ts";
import { sample, viridis } from "../../../report/palette.ts";
import { binIndex } from "../../../report/quantize.ts";
import type { LogHistogram } from "../parse.ts";

/** One module's log-binned histograms (|dL/dz| or |activation|) at the kept steps. */
export interface HistogramStepsData {
  steps: readonly number[];
  hists: readonly (LogHistogram | null)[];
  /** What was counted: "|∂L/∂z|" or "|activation|". */
  quantity: string;
  module: string;
}

/** Colour thresholds on the share of the sampled entries in a bin (fixed, so steps compare). */
export const SHARE_THRESHOLDS = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5] as const;

interface Cell {
  x1: number;
  x2: number;
  y1: number;
  y2: number;
  fill: string;
}

/**
 * A histogram of |x| per kept step, as a heatmap: step (x) against the power-of-two bins
 * of |x| on a log axis (y), the colour the share of the sampled entries in the bin. Exact
 * zeros and NaN/Inf are counted apart by the hook and said in the subtitle.
 */
export function histogramSteps(data: HistogramStepsData, options: FigureOptions = {}): string {
  const colors = sample(viridis, SHARE_THRESHOLDS.length + 1, 0.08, 1);
  const edges = cellEdges(data.steps);
  const cells: Cell[] = [];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let zeros = 0;
  let nonfinite = 0;
  let sampled = 0;
  data.hists.forEach((h, k) => {
    if (!h || h.sampled <= 0) return;
    zeros += h.zeros;
    nonfinite += h.nonfinite;
    sampled += h.sampled;
    h.counts.forEach((c, j) => {
      if (c <= 0) return;
      const y1 = Math.log10(h.edges[j]!);
      const y2 = Math.log10(h.edges[j + 1]!);
      if (!Number.isFinite(y1) || !Number.isFinite(y2)) return;
      lo = Math.min(lo, y1);
      hi = Math.max(hi, y2);
      cells.push({
        x1: edges[k]!,
        x2: edges[k + 1]!,
        y1,
        y2,
        fill: colors[binIndex(c / h.sampled, SHARE_THRESHOLDS)]!,
      });
    });
  });
  if (!(lo < hi)) {
    lo = -1;
    hi = 1;
  }
  const apart: string[] = [];
  if (zeros > 0) apart.push(`exact zeros ${formatPercent(zeros / sampled)}`);
  if (nonfinite > 0) apart.push(`NaN/Inf ${formatPercent(nonfinite / sampled)}`);
  const note =
    apart.length > 0 ? `not drawn, of all sampled entries: ${apart.join(", ")}` : undefined;
  const e0 = Math.floor(lo);
  const e1 = Math.ceil(hi);
  const x0 = edges[0] ?? 0;
  const x1 = edges[edges.length - 1] ?? 1;
  return composeFigure({
    document: resolveDocument(options.document),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 420,
    header: {
      title: options.title ?? `Histogram of ${data.quantity} over training steps: ${data.module}`,
      subtitle: [options.subtitle, note].filter(Boolean).join("; ") || undefined,
      colorBar: {
        title: "share of the sampled entries in the bin",
        colors,
        thresholds: [...SHARE_THRESHOLDS],
        format: (v) => formatPercent(v),
      },
    },
    panels: [
      () => ({
        ...MARGINS,
        x: { ...linearScale(x0, x1, "training step", { grid: false }), domain: [x0, x1] },
        y: {
          ...linearScale(e0, e1, `${data.quantity} (log scale, bins of powers of 2)`, {
            grid: false,
          }),
          domain: [e0, e1],
          ticks: integerTicks(e0, e1, 8),
          tickFormat: (v: number) => powerOfTen(v),
        },
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
