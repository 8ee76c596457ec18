import * as Plot from "@observablehq/plot";
import { linearScale, logScale, MARGINS } from "../axes.ts";
import { type FigureOptions, resolveDocument } from "../dom.ts";
import { formatNumber, formatPercent, formatTick } from "../format.ts";
import { composeFigure, DEFAULT_WIDTH, type LegendItem, type Panel } from "../frame.ts";
import { finiteExtent } from "../histogram.ts";
import { categorical, NONFINITE_COLOR } from "../palette.ts";

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
  /** Log loss axis: default lossAxisIsLog of the losses (they span more than a decade). */
  logLoss?: boolean;
  /** What guessing scores: the loss (ln C for cross-entropy) and the accuracy (1/C). */
  chance?: Chance | null;
}

/** The loss and accuracy of a guess: dotted lines a model must get below / above. */
export interface Chance {
  loss?: number | null;
  accuracy?: number | null;
}

/**
 * Chance level of a classification task with `classes` classes: cross-entropy ln C (uniform
 * prediction), accuracy 1/C. Null for regression or fewer than 2 classes; no loss line for
 * other losses (MSE's chance level depends on the targets' coding).
 */
export function chanceLevel(loss: string, task: string, classes: number): Chance | null {
  if (task !== "classification" || !(classes >= 2)) return null;
  return {
    loss: loss === "cross-entropy" ? Math.log(classes) : null,
    accuracy: 1 / classes,
  };
}

/**
 * The one loss-axis rule of every figure (and of all figures of one report or comparison,
 * given all their losses): log when the positive finite losses span more than a decade, else
 * linear.
 */
export function lossAxisIsLog(losses: readonly ArrayLike<number>[]): boolean {
  const e = finiteExtent(losses, true);
  return e !== null && e[1] / e[0] > 10;
}

/** The first step whose value is NaN or ∞ (null when all are finite). */
export function firstNonFiniteStep(
  steps: readonly number[],
  values: readonly number[],
): number | null {
  for (let i = 0; i < steps.length; i++) {
    const v = values[i];
    if (v !== undefined && !Number.isFinite(v)) return steps[i]!;
  }
  return null;
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

const CHANCE = "#7f7f7f";

/** A dotted line at the chance level (none when unknown). */
export function chanceMarks(level: number | null): Plot.Markish[] {
  return level === null
    ? []
    : [Plot.ruleY([level], { stroke: CHANCE, strokeWidth: 1.8, strokeDasharray: "2 4" })];
}

/** Legend entry of the chance lines. */
export function chanceItem(loss: number | null, accuracy: number | null): LegendItem {
  const parts = [
    loss === null ? "" : `loss ${formatNumber(loss, 3)}`,
    accuracy === null ? "" : `accuracy ${formatPercent(accuracy)}`,
  ].filter(Boolean);
  return { label: `chance (guessing): ${parts.join(", ")}`, color: CHANCE, shape: "dotted" };
}

/** Red triangles at the top of the loss panel where the loss is NaN/∞, and a rule at the first. */
function blowUpMarks(
  steps: readonly number[],
  loss: readonly number[],
  first: number | null,
): Plot.Markish[] {
  if (first === null) return [];
  const bad = steps.filter((_, i) => loss[i] !== undefined && !Number.isFinite(loss[i]!));
  return [
    Plot.ruleX([first], { stroke: NONFINITE_COLOR, strokeWidth: 1.5, strokeDasharray: "5 3" }),
    Plot.dot(bad, {
      x: (d: number) => d,
      frameAnchor: "top",
      symbol: "triangle",
      fill: NONFINITE_COLOR,
      r: 5,
    }),
  ];
}

/**
 * Figure 5: training and test loss (log axis when it spans a decade or more) and, when given,
 * training and test accuracy in a second panel.
 */
export function lossCurves(data: LossCurvesData, options: LossCurvesOptions = {}): string {
  const log = options.logLoss ?? lossAxisIsLog([data.trainLoss, data.testLoss ?? []]);
  const chance = options.chance ?? null;
  const chanceLoss =
    chance?.loss != null && Number.isFinite(chance.loss) && (!log || chance.loss > 0)
      ? chance.loss
      : null;
  const chanceAcc =
    chance?.accuracy != null && Number.isFinite(chance.accuracy) ? chance.accuracy : null;
  const blownUp = firstNonFiniteStep(data.steps, data.trainLoss);
  const train = points(data.steps, data.trainLoss, log);
  const test = points(data.steps, data.testLoss, log);
  const trainAcc = points(data.steps, data.trainAcc);
  const testAcc = points(data.steps, data.testAcc);
  const hasAcc = trainAcc.length > 0 || testAcc.length > 0;
  const stepExtent = finiteExtent([data.steps]) ?? [0, 1];
  const x = linearScale(stepExtent[0], stepExtent[1], "training step", { grid: false });
  const lossExtent = finiteExtent([
    [...train, ...test].map((p) => p.y),
    chanceLoss === null ? [] : [chanceLoss],
  ]) ?? [0, 1];
  const y = log
    ? logScale(lossExtent[0], lossExtent[1], "loss (log scale)")
    : linearScale(Math.min(0, lossExtent[0]), lossExtent[1], "loss", { pad: 0.04 });
  const panels: Panel[] = [
    () => ({
      ...MARGINS,
      x,
      y,
      marks: [
        ...chanceMarks(chanceLoss),
        ...curve(train, TRAIN, false),
        ...curve(test, TEST, true),
        ...blowUpMarks(data.steps, data.trainLoss, blownUp),
      ],
    }),
  ];
  if (hasAcc) {
    panels.push(() => ({
      ...MARGINS,
      x,
      y: linearScale(0, 1, "accuracy (%)", { format: (v) => formatTick(Math.round(v * 100)) }),
      marks: [
        ...chanceMarks(chanceAcc),
        ...curve(trainAcc, TRAIN, false),
        ...curve(testAcc, TEST, true),
      ],
    }));
  }
  const legend: LegendItem[] = [{ label: "train", color: TRAIN, shape: "line" }];
  if (test.length > 0 || testAcc.length > 0)
    legend.push({ label: "test", color: TEST, shape: "dashed" });
  if (chanceLoss !== null || chanceAcc !== null) legend.push(chanceItem(chanceLoss, chanceAcc));
  if (blownUp !== null)
    legend.push({
      label: `loss NaN/∞ from step ${blownUp} (at the top)`,
      color: NONFINITE_COLOR,
      shape: "dot",
    });
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
