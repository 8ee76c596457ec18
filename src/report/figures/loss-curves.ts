import * as Plot from "@observablehq/plot";
import { linearScale, logScale, MARGINS } from "../axes.ts";
import { type FigureOptions, resolveDocument } from "../dom.ts";
import { formatTick } from "../format.ts";
import { composeFigure, DEFAULT_WIDTH, type LegendItem, type Panel } from "../frame.ts";
import { finiteExtent } from "../histogram.ts";
import { categorical } from "../palette.ts";

export interface LossCurvesData {
  /** Training steps, ascending. */
  steps: readonly number[];
  /** Training loss at each step. */
  trainLoss: readonly number[];
  /** Test loss at each step; NaN (or a shorter array) where it was not evaluated. */
  testLoss?: readonly number[];
  /** Accuracies in [0, 1], same conventions. */
  trainAcc?: readonly number[];
  testAcc?: readonly number[];
}

export interface LossCurvesOptions extends FigureOptions {
  /** Log loss axis: default when the positive losses span at least a factor of 10. */
  logLoss?: boolean;
}

const TRAIN = categorical(0);
const TEST = categorical(3);

interface Point {
  x: number;
  y: number;
}

function points(
  steps: readonly number[],
  values: readonly number[] | undefined,
  log = false,
): Point[] {
  if (!values) return [];
  return steps
    .map((x, i) => ({ x, y: values[i] ?? Number.NaN }))
    .filter((p) => Number.isFinite(p.y) && (!log || p.y > 0));
}

/** A line, with dots too when the points are few (e.g. test evaluations every epoch). */
function curve(data: Point[], color: string, dashed: boolean): Plot.Markish[] {
  const marks: Plot.Markish[] = [
    Plot.line(data, {
      x: "x",
      y: "y",
      stroke: color,
      strokeWidth: 2,
      strokeDasharray: dashed ? "7 4" : undefined,
    }),
  ];
  if (data.length <= 40) marks.push(Plot.dot(data, { x: "x", y: "y", fill: color, r: 3 }));
  return marks;
}

/**
 * Figure 5: training and test loss (log axis when it spans a decade or more) and, when given,
 * training and test accuracy in a second panel.
 */
export function lossCurves(data: LossCurvesData, options: LossCurvesOptions = {}): string {
  const positive = finiteExtent([data.trainLoss, data.testLoss ?? []], true);
  const log = options.logLoss ?? (positive !== null && positive[1] / positive[0] >= 10);
  const train = points(data.steps, data.trainLoss, log);
  const test = points(data.steps, data.testLoss, log);
  const trainAcc = points(data.steps, data.trainAcc);
  const testAcc = points(data.steps, data.testAcc);
  const hasAcc = trainAcc.length > 0 || testAcc.length > 0;
  const stepExtent = finiteExtent([data.steps]) ?? [0, 1];
  const x = linearScale(stepExtent[0], stepExtent[1], "training step", { grid: false });
  const lossExtent = finiteExtent([[...train, ...test].map((p) => p.y)]) ?? [0, 1];
  const y = log
    ? logScale(lossExtent[0], lossExtent[1], "loss (log scale)")
    : linearScale(Math.min(0, lossExtent[0]), lossExtent[1], "loss", { pad: 0.04 });
  const panels: Panel[] = [
    () => ({
      ...MARGINS,
      x,
      y,
      marks: [...curve(train, TRAIN, false), ...curve(test, TEST, true)],
    }),
  ];
  if (hasAcc) {
    panels.push(() => ({
      ...MARGINS,
      x,
      y: linearScale(0, 1, "accuracy (%)", { format: (v) => formatTick(Math.round(v * 100)) }),
      marks: [...curve(trainAcc, TRAIN, false), ...curve(testAcc, TEST, true)],
    }));
  }
  const legend: LegendItem[] = [{ label: "train", color: TRAIN, shape: "line" }];
  if (test.length > 0 || testAcc.length > 0)
    legend.push({ label: "test", color: TEST, shape: "dashed" });
  return composeFigure({
    document: resolveDocument(options.document),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 420,
    header: {
      title:
        options.title ?? (hasAcc ? "Loss and accuracy during training" : "Loss during training"),
      subtitle: options.subtitle,
      legend,
    },
    panels,
  });
}
