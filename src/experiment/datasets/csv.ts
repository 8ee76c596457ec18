import { readFileSync } from "node:fs";
import type { DType } from "../../core/dtype.ts";
import { assembleDataset } from "./assemble.ts";
import { type CsvRecord, parseCsv } from "./csv-parse.ts";
import type { Dataset, DatasetTask } from "./dataset.ts";
import { DatasetError } from "./errors.ts";
import { datasetStreams } from "./streams.ts";

export interface CsvOptions {
  seed: number;
  dtype: DType;
  testFraction: number;
  /** Keep at most this many rows (a seeded random subset). */
  samples?: number;
  csvPath?: string;
  /** The CSV contents; when given, `csvPath` is only used to name the data in messages. */
  csvText?: string;
  labelColumn?: string | number;
  task?: DatasetTask;
}

type Cell =
  | { kind: "number"; value: number }
  | { kind: "nonfinite" }
  | { kind: "text" }
  | { kind: "empty" };

const NONFINITE_WORD = /^[+-]?(nan|inf|infinity)$/i;

function readCell(raw: string): Cell {
  const t = raw.trim();
  if (t === "") return { kind: "empty" };
  const value = Number(t);
  if (Number.isFinite(value)) return { kind: "number", value };
  if (!Number.isNaN(value) || NONFINITE_WORD.test(t)) return { kind: "nonfinite" };
  return { kind: "text" };
}

/** Text for a one-line message: line breaks and tabs escaped, long text cut. */
function oneLine(value: string | number): string {
  const text = String(value);
  const cut = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  return cut.replace(/\r/g, "\\r").replace(/\n/g, "\\n").replace(/\t/g, "\\t");
}

/** A value quoted for a one-line message. */
function show(value: string | number): string {
  return `'${oneLine(value)}'`;
}

/** A cell that reads as a number, finite or not (so it cannot be a column name). */
function numberLike(raw: string): boolean {
  const kind = readCell(raw).kind;
  return kind === "number" || kind === "nonfinite";
}

