/**
 * A finished sweep as a 2-D map (a metric over the two swept axes, averaged over seeds and
 * any other swept key) and, when the axes are weight variance and depth, the mean-field
 * theory over it: the critical line chi1 = 1 and the depth scale xi_c with the multiple k
 * fitted to where training works (Schoenholz et al. 2017 found ~6 xi_c).
 */

import type { ActivationName } from "../../core/activations.ts";
import { criticalWeightVar, theoryReport } from "../../theory/mean-field.ts";
import type { SweepRecord } from "./results.ts";

export interface SweepCell {
  x: number;
  y: number;
  /** Mean over seeds (and other swept keys); NaN when every run failed or blew up. */
  value: number;
  runs: number;
}

export interface SweepMap {
  xKey: string;
  yKey: string;
  metric: string;
  xs: number[];
  ys: number[];
  cells: SweepCell[];
  /** Keys swept besides the two axes (averaged over). */
  averagedOver: string[];
}

export interface SweepTheory {
  activation: string;
  biasVar: number;
  /** sigma_w^2 where chi1 = 1 (NaN when there is none in range). */
  criticalWeightVar: number;
  /** xi_c at each x of the map (weight variances). */
  xiC: { weightVar: number; xiC: number }[];
  /** The fitted multiple: trainable where depth < k xi_c. */
  k: number;
  /** Cells the fitted boundary classifies wrongly, of the cells judged. */
  misclassified: number;
  judged: number;
  /** The accuracy a cell needed to count as trainable. */
  threshold: number;
}

/** The metric a sweep map shows: test accuracy, else train accuracy, else final loss. */
export function defaultMetric(records: readonly SweepRecord[]): string {
  const has = (k: string) => records.some((r) => typeof r.metrics[k] === "number");
  if (has("testAcc")) return "testAcc";
  if (has("trainAcc")) return "trainAcc";
  if (has("finalLoss")) return "finalLoss";
  return "perLayerFactor";
}

/**
 * The map of `metric` over two axes (default: the first two swept keys whose values are
 * numbers and that take more than one value).
 */
export function sweepMap(
  records: readonly SweepRecord[],
  axes: readonly string[],
  options: { metric?: string; x?: string; y?: string } = {},
): SweepMap {
  const numeric = axes.filter((k) => {
    const vals = new Set(
      records.map((r) =>
        Number(r.changes[k] ?? (r.config as unknown as Record<string, unknown>)[k]),
      ),
    );
    return vals.size > 1 && [...vals].every(Number.isFinite);
  });
  // weightVar across, depth up, as in the paper, when both are swept
  const preferred =
    numeric.includes("weightVar") && numeric.includes("depth") ? ["weightVar", "depth"] : numeric;
  const xKey = options.x ?? preferred[0];
  const yKey = options.y ?? preferred.find((k) => k !== xKey);
  if (xKey === undefined || yKey === undefined) {
    throw new RangeError(
      `a sweep map needs two numeric swept keys with several values each (swept: ${axes.join(", ") || "none"})`,
    );
  }
  const metric = options.metric ?? defaultMetric(records);
  const read = (r: SweepRecord, k: string): number =>
    Number(r.changes[k] ?? (r.config as unknown as Record<string, unknown>)[k]);
  const sums = new Map<string, { x: number; y: number; sum: number; n: number; runs: number }>();
  for (const r of records) {
    const x = read(r, xKey);
    const y = read(r, yKey);
    const key = `${x}|${y}`;
    const cell = sums.get(key) ?? { x, y, sum: 0, n: 0, runs: 0 };
    cell.runs++;
    const v = r.metrics[metric];
    // a run that blew up or failed learned nothing: chance accuracy would flatter it
    if (typeof v === "number" && Number.isFinite(v) && r.status !== "failed") {
      cell.sum += v;
      cell.n++;
    } else if (metric.endsWith("Acc") && r.status === "exploded") {
      cell.n++; // counts as 0 accuracy
    }
    sums.set(key, cell);
  }
  const cells = [...sums.values()].map((c) => ({
    x: c.x,
    y: c.y,
    value: c.n > 0 ? c.sum / c.n : Number.NaN,
    runs: c.runs,
  }));
  const distinct = (vs: number[]) => [...new Set(vs)].sort((a, b) => a - b);
  return {
    xKey,
    yKey,
    metric,
    xs: distinct(cells.map((c) => c.x)),
    ys: distinct(cells.map((c) => c.y)),
    cells,
    averagedOver: axes.filter((k) => k !== xKey && k !== yKey && k !== "seed"),
  };
}

