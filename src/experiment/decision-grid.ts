import { Mat } from "../core/mat.ts";
import type { Network } from "../core/network.ts";

/**
 * The decision regions of a classifier on 2-D inputs: its predicted class (argmax of the
 * output) at the centres of a regular grid covering the data. Pure apart from the network's
 * own buffers: the forward passes run in eval mode (batch norm uses running statistics) in
 * chunks of `batch` rows, as the Evaluator does, so the network's buffers keep their shape
 * and the next training step is unaffected.
 */

export interface GridBounds {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

export interface DecisionGrid extends GridBounds {
  /** Cells along x and along y. */
  nx: number;
  ny: number;
  /**
   * Predicted class per cell, row-major from the bottom row: classes[j * nx + i] is the cell
   * whose centre is (xMin + (i + 0.5) dx, yMin + (j + 0.5) dy); -1 where the output is not
   * finite.
   */
  classes: Int32Array;
  /** Number of classes the network outputs. */
  classCount: number;
}

/** The largest grid side evaluated (cells = side², each one forward row). */
export const MAX_GRID_SIDE = 200;

/**
 * A box around the points of `x` (rows of 2 coordinates), widened by `margin` of its span on
 * each side so the regions around the data show too. A set without finite points gets [-1, 1]².
 */
export function gridBounds(x: Mat, margin = 0.1): GridBounds {
  if (x.cols !== 2) throw new RangeError(`decision grid needs 2-D inputs (got ${x.cols} columns)`);
  let xMin = Number.POSITIVE_INFINITY;
  let xMax = Number.NEGATIVE_INFINITY;
  let yMin = Number.POSITIVE_INFINITY;
  let yMax = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < x.rows; r++) {
    const a = x.data[2 * r]!;
    const b = x.data[2 * r + 1]!;
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    if (a < xMin) xMin = a;
    if (a > xMax) xMax = a;
    if (b < yMin) yMin = b;
    if (b > yMax) yMax = b;
  }
  if (!(xMax >= xMin)) return { xMin: -1, xMax: 1, yMin: -1, yMax: 1 };
  // A degenerate span (one point, a vertical line) still gets a visible box.
  const sx = xMax - xMin || Math.max(1, Math.abs(xMin));
  const sy = yMax - yMin || Math.max(1, Math.abs(yMin));
  return {
    xMin: xMin - margin * sx,
    xMax: xMax + margin * sx,
    yMin: yMin - margin * sy,
    yMax: yMax + margin * sy,
  };
}

/** Centre of cell (i, j) of an n-cell axis over [lo, hi]. */
export function cellCentre(lo: number, hi: number, n: number, i: number): number {
  return lo + ((i + 0.5) * (hi - lo)) / n;
}

/**
 * An evaluation of `network` (2 inputs, one output per class) on an `nx` x `ny` grid over
 * `bounds` that can be done in pieces (`advance`), so a worker can interleave it with other
 * work; the network must not change until it is done. `batch` is the row count the
 * network's buffers were built for (the training batch).
 */
export class GridEvaluation {
  readonly nx: number;
  readonly ny: number;
  private readonly chunk: Mat;
  private readonly classes: Int32Array;
  private classCount = 0;
  private next = 0;
  /** Milliseconds spent in advance() so far. */
  elapsedMs = 0;

  constructor(
    private readonly network: Network,
    private readonly bounds: GridBounds,
    options: { nx?: number; ny?: number; batch: number },
  ) {
    const nx = options.nx ?? 60;
    const ny = options.ny ?? nx;
    for (const [name, n] of [
      ["nx", nx],
      ["ny", ny],
    ] as const) {
      if (!Number.isInteger(n) || n < 1 || n > MAX_GRID_SIDE)
        throw new RangeError(
          `${name} must be an integer between 1 and ${MAX_GRID_SIDE} (got ${n})`,
        );
    }
    if (!(bounds.xMax > bounds.xMin) || !(bounds.yMax > bounds.yMin))
      throw new RangeError("grid bounds must have xMax > xMin and yMax > yMin");
    const b = options.batch;
    if (!Number.isInteger(b) || b < 1) throw new RangeError(`batch must be >= 1 (got ${b})`);
    this.nx = nx;
    this.ny = ny;
    this.chunk = Mat.zeros(b, 2, network.dtype);
    this.classes = new Int32Array(nx * ny);
  }

