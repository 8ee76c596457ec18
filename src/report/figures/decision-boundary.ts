import * as Plot from "@observablehq/plot";
import { linearScale, MARGINS } from "../axes.ts";
import { type FigureOptions, resolveDocument } from "../dom.ts";
import { composeFigure, DEFAULT_WIDTH, type LegendItem } from "../frame.ts";
import { categorical, INK, MISSING_COLOR } from "../palette.ts";
import { rowRuns } from "./row-runs.ts";

/** The data of a decision-boundary figure (see experiment/decision-grid.ts for the grid). */
export interface DecisionBoundaryData {
  grid: {
    xMin: number;
    xMax: number;
    yMin: number;
    yMax: number;
    nx: number;
    ny: number;
    /** Predicted class per cell, row-major from the bottom row; -1: output not finite. */
    classes: ArrayLike<number>;
  };
  /** The points drawn on top (e.g. the training set), with their true class. */
  points: readonly { x: number; y: number; label: number }[];
  /** Number of classes (legend entries). */
  classCount: number;
  /** Names of the classes (default "class 0", "class 1", ...). */
  classNames?: readonly string[];
}

/** A region's colour: the class colour mixed with white, so the points on top stand out. */
export function tint(hex: string, amount = 0.3): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const mix = (c: number) => Math.round(255 - (255 - c) * amount);
  const r = mix((n >> 16) & 255);
  const g = mix((n >> 8) & 255);
  const b = mix(n & 255);
  return `#${((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)}`;
}

interface Run {
  x1: number;
  x2: number;
  y1: number;
  y2: number;
  fill: string;
}

/**
 * The grid as rectangles: runs of equal class along each row are merged, so a smooth
 * boundary on a 60 x 60 grid is a few hundred rectangles, not 3,600 (the lab redraws it live).
 */
export function regionRuns(grid: DecisionBoundaryData["grid"]): Run[] {
  const { nx, ny, xMin, xMax, yMin, yMax, classes } = grid;
  const dx = (xMax - xMin) / nx;
  const dy = (yMax - yMin) / ny;
  const fill = (c: number) => (c < 0 ? MISSING_COLOR : tint(categorical(c)));
  const runs: Run[] = [];
  for (let j = 0; j < ny; j++) {
    for (const r of rowRuns(nx, (i) => classes[j * nx + i]!)) {
      runs.push({
        x1: xMin + r.start * dx,
        x2: xMin + r.end * dx,
        y1: yMin + j * dy,
        y2: yMin + (j + 1) * dy,
        fill: fill(r.key),
      });
    }
  }
  return runs;
}

/**
 * The decision regions of a classifier on 2-D inputs: each grid cell tinted with the class
 * the network predicts there, the data points on top in their true class's colour. A point
 * on a region of another colour is misclassified.
 */
export function decisionBoundary(
  data: DecisionBoundaryData,
  options: FigureOptions & { height?: number } = {},
): string {
  const { grid } = data;
  const runs = regionRuns(grid);
  const name = (k: number) => data.classNames?.[k] ?? `class ${k}`;
  const legend: LegendItem[] = [];
  for (let k = 0; k < data.classCount; k++)
    legend.push({ label: name(k), color: categorical(k), shape: "dot" });
  legend.push({
    label: "(dots: data; shading: the network's prediction)",
    color: INK,
    shape: "none",
  });
  let bad = false;
  for (let i = 0; i < grid.classes.length; i++) if (grid.classes[i]! < 0) bad = true;
  if (bad) legend.push({ label: "output not finite", color: MISSING_COLOR, shape: "rect" });
  const points = data.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  return composeFigure({
    document: resolveDocument(options.document),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 520,
    header: {
      title: options.title ?? "Decision regions: the predicted class over the input plane",
      subtitle: options.subtitle,
      legend,
    },
    panels: [
      () => ({
        ...MARGINS,
        x: {
          ...linearScale(grid.xMin, grid.xMax, "input x₁", { grid: false }),
          domain: [grid.xMin, grid.xMax],
        },
        y: {
          ...linearScale(grid.yMin, grid.yMax, "input x₂", { grid: false }),
          domain: [grid.yMin, grid.yMax],
        },
        color: { type: "identity" },
        marks: [
          Plot.rect(runs, {
            x1: "x1",
            x2: "x2",
            y1: "y1",
            y2: "y2",
            fill: "fill",
            shapeRendering: "crispEdges",
          }),
          Plot.dot(points, {
            x: "x",
            y: "y",
            r: 3,
            fill: (p: { label: number }) => categorical(p.label),
            stroke: "white",
            strokeWidth: 0.8,
          }),
          Plot.frame({ stroke: INK, strokeWidth: 0.5 }),
        ],
      }),
    ],
  });
}
