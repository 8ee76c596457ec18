import type { LayerMetrics } from "../probe/layer-metrics.ts";
import type { ActivationTable } from "../theory/demos/activation-table.ts";
import type { MatrixPowerDemo } from "../theory/demos/matrix-power.ts";
import type { JacobianSpectrum } from "../theory/jacobian/jacobian.ts";
import type { PhaseDiagram, TheoryReport } from "../theory/mean-field.ts";
import type { DepthSweepResult } from "./depth-sweep.ts";
import type { ProbeResult } from "./probe-run.ts";
import type { TrainRecord } from "./train/recorder.ts";

/**
 * Tables as CSV (RFC 4180): a header row, comma-separated fields, CRLF line ends, and a field
 * quoted (with inner quotes doubled) when it holds a comma, a quote or a line break. Numbers
 * are written as JavaScript prints them (shortest round-trip form, `1e-40` for tiny values);
 * non-finite numbers as `NaN`, `Infinity` and `-Infinity`, the same words as in the JSON
 * output; null and undefined as an empty field; booleans as `true` / `false`.
 */

export type CsvValue = string | number | boolean | null | undefined;

export interface CsvTable {
  header: readonly string[];
  rows: readonly (readonly CsvValue[])[];
}

/** One field's text, quoted when RFC 4180 requires it. */
export function csvField(value: CsvValue): string {
  let text: string;
  if (value === null || value === undefined) text = "";
  else if (typeof value === "number") {
    text = Number.isNaN(value)
      ? "NaN"
      : value === Number.POSITIVE_INFINITY
        ? "Infinity"
        : value === Number.NEGATIVE_INFINITY
          ? "-Infinity"
          : String(value);
  } else text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV text of a table (header first; every line ends in CRLF). */
export function toCsv(table: CsvTable): string {
  const width = table.header.length;
  const lines = [table.header.map(csvField).join(",")];
  table.rows.forEach((row, i) => {
    if (row.length !== width) {
      throw new RangeError(`csv row ${i + 1} has ${row.length} fields, the header ${width}`);
    }
    lines.push(row.map(csvField).join(","));
  });
  return `${lines.join("\r\n")}\r\n`;
}

/**
 * The per-layer metric fields of the public contract, in the order of `LayerMetrics` (the
 * `satisfies` line makes the compiler reject a list that misses or misspells a field).
 */
export const LAYER_METRIC_COLUMNS = [
  "layer",
  "q",
  "gradPreactMeanSq",
  "gradWeightNorm",
  "gradBiasNorm",
  "weightNorm",
  "gradToWeight",
  "actMean",
  "actStd",
  "saturated",
  "lowDerivative",
  "inactive",
  "dead",
  "nonfinite",
  "subnormal",
  "underflow",
] as const satisfies readonly (keyof LayerMetrics)[];

type MissingMetric = Exclude<keyof LayerMetrics, (typeof LAYER_METRIC_COLUMNS)[number]>;
/** Compile-time check that no LayerMetrics field is left out of LAYER_METRIC_COLUMNS. */
const noMissingMetric: [MissingMetric] extends [never] ? true : MissingMetric = true;
void noMissingMetric;

function metricCells(m: LayerMetrics): CsvValue[] {
  return LAYER_METRIC_COLUMNS.map((k) => m[k]);
}

/**
 * `probe --csv`: one row per layer with every metric; with --theory two more columns, the
 * mean-field prediction of q and gradPreactMeanSq; with --repeats, the metrics are the means
 * over seeds (as in the JSON).
 */
export function probeCsv(result: ProbeResult): CsvTable {
  const theory = result.theory?.layers;
  const header: string[] = [...LAYER_METRIC_COLUMNS];
  if (theory) header.push("theoryQ", "theoryGradPreactMeanSq");
  const rows = result.layers.map((m, i) => {
    const row = metricCells(m);
    if (theory) row.push(theory[i]?.q, theory[i]?.gradPreactMeanSq);
    return row;
  });
  return { header, rows };
}

/** Step-level fields of a metrics.jsonl record, repeated on each of its layer rows. */
export const TRAIN_STEP_COLUMNS = [
  "epoch",
  "loss",
  "lr",
  "clipped",
  "gradNorm",
  "trainLoss",
  "trainAcc",
  "testLoss",
  "testAcc",
] as const satisfies readonly (keyof TrainRecord)[];

/**
 * `train --csv`: metrics.jsonl flattened, one row per (recorded step, layer): step, layer, the
 * layer's metrics and updateRatio, then the step's own fields (eval fields empty on steps
 * that did not evaluate; an updateRatio of null, the exploded step's, is empty too).
 */
export function trainRecordsCsv(records: readonly TrainRecord[]): CsvTable {
  const header = ["step", ...LAYER_METRIC_COLUMNS, "updateRatio", ...TRAIN_STEP_COLUMNS];
  const rows: CsvValue[][] = [];
  for (const r of records) {
    const stepCells = TRAIN_STEP_COLUMNS.map((k) => r[k]);
    for (const m of r.layers) rows.push([r.step, ...metricCells(m), m.updateRatio, ...stepCells]);
  }
  return { header, rows };
}

function matrixText(W: readonly (readonly number[])[]): string {
  return W.map((row) => row.join(" ")).join("; ");
}

/** `demo matrix-power --csv`: one row per (case, power L). */
export function matrixPowerCsv(demos: readonly MatrixPowerDemo[]): CsvTable {
  return {
    header: [
      "case",
      "matrix",
      "spectralRadius",
      "power",
      "spectralNorm",
      "predicted",
      "normOverPredicted",
      "frobeniusNorm",
    ],
    rows: demos.flatMap((d, i) =>
      d.steps.map((s) => [
        i + 1,
        matrixText(d.matrix),
        d.spectralRadius,
        s.power,
        s.spectralNorm,
        s.predicted,
        s.normOverPredicted,
        s.frobeniusNorm,
      ]),
    ),
  };
}

/** `demo activations --csv` for one activation: its grid of phi and phi'. */
export function activationPointsCsv(t: ActivationTable): CsvTable {
  return {
    header: ["activation", "x", "value", "derivative", "derivativeOverMax", "healthy"],
    rows: t.points.map((p) => [
      t.name,
      p.x,
      p.value,
      p.derivative,
      p.derivative / t.maxDerivative,
      p.derivative >= t.threshold,
    ]),
  };
}

/**
 * `demo activations --csv` for several activations: one row each (an empty bound means the
 * region is unbounded on that side; the unsaturated band is empty for unbounded activations).
 */
export function activationSummaryCsv(tables: readonly ActivationTable[]): CsvTable {
  return {
    header: [
      "activation",
      "slope",
      "maxDerivative",
      "fraction",
      "threshold",
      "healthyLo",
      "healthyHi",
      "unsaturatedLo",
      "unsaturatedHi",
    ],
    rows: tables.map((t) => [
      t.name,
      t.slope,
      t.maxDerivative,
      t.fraction,
      t.threshold,
      t.healthyRegion.lo,
      t.healthyRegion.hi,
      t.unsaturatedOutput?.lo,
      t.unsaturatedOutput?.hi,
    ]),
  };
}

/** `demo depth --csv`: one row per depth. */
export function depthSweepCsv(r: DepthSweepResult): CsvTable {
  return {
    header: ["depth", "gradPreactMeanSq1", "gradWeightNorm1", "firstToLastRatio"],
    rows: r.rows.map((row) => [
      row.depth,
      row.gradPreactMeanSq1,
      row.gradWeightNorm1,
      row.firstToLastRatio,
    ]),
  };
}

/** `jacobian --csv`: the singular values, largest first. */
export function singularValuesCsv(s: JacobianSpectrum): CsvTable {
  return {
    header: ["rank", "singularValue", "singularValueSq"],
    rows: s.singularValues.map((v, i) => [i + 1, v, v * v]),
  };
}

/** `theory --phase-diagram --csv`: one row per grid point (bias-var-major, as in the JSON). */
export function phaseDiagramCsv(d: PhaseDiagram): CsvTable {
  return {
    header: ["activation", "weightVar", "biasVar", "qStar", "chi1", "phase", "converged"],
    rows: d.points.map((p) => [
      d.activation,
      p.weightVar,
      p.biasVar,
      p.qStar,
      p.chi1,
      p.phase,
      p.converged,
    ]),
  };
}

/** `theory --csv`: the report of one (weight var, bias var) as a single row. */
export function theoryReportCsv(r: TheoryReport, criticalWeightVar?: number): CsvTable {
  const header = [
    "activation",
    "weightVar",
    "biasVar",
    "qStar",
    "chi1",
    "phase",
    "chiQ",
    "cStar",
    "chiC",
    "xiQ",
    "xiC",
    "xiGrad",
    "converged",
  ];
  const row: CsvValue[] = [
    r.activation,
    r.weightVar,
    r.biasVar,
    r.qStar,
    r.chi1,
    r.phase,
    r.chiQ,
    r.cStar,
    r.chiC,
    r.depthScales.xiQ,
    r.depthScales.xiC,
    r.depthScales.xiGrad,
    r.converged,
  ];
  if (criticalWeightVar !== undefined) {
    header.push("criticalWeightVar");
    row.push(criticalWeightVar);
  }
  return { header, rows: [row] };
}
