import * as Plot from "@observablehq/plot";
import { linearScale, logScale, MARGINS } from "../../../report/axes.ts";
import { type FigureOptions, resolveDocument } from "../../../report/dom.ts";
import { formatNumber } from "../../../report/format.ts";
import {
  composeFigure,
  DEFAULT_WIDTH,
  type LegendItem,
  SMALL_SIZE,
} from "../../../report/frame.ts";
import { finiteExtent } from "../../../report/histogram.ts";
import { categorical, NONFINITE_COLOR } from "../../../report/palette.ts";
import type { XY } from "../downsample.ts";

/** A scalar over recorded steps (loss, global gradient norm), already thinned for drawing. */
export interface StepSeriesData {
  /** The line's points (downsample.ts `envelope`: spikes survive thinning). */
  points: readonly XY[];
  /** Every spike, at its own step and value. */
  spikes: readonly XY[];
  /** The first step with NaN/Inf anywhere in its record, if any. */
  firstNonFinite: number | null;
  /** First and last recorded step (the x domain). */
  stepRange: [number, number];
  /** The quantity, for the y axis and the title ("loss", "global gradient norm ‖g‖"). */
  quantity: string;
  /** How many recorded steps each drawn bin holds at most (1: none thinned). */
  perBin: number;
}

export interface StepSeriesOptions extends FigureOptions {
  /** Log y axis: default when every value is positive and they span a factor of 10. */
  log?: boolean;
  /** The spike rule in words, for the legend. */
  spikeRule?: string;
}

const LINE = categorical(0);
const SPIKE = "#e15759";

/**
 * A scalar over training steps with its spikes circled and the first non-finite step as a
 * red vertical rule. Log axis when the values span decades (a gradient norm usually does).
 */
export function stepSeries(data: StepSeriesData, options: StepSeriesOptions = {}): string {
  const ys = data.points.map((p) => p.y);
  const positive = finiteExtent([ys], true);
  const allPositive = ys.every((y) => y > 0);
  const log = options.log ?? (allPositive && positive !== null && positive[1] / positive[0] >= 10);
  const extent = finiteExtent([ys], log) ?? [1, 10];
  const y = log
    ? logScale(extent[0], extent[1], `${data.quantity} (log scale)`)
    : linearScale(Math.min(0, extent[0]), extent[1], data.quantity, { pad: 0.04 });
  const [s0, s1] = data.stepRange;
  const legend: LegendItem[] = [{ label: data.quantity, color: LINE, shape: "line" }];
  if (data.spikes.length > 0) {
    legend.push({
      // the rule in words where it fits; a narrow figure says it in a shorter form
      label: `${data.spikes.length} spike${data.spikes.length > 1 ? "s" : ""}${options.spikeRule ? ` (${(options.width ?? DEFAULT_WIDTH) >= 560 ? options.spikeRule : "> 10× running median"})` : ""}`,
      color: SPIKE,
      shape: "dot",
    });
  }
  if (data.firstNonFinite !== null) {
    legend.push({
      label: `first NaN/Inf at step ${formatNumber(data.firstNonFinite, 6)}`,
      color: NONFINITE_COLOR,
      shape: "dashed",
    });
  }
  const shown = data.spikes.filter((p) => Number.isFinite(p.y) && (!log || p.y > 0));
  const marks: Plot.Markish[] = [
    Plot.line(data.points, { x: "x", y: "y", stroke: LINE, strokeWidth: 1.6 }),
    Plot.dot(shown, { x: "x", y: "y", r: 4.5, stroke: SPIKE, strokeWidth: 2, fill: "none" }),
  ];
  if (data.points.length <= 40) {
    marks.push(Plot.dot(data.points, { x: "x", y: "y", fill: LINE, r: 2.5 }));
  }
  if (data.firstNonFinite !== null) {
    marks.push(
      Plot.ruleX([data.firstNonFinite], {
        stroke: NONFINITE_COLOR,
        strokeWidth: 2,
        strokeDasharray: "6 4",
      }),
      Plot.text([data.firstNonFinite], {
        x: (d: number) => d,
        text: () => "NaN/Inf",
        frameAnchor: "top",
        textAnchor: "end",
        dx: -4,
        dy: 4,
        fill: NONFINITE_COLOR,
        fontSize: SMALL_SIZE,
      }),
    );
  }
  const thinned =
    data.perBin > 1
      ? `${formatNumber(data.perBin, 4)} recorded steps per drawn bin: its lowest and highest value`
      : undefined;
  return composeFigure({
    document: resolveDocument(options.document),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 340,
    header: {
      title:
        options.title ??
        `${data.quantity[0]!.toUpperCase()}${data.quantity.slice(1)} over training steps`,
      subtitle: [options.subtitle, thinned].filter(Boolean).join("; ") || undefined,
      legend,
    },
    panels: [
      () => ({
        ...MARGINS,
        x: linearScale(s0, s1 > s0 ? s1 : s0 + 1, "training step", { grid: false }),
        y,
        marks,
      }),
    ],
  });
}
