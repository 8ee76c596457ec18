import * as Plot from "@observablehq/plot";
import { linearScale, logScale, MARGINS } from "../axes.ts";
import { type FigureOptions, resolveDocument } from "../dom.ts";
import { formatTick } from "../format.ts";
import { composeFigure, DEFAULT_WIDTH, type LegendItem } from "../frame.ts";
import { finiteExtent } from "../histogram.ts";
import { categorical } from "../palette.ts";
import { type Chance, chanceItem, chanceMarks, lossAxisIsLog } from "./loss-curves.ts";

/** One configuration's history: training loss at each recorded step, test accuracy at each evaluation. */
export interface VariantHistory {
  label: string;
  steps: readonly number[];
  loss: readonly number[];
  /** Test accuracy in [0, 1]; NaN where not evaluated. */
  testAcc?: readonly number[];
}

export interface VariantCurvesOptions extends FigureOptions {
  /** The chance level shared by the variants (same data). */
  chance?: Chance | null;
}

interface Point {
  x: number;
  y: number;
}

function points(
  steps: readonly number[],
  values: readonly number[] | undefined,
  log: boolean,
): Point[] {
  if (!values) return [];
  return steps
    .map((x, i) => ({ x, y: values[i] ?? Number.NaN }))
    .filter((p) => Number.isFinite(p.y) && (!log || p.y > 0));
}

/**
 * compare / doctor: every configuration's training loss (left) and test accuracy (right) over
 * steps, one colour each, on axes shared by all of them (one loss-axis rule for the whole
 * comparison), with dotted chance lines: the figure that shows whether a remedy learns.
 */
export function variantCurves(
  variants: readonly VariantHistory[],
  options: VariantCurvesOptions = {},
): string {
  const log = lossAxisIsLog(variants.map((v) => v.loss));
  const chanceLoss =
    options.chance?.loss != null && (!log || options.chance.loss > 0) ? options.chance.loss : null;
  const chanceAcc = options.chance?.accuracy ?? null;
  const loss = variants.map((v) => points(v.steps, v.loss, log));
  const acc = variants.map((v) => points(v.steps, v.testAcc, false));
  const hasAcc = acc.some((a) => a.length > 0);
  const stepExtent = finiteExtent(variants.map((v) => v.steps)) ?? [0, 1];
  const x = linearScale(stepExtent[0], stepExtent[1], "training step", { grid: false });
  const lossExtent = finiteExtent([
    ...loss.map((p) => p.map((q) => q.y)),
    chanceLoss === null ? [] : [chanceLoss],
  ]) ?? [0, 1];
  const y = log
    ? logScale(lossExtent[0], lossExtent[1], "training loss (log scale)")
    : linearScale(Math.min(0, lossExtent[0]), lossExtent[1], "training loss", { pad: 0.04 });
  const line = (data: Point[], color: string, dots: boolean): Plot.Markish[] => [
    Plot.line(data, { x: "x", y: "y", stroke: color, strokeWidth: 2 }),
    ...(dots ? [Plot.dot(data, { x: "x", y: "y", fill: color, r: 3 })] : []),
  ];
  const legend: LegendItem[] = variants.map((v, i) => ({
    label: v.label,
    color: categorical(i),
    shape: "line",
  }));
  if (chanceLoss !== null || chanceAcc !== null) legend.push(chanceItem(chanceLoss, chanceAcc));
  return composeFigure({
    document: resolveDocument(options.document),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 460,
    header: {
      title:
        options.title ??
        (hasAcc
          ? "Training loss and test accuracy of each configuration"
          : "Training loss of each configuration"),
      subtitle: options.subtitle,
      legend,
    },
    panels: [
      () => ({
        ...MARGINS,
        x,
        y,
        marks: [
          ...chanceMarks(chanceLoss),
          ...loss.flatMap((p, i) => line(p, categorical(i), p.length <= 40)),
        ],
      }),
      ...(hasAcc
        ? [
            () => ({
              ...MARGINS,
              x,
              y: linearScale(0, 1, "test accuracy (%)", {
                format: (v: number) => formatTick(Math.round(v * 100)),
              }),
              marks: [
                ...chanceMarks(chanceAcc),
                ...acc.flatMap((p, i) => line(p, categorical(i), p.length <= 40)),
              ],
            }),
          ]
        : []),
    ],
  });
}
