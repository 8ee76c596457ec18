import * as Plot from "@observablehq/plot";
import { linearScale, MARGINS } from "../../../report/axes.ts";
import { type FigureOptions, resolveDocument } from "../../../report/dom.ts";
import { formatLogTick } from "../../../report/format.ts";
import {
  composeFigure,
  DEFAULT_WIDTH,
  type LegendItem,
  SMALL_SIZE,
} from "../../../report/frame.ts";
import { finiteExtent } from "../../../report/histogram.ts";
import { layerColor, MUTED } from "../../../report/palette.ts";

/** log10(std ΔW / std W) per row over (thinned) steps. */
export interface UpdateRatioRows {
  steps: readonly number[];
  rows: readonly { label: string; values: readonly number[] }[];
  perBin: number;
}

const GUIDE = -3;

/** Rows named in the legend: all of up to 8, else 6 spread from first to last. */
function named(count: number): number[] {
  if (count <= 8) return Array.from({ length: count }, (_, i) => i);
  return [...new Set(Array.from({ length: 6 }, (_, k) => Math.round((k * (count - 1)) / 5)))];
}

/**
 * The update-to-weight ratio of each module over steps (the report's figure 4, with module
 * names): a dashed guide at 10⁻³, updates a thousandth of the weights.
 */
export function updateRatioRows(data: UpdateRatioRows, options: FigureOptions = {}): string {
  const count = data.rows.length;
  const colors = data.rows.map((_, i) => layerColor(i, count));
  const extent = finiteExtent(data.rows.map((r) => r.values)) ?? [GUIDE - 1, GUIDE + 1];
  const lo = Math.min(extent[0], GUIDE - 0.5);
  const hi = Math.max(extent[1], GUIDE + 0.5);
  const stepExtent = finiteExtent([data.steps]) ?? [0, 1];
  const legend: LegendItem[] = named(count).map((i) => ({
    label: data.rows[i]!.label,
    color: colors[i]!,
    shape: "line",
  }));
  if (count > 8) {
    legend.push({
      label: "(colours run from the first row to the last)",
      color: MUTED,
      shape: "none",
    });
  }
  legend.push({ label: `guide ${formatLogTick(10 ** GUIDE)}`, color: MUTED, shape: "dashed" });
  const thinned =
    data.perBin > 1 ? `mean over up to ${data.perBin} recorded steps per point` : undefined;
  return composeFigure({
    document: resolveDocument(options.document),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 420,
    header: {
      title: options.title ?? "Update-to-weight ratio per module",
      subtitle: [options.subtitle, thinned].filter(Boolean).join("; ") || undefined,
      legend,
    },
    panels: [
      () => ({
        ...MARGINS,
        marginRight: 50,
        x: linearScale(stepExtent[0], stepExtent[1], "training step", { grid: false }),
        y: linearScale(lo, hi, "log₁₀(std ΔW / std W)", { pad: 0.05 }),
        marks: [
          ...data.rows.map((r, i) =>
            Plot.line(
              data.steps.map((s, k) => ({ x: s, y: r.values[k] ?? Number.NaN })),
              { x: "x", y: "y", stroke: colors[i]!, strokeWidth: 1.5 },
            ),
          ),
          Plot.ruleY([GUIDE], { stroke: MUTED, strokeWidth: 2, strokeDasharray: "8 5" }),
          Plot.text([GUIDE], {
            y: (d: number) => d,
            text: () => formatLogTick(10 ** GUIDE),
            frameAnchor: "right",
            textAnchor: "start",
            dx: 6,
            fill: MUTED,
            fontSize: SMALL_SIZE,
          }),
        ],
      }),
    ],
  });
}