function readText(options: CsvOptions): { text: string; source: string } {
  if (options.csvText !== undefined) {
    return { text: options.csvText, source: options.csvPath ?? "csv text" };
  }
  const path = options.csvPath;
  if (path === undefined || path === "") {
    throw new DatasetError("csv: give csvPath (a file to read) or csvText");
  }
  try {
    return { text: readFileSync(path, "utf8"), source: path };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new DatasetError(`csv file not found: ${path}`);
    if (code === "EISDIR") throw new DatasetError(`csv path is a directory, not a file: ${path}`);
    throw new DatasetError(
      `cannot read csv file ${path}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/** Index of the label column and whether it was found by its header name. */
function labelColumnIndex(
  spec: string | number | undefined,
  first: readonly string[],
  source: string,
): { index: number; byName: boolean } {
  const width = first.length;
  const byIndex = (k: number, shown: string): { index: number; byName: boolean } => {
    const index = k < 0 ? width + k : k;
    if (!Number.isInteger(k) || index < 0 || index >= width) {
      throw new DatasetError(
        `${source}: label column ${shown} does not exist (the file has ${width} columns: indices 0..${width - 1}, or -1..-${width} from the end)`,
      );
    }
    return { index, byName: false };
  };
  if (spec === undefined) return { index: width - 1, byName: false };
  if (typeof spec === "number") return byIndex(spec, String(spec));
  const name = spec.trim();
  const index = first.findIndex((c) => c.trim() === name);
  if (index >= 0) return { index, byName: true };
  if (/^[+-]?\d+$/.test(name)) return byIndex(Number(name), name);
  const header = first.some((c) => !numberLike(c));
  throw new DatasetError(
    header
      ? `${source}: label column ${show(name)} not found in the header (${first.map((c) => oneLine(c.trim())).join(", ")})`
      : `${source}: label column ${show(name)} not found: the file has no header row (give a column index)`,
  );
}

/**
 * A dataset from a CSV table (file or text): one row per example, numeric feature columns and
 * one label column.
 * - Parsing: see `parseCsv` (RFC 4180 quotes, CRLF, blank lines skipped). Cells are trimmed.
 * - Label column: `labelColumn` as a header name, or a 0-based index (negative counts from the
 *   end; a numeric string that is not a header name is an index). Default: the last column.
 * - Header: the first row is a header when it contains a cell, outside the label column, that
 *   is not a number (label names may be words either way); naming the label column by a
 *   header name also makes the first row the header.
 * - Task (unless `task` is given): classification when the labels are the integers 0..K-1
 *   (each present, K >= 2) or when any label is not a number; regression otherwise.
 *   Classification labels become classes in sorted order: numbers ascending, words by
 *   code-unit order (`classNames` records them unless they are exactly 0..K-1).
 * - Every feature cell must be a finite number. One-line DatasetErrors name the file and, for
 *   a bad row or cell, the line and column (columns numbered from 1, as editors do): missing,
 *   unreadable or empty file, ragged rows, non-numeric, empty or non-finite (NaN, Inf) cells,
 *   a label column that does not exist, a single class, too few rows for the split.
 */
export function loadCsvDataset(options: CsvOptions): Dataset {
  const { text, source } = readText(options);
  const records = parseCsv(text, source);
  const first = records[0];
  if (first === undefined) throw new DatasetError(`${source}: the csv is empty`);
  const width = first.fields.length;
  for (const r of records) {
    if (r.fields.length !== width) {
      throw new DatasetError(
        `${source}, line ${r.line}: ${r.fields.length} field${r.fields.length === 1 ? "" : "s"}, expected ${width} (as on line ${first.line})`,
      );
    }
  }
  if (width < 2) {
    throw new DatasetError(
      `${source}: needs at least 2 columns (features and a label), found ${width}`,
    );
  }
  const label = labelColumnIndex(options.labelColumn, first.fields, source);
  const hasHeader =
    label.byName || first.fields.some((c, j) => j !== label.index && !numberLike(c));
  const names = hasHeader ? first.fields.map((c) => c.trim()) : undefined;
  const rows: CsvRecord[] = hasHeader ? records.slice(1) : records;
  if (rows.length === 0) throw new DatasetError(`${source}: a header row but no data rows`);

  const where = (r: CsvRecord, j: number): string =>
    `${source}, line ${r.line}, column ${j + 1}${names ? ` (${show(names[j]!)})` : ""}`;

  const inputDim = width - 1;
  const count = rows.length;
  const x = new Float64Array(count * inputDim);
  const labelCells: Cell[] = [];
  for (let r = 0; r < count; r++) {
    const record = rows[r]!;
    let k = 0;
    for (let j = 0; j < width; j++) {
      const raw = record.fields[j]!;
      const cell = readCell(raw);
      if (cell.kind === "empty") throw new DatasetError(`${where(record, j)}: empty cell`);
      if (cell.kind === "nonfinite") {
        throw new DatasetError(
          `${where(record, j)}: non-finite value ${show(raw.trim())} (NaN and Infinity are not allowed)`,
        );
      }
      if (j === label.index) {
        labelCells.push(cell);
        continue;
      }
      if (cell.kind === "text") {
        throw new DatasetError(`${where(record, j)}: ${show(raw.trim())} is not a number`);
      }
      x[r * inputDim + k++] = cell.value;
    }
  }

  const numbers = labelCells.map((c) => (c.kind === "number" ? c.value : Number.NaN));
  const allNumeric = labelCells.every((c) => c.kind === "number");
  const task =
    options.task ?? (!allNumeric || isClassRange(numbers) ? "classification" : "regression");
  const labelName = names ? show(names[label.index]!) : `column ${label.index + 1}`;
  const featureNames = names?.filter((_, j) => j !== label.index);
  const common = {
    name: "csv",
    source,
    dtype: options.dtype,
    testFraction: options.testFraction,
    ...(options.samples !== undefined ? { samples: options.samples } : {}),
    rng: datasetStreams(options.seed).split,
    ...(featureNames ? { featureNames } : {}),
  };

  if (task === "regression") {
    const bad = labelCells.findIndex((c) => c.kind !== "number");
    if (bad >= 0) {
      const record = rows[bad]!;
      throw new DatasetError(
        `${where(record, label.index)}: label ${show(record.fields[label.index]!.trim())} is not a number (regression needs numeric labels)`,
      );
    }
    return assembleDataset(
      { task, count, inputDim, x, y: Float64Array.from(numbers), outputDim: 1 },
      {
        ...common,
        description: `csv ${source}: ${count} rows, ${inputDim} features, regression on ${labelName}`,
      },
    );
  }

  // Classification: distinct labels in sorted order become classes 0..K-1.
  let keys: (string | number)[];
  if (allNumeric) {
    keys = [...new Set(numbers)].sort((a, b) => a - b);
  } else {
    const words = rows.map((r) => r.fields[label.index]!.trim());
    keys = [...new Set(words)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
  if (keys.length < 2) {
    throw new DatasetError(
      `${source}: the label column ${labelName} has a single class ${show(keys[0]!)} (classification needs at least 2)`,
    );
  }
  const classOf = new Map<string | number, number>(keys.map((key, i) => [key, i]));
  const labels = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    const key = allNumeric ? numbers[r]! : rows[r]!.fields[label.index]!.trim();
    labels[r] = classOf.get(key)!;
  }
  const identity = keys.every((key, i) => key === i);
  return assembleDataset(
    { task, count, inputDim, x, labels, classes: keys.length },
    {
      ...common,
      description: `csv ${source}: ${count} rows, ${inputDim} features, ${keys.length} classes in ${labelName}`,
      ...(identity ? {} : { classNames: keys.map(String) }),
    },
  );
}

/** True when the values are exactly the integers 0..K-1 (each present) with K >= 2. */
function isClassRange(values: readonly number[]): boolean {
  const seen = new Set<number>();
  for (const v of values) {
    if (!Number.isInteger(v) || v < 0 || v >= values.length) return false;
    seen.add(v);
  }
  if (seen.size < 2) return false;
  for (let k = 0; k < seen.size; k++) if (!seen.has(k)) return false;
  return true;
}