  get done(): boolean {
    return this.next >= this.classes.length;
  }

  /** Evaluate chunks until done or `budgetMs` has passed (at least one chunk); true when done. */
  advance(budgetMs = Number.POSITIVE_INFINITY): boolean {
    const t0 = performance.now();
    const { nx, ny, bounds, classes } = this;
    const b = this.chunk.rows;
    const total = classes.length;
    while (this.next < total) {
      const start = this.next;
      const count = Math.min(b, total - start);
      const d = this.chunk.data;
      for (let r = 0; r < count; r++) {
        const cell = start + r;
        const i = cell % nx;
        const j = (cell - i) / nx;
        d[2 * r] = cellCentre(bounds.xMin, bounds.xMax, nx, i);
        d[2 * r + 1] = cellCentre(bounds.yMin, bounds.yMax, ny, j);
      }
      // Padding rows are ignored (rows are independent in eval mode).
      if (count < b) d.fill(0, 2 * count);
      const out = this.network.forward(this.chunk, "eval");
      const k = out.cols;
      this.classCount = k;
      const y = out.data;
      for (let r = 0; r < count; r++) {
        const o = r * k;
        let best = 0;
        let finite = Number.isFinite(y[o]!);
        for (let c = 1; c < k; c++) {
          const v = y[o + c]!;
          if (!Number.isFinite(v)) finite = false;
          if (v > y[o + best]!) best = c;
        }
        classes[start + r] = finite ? best : -1;
      }
      this.next = start + count;
      if (performance.now() - t0 >= budgetMs) break;
    }
    this.elapsedMs += performance.now() - t0;
    return this.done;
  }

  /** The finished grid (throws before it is done). */
  result(): DecisionGrid {
    if (!this.done) throw new Error("the grid evaluation is not finished");
    return {
      ...this.bounds,
      nx: this.nx,
      ny: this.ny,
      classes: this.classes,
      classCount: this.classCount,
    };
  }
}

/** Evaluate the whole grid at once (see GridEvaluation). */
export function evaluateDecisionGrid(
  network: Network,
  bounds: GridBounds,
  options: { nx?: number; ny?: number; batch: number },
): DecisionGrid {
  const job = new GridEvaluation(network, bounds, options);
  job.advance();
  return job.result();
}

/**
 * The grid side that keeps one evaluation near `flopBudget` multiply-adds x 2 for a plain
 * network of `depth` layers of `width` units (about 2 depth width² per point), between
 * `min` and `max`: 60 for small networks, coarser for the largest the lab builds.
 */
export function gridSideFor(
  depth: number,
  width: number,
  flopBudget = 2e9,
  min = 16,
  max = 60,
): number {
  const perPoint = 2 * depth * width * width + 1;
  return Math.max(min, Math.min(max, Math.floor(Math.sqrt(flopBudget / perPoint))));
}

/** The grid's class at point (x, y) (the cell containing it, clamped to the grid). */
export function gridClassAt(grid: DecisionGrid, x: number, y: number): number {
  const i = Math.min(
    grid.nx - 1,
    Math.max(0, Math.floor(((x - grid.xMin) / (grid.xMax - grid.xMin)) * grid.nx)),
  );
  const j = Math.min(
    grid.ny - 1,
    Math.max(0, Math.floor(((y - grid.yMin) / (grid.yMax - grid.yMin)) * grid.ny)),
  );
  return grid.classes[j * grid.nx + i]!;
}