/**
 * Theory over a weightVar x depth map: xi_c(sigma_w^2) at the sweep's activation and bias
 * variance, the critical weight variance, and k fitted so that "depth < k xi_c" best matches
 * the cells that trained (accuracy above halfway between chance and the best cell).
 * null when the axes are not weightVar and depth.
 */
export function sweepTheory(
  map: SweepMap,
  base: { activation: string; biasVar: number; classes?: number | null },
): SweepTheory | null {
  if (map.xKey !== "weightVar" || map.yKey !== "depth") return null;
  const act = base.activation as ActivationName;
  const xiC = map.xs.map((w) => ({
    weightVar: w,
    xiC: theoryReport(act, w, base.biasVar).depthScales.xiC,
  }));
  const critical = criticalWeightVar(act, base.biasVar);
  const finite = map.cells.filter((c) => Number.isFinite(c.value));
  const lowerIsBetter = !map.metric.endsWith("Acc");
  const best = lowerIsBetter
    ? Math.min(...finite.map((c) => c.value))
    : Math.max(...finite.map((c) => c.value));
  const chance = lowerIsBetter
    ? Math.max(...finite.map((c) => c.value))
    : 1 / Math.max(2, base.classes ?? 10);
  const threshold = (best + chance) / 2;
  const xiAt = new Map(xiC.map((p) => [p.weightVar, p.xiC]));
  const judged = map.cells
    .map((c) => ({
      ratio: c.y / (xiAt.get(c.x) ?? Number.NaN),
      trained:
        Number.isFinite(c.value) && (lowerIsBetter ? c.value < threshold : c.value > threshold),
    }))
    .filter((c) => Number.isFinite(c.ratio) && c.ratio > 0);
  // the boundary k minimizing misclassified cells: the middle of the first interval of k
  // with the fewest errors (its lower end when that interval runs to the end of the search)
  const K_MAX = 60;
  let bestErr = Number.POSITIVE_INFINITY;
  let interval: [number, number] = [Number.NaN, Number.NaN];
  let open = false;
  for (let k = 0.25; k <= K_MAX + 1e-9; k = Math.round((k + 0.05) * 100) / 100) {
    let err = 0;
    for (const c of judged) if (c.ratio < k !== c.trained) err++;
    if (err < bestErr) {
      bestErr = err;
      interval = [k, k];
      open = true;
    } else if (err === bestErr && open) interval[1] = k;
    else open = false;
  }
  const k = interval[1] >= K_MAX ? interval[0] : (interval[0] + interval[1]) / 2;
  return {
    activation: base.activation,
    biasVar: base.biasVar,
    criticalWeightVar: critical,
    xiC,
    k,
    misclassified: Number.isFinite(bestErr) ? bestErr : 0,
    judged: judged.length,
    threshold,
  };
}

/** xi_c over a fine grid of weight variances, for a smooth curve k * xi_c. */
export function xiCCurve(
  activation: string,
  biasVar: number,
  from: number,
  to: number,
  n = 121,
): { weightVar: number; xiC: number }[] {
  const out: { weightVar: number; xiC: number }[] = [];
  for (let i = 0; i < n; i++) {
    const w = from + ((to - from) * i) / (n - 1);
    out.push({
      weightVar: w,
      xiC: theoryReport(activation as ActivationName, w, biasVar).depthScales.xiC,
    });
  }
  return out;
}
