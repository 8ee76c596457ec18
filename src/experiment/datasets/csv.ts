import { allocate, type DType } from "../../core/dtype.ts";
import { checkRegularFile, FileReadError, forEachChunk } from "../file-read.ts";
import { formatBytes } from "../memory.ts";
import { memoryBudget } from "../memory-node.ts";
import { assembleDataset, shufflePermutation } from "./assemble.ts";
import { type CsvRecord, CsvStreamParser } from "./csv-parse.ts";
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
  /** Refuse tables whose arrays would need more (default: 3/4 of the memory available now). */
  memoryLimitBytes?: number;
}

type Cell =
  | { kind: "number"; value: number }
  | { kind: "nonfinite" }
  | { kind: "text" }
  | { kind: "empty" };

const NONFINITE_WORD = /^[+-]?(nan|inf|infinity)$/i;
/** A decimal number: no hex, binary or octal literal, no separators, no bare sign or dot. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function readCell(raw: string): Cell {
  const t = raw.trim();
  if (t === "") return { kind: "empty" };
  if (DECIMAL.test(t)) {
    const value = Number(t);
    return Number.isFinite(value) ? { kind: "number", value } : { kind: "nonfinite" };
  }
  if (NONFINITE_WORD.test(t)) return { kind: "nonfinite" };
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

/** Distinct labels tracked; a column with more is no classification (and one-hot would not fit). */
export const MAX_CLASSES = 65_536;

/** Integer labels with at most this many distinct values (one repeated) read as classes. */
export const INFER_CLASS_LIMIT = 20;

/** Feeds the CSV to `parser`: the text, or the file in chunks (UTF-8 decoded across them). */
function scan(options: CsvOptions, source: string, onRecord: (r: CsvRecord) => void): void {
  const parser = new CsvStreamParser(onRecord, source);
  if (options.csvText !== undefined) {
    parser.push(options.csvText);
  } else {
    const decoder = new TextDecoder("utf-8");
    try {
      forEachChunk(source, (buf, len) => {
        parser.push(decoder.decode(buf.subarray(0, len), { stream: true }));
      });
    } catch (e) {
      if (e instanceof DatasetError) throw e;
      throw new DatasetError(
        `cannot read csv file ${source}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      );
    }
    parser.push(decoder.decode());
  }
  parser.end();
}

/** Where the rows come from, checked before anything is read. */
function sourceOf(options: CsvOptions): string {
  if (options.csvText !== undefined) return options.csvPath ?? "csv text";
  const path = options.csvPath;
  if (path === undefined || path === "") {
    throw new DatasetError("csv: give csvPath (a file to read) or csvText");
  }
  try {
    // a FIFO, a device or a directory is refused before it is opened: reading /dev/zero
    // never ends and a FIFO nobody writes blocks forever
    checkRegularFile(path, "csv file");
  } catch (e) {
    if (!(e instanceof FileReadError)) throw e;
    if (e.code === "EISDIR") throw new DatasetError(`csv path is a directory, not a file: ${path}`);
    throw new DatasetError(e.message);
  }
  return path;
}

/** What pass 1 learns of the label column (of the data rows). */
class LabelStats {
  count = 0;
  allNumeric = true;
  allInteger = true;
  /** First label that is not a number: for the regression error. */
  firstText: { record: CsvRecord; raw: string } | null = null;
  numbers = new Set<number>();
  words = new Set<string>();
  overflow = false;

  add(record: CsvRecord, raw: string, cell: Cell): void {
    this.count++;
    if (cell.kind === "number") {
      if (!Number.isInteger(cell.value)) this.allInteger = false;
      if (!this.overflow) this.numbers.add(cell.value);
    } else {
      this.allNumeric = false;
      if (this.firstText === null) this.firstText = { record, raw };
    }
    if (!this.overflow) {
      this.words.add(raw.trim());
      if (this.words.size > MAX_CLASSES || this.numbers.size > MAX_CLASSES) {
        this.overflow = true;
        this.words.clear();
        this.numbers.clear();
      }
    }
  }
}

/** The task and, when inferred, the sentence that says why (printed with the dataset). */
function inferTask(
  given: DatasetTask | undefined,
  stats: LabelStats,
): { task: DatasetTask; why: string | null } {
  if (given !== undefined) return { task: given, why: null };
  if (!stats.allNumeric) {
    return {
      task: "classification",
      why: "task inferred: classification (a label is not a number)",
    };
  }
  const k = stats.overflow ? Number.POSITIVE_INFINITY : stats.numbers.size;
  if (stats.allInteger && !stats.overflow) {
    const sorted = [...stats.numbers].sort((a, b) => a - b);
    const range = sorted.every((v, i) => v === i) && k >= 2;
    const few = k <= INFER_CLASS_LIMIT && k < stats.count;
    if (range || few) {
      const shown =
        sorted.length <= 6 ? sorted.join(", ") : `${sorted.slice(0, 5).join(", ")}, ...`;
      return {
        task: "classification",
        why: `task inferred: classification (${k} distinct integer label${k === 1 ? "" : "s"}: ${shown}; --task regression reads them as numbers)`,
      };
    }
  }
  const reason = !stats.allInteger
    ? "a label is not an integer"
    : `${stats.overflow ? `more than ${MAX_CLASSES}` : k} distinct integer labels${k < stats.count ? ` (over ${INFER_CLASS_LIMIT})` : ", none repeated"}`;
  return {
    task: "regression",
    why: `task inferred: regression (${reason}; --task classification reads them as classes)`,
  };
}

/**
 * A dataset from a CSV table (file or text): one row per example, numeric feature columns and
 * one label column.
 * - Files: only regular files are read (a FIFO, a device or a directory is refused before it is
 *   opened), and they are streamed in two passes, never held whole: the first checks every
 *   row and learns the label column, the second fills the arrays, which are allocated only
 *   after the memory they need (rows kept by `samples` only) is checked against the memory
 *   available now (`memoryLimitBytes`, default 3/4 of MemAvailable).
 * - Parsing: see `CsvStreamParser` (RFC 4180 quotes, CRLF, blank lines skipped). Cells are
 *   trimmed. A number is decimal: `12`, `-0.5`, `1e-3`, `.5`; hex (`0x1f`), binary (`0b101`)
 *   and octal (`0o17`) literals are not numbers here.
 * - Label column: `labelColumn` as a header name, or a 0-based index (negative counts from the
 *   end; a numeric string that is not a header name is an index). Default: the last column.
 * - Header: the first row is a header when a cell outside the label column is not a number,
 *   when its label cell is not a number but every label below it is (a numeric-looking header
 *   such as `2019,2020,target`), or when the label column is named by a header name.
 * - Task: `task` when given. Otherwise (the rule, stated in the dataset's description):
 *   classification when a label is not a number, when the labels are exactly the integers
 *   0..K-1 (K >= 2), or when they are integers with at most 20 distinct values of which one
 *   repeats (so {1,2}, {-1,1}, {0,1,3} are classes; a single repeated value is a single
 *   class, refused); regression otherwise. Classification labels become classes in sorted
 *   order: numbers ascending, words by code-unit order (`classNames` records them unless they
 *   are exactly 0..K-1).
 * - Every feature cell must be a finite number. One-line DatasetErrors name the file and, for
 *   a bad row or cell, the line and column (columns numbered from 1, as editors do): missing,
 *   unreadable or empty file, ragged rows, non-numeric, empty or non-finite (NaN, Inf) cells,
 *   a label column that does not exist, a single class, too few rows for the split, too
 *   little memory.
 */
export function loadCsvDataset(options: CsvOptions): Dataset {
  const source = sourceOf(options);

  // Pass 1: check every row, count them, learn the label column.
  let first: CsvRecord | null = null;
  let width = 0;
  let label = { index: -1, byName: false };
  let header = "no" as "yes" | "no" | "maybe";
  let names: string[] | undefined;
  let rows = 0; // after the first record
  const stats = new LabelStats();
  /** Labels of the rows after the first, apart (the first row's fate is decided at the end). */
  const where = (r: CsvRecord, j: number): string =>
    `${source}, line ${r.line}, column ${j + 1}${names ? ` (${show(names[j]!)})` : ""}`;
  const checkRow = (record: CsvRecord): void => {
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
        stats.add(record, raw, cell);
        continue;
      }
      if (cell.kind === "text") {
        throw new DatasetError(`${where(record, j)}: ${show(raw.trim())} is not ${notNumber(raw)}`);
      }
    }
  };
  let cellError: DatasetError | null = null; // the first, thrown once the rows are known even
  scan(options, source, (record) => {
    if (first === null) {
      first = record;
      width = record.fields.length;
      if (width >= 2) {
        label = labelColumnIndex(options.labelColumn, record.fields, source);
        if (label.byName || record.fields.some((c, j) => j !== label.index && !numberLike(c))) {
          header = "yes";
        } else if (
          !numberLike(record.fields[label.index]!) &&
          record.fields[label.index]!.trim() !== ""
        ) {
          header = "maybe";
        }
        if (header === "yes") names = record.fields.map((c) => c.trim());
      }
      return;
    }
    if (record.fields.length !== width) {
      throw new DatasetError(
        `${source}, line ${record.line}: ${record.fields.length} field${record.fields.length === 1 ? "" : "s"}, expected ${width} (as on line ${first.line})`,
      );
    }
    rows++;
    if (width < 2 || cellError !== null) return;
    try {
      checkRow(record);
    } catch (e) {
      if (!(e instanceof DatasetError)) throw e;
      cellError = e; // ragged rows further down are reported first, as they always were
    }
  });
  const head = first as CsvRecord | null;
  if (head === null) throw new DatasetError(`${source}: the csv is empty`);
  if (cellError !== null) throw cellError;
  if (width < 2) {
    throw new DatasetError(
      `${source}: needs at least 2 columns (features and a label), found ${width}`,
    );
  }
  if (header === "maybe") header = stats.count > 0 && stats.allNumeric ? "yes" : "no";
  if (header === "yes") {
    names = head.fields.map((c) => c.trim());
  } else {
    names = undefined;
    checkRow(head);
    rows++;
  }
  if (rows === 0) throw new DatasetError(`${source}: a header row but no data rows`);
  const hasHeader = header === "yes";

  const inputDim = width - 1;
  const count = rows;
  const { task, why } = inferTask(options.task, stats);
  const labelName = names ? show(names[label.index]!) : `column ${label.index + 1}`;
  const featureNames = names?.filter((_, j) => j !== label.index);

  if (task === "regression" && stats.firstText !== null) {
    const { record, raw } = stats.firstText;
    throw new DatasetError(
      `${where(record, label.index)}: label ${show(raw.trim())} is not a number (regression needs numeric labels)`,
    );
  }
  // Classes in sorted order: numbers ascending, words by code units.
  let keys: (string | number)[] = [];
  if (task === "classification") {
    if (stats.overflow) {
      throw new DatasetError(
        `${source}: the label column ${labelName} has more than ${MAX_CLASSES} distinct values: not classes${options.task === undefined ? "" : " (use --task regression for numeric targets)"}`,
      );
    }
    keys = stats.allNumeric
      ? [...stats.numbers].sort((a, b) => a - b)
      : [...stats.words].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (keys.length < 2) {
      throw new DatasetError(
        `${source}: the label column ${labelName} has a single class ${show(keys[0]!)} (classification needs at least 2${stats.allNumeric ? "; --task regression reads it as a number" : ""})`,
      );
    }
  }

  // Which rows to keep: all, or the first `samples` of the seeded shuffle (drawn now, so
  // only those rows are stored).
  const rng = datasetStreams(options.seed).split;
  const n = Math.min(count, options.samples ?? count);
  const outputDim = task === "classification" ? keys.length : 1;
  const bytes = options.dtype === "f32" ? 4 : 8;
  const need =
    4 * count + // the shuffle
    n * inputDim * bytes * 2 + // raw rows and the train/test matrices
    n * outputDim * bytes + // targets (one-hot rows for classification)
    n * 16; // labels
  const limit = options.memoryLimitBytes ?? memoryBudget();
  if (need > limit) {
    throw new DatasetError(
      `${source}: ${n} rows of ${inputDim} features${task === "classification" ? ` and ${keys.length} classes` : ""} need about ${formatBytes(need)}, over the ${formatBytes(limit)} of memory available now${n === count ? ": keep fewer with --samples N" : ""}`,
    );
  }
  // rows kept by `samples`, ascending (pass 2 walks them in file order), and their order
  let kept: Int32Array | null = null;
  let order: Int32Array | undefined;
  if (n < count) {
    const perm = shufflePermutation(count, rng); // 4 bytes a row, dropped before pass 2
    kept = perm.slice(0, n).sort();
    const slot = new Map<number, number>();
    for (let k = 0; k < n; k++) slot.set(kept[k]!, k);
    order = new Int32Array(n);
    for (let p = 0; p < n; p++) order[p] = slot.get(perm[p]!)!;
  }

  // Pass 2: fill the arrays with the kept rows.
  const x = allocate(options.dtype, n * inputDim);
  const y = task === "regression" ? new Float64Array(n) : null;
  const labels = task === "classification" ? new Int32Array(n) : null;
  const classOf = new Map<string | number, number>(keys.map((key, i) => [key, i]));
  let index = -1;
  let seen = 0;
  let next = 0; // the next kept row
  scan(options, source, (record) => {
    seen++;
    if (seen === 1 && hasHeader) return;
    index++;
    if (index >= count) return; // grown since pass 1: read as it was
    let slot = index;
    if (kept !== null) {
      if (next >= kept.length || kept[next] !== index) return;
      slot = next++;
    }
    let k = 0;
    for (let j = 0; j < width; j++) {
      const raw = record.fields[j];
      const cell = raw === undefined ? null : readCell(raw);
      if (cell === null || (cell.kind !== "number" && j !== label.index)) {
        throw new DatasetError(`${source} changed while it was being read (line ${record.line})`);
      }
      if (j === label.index) {
        if (y !== null) y[slot] = cell.kind === "number" ? cell.value : Number.NaN;
        else {
          const key = stats.allNumeric && cell.kind === "number" ? cell.value : raw!.trim();
          const c = classOf.get(key);
          if (c === undefined) {
            throw new DatasetError(
              `${source} changed while it was being read (line ${record.line})`,
            );
          }
          labels![slot] = c;
        }
        continue;
      }
      x[slot * inputDim + k++] = (cell as { value: number }).value;
    }
  });
  if (index + 1 < count) {
    throw new DatasetError(`${source} changed while it was being read (it has fewer rows now)`);
  }

  const common = {
    name: "csv",
    source,
    dtype: options.dtype,
    testFraction: options.testFraction,
    rng,
    ...(order ? { order } : {}),
    ...(featureNames ? { featureNames } : {}),
  };
  const note = why === null ? "" : ` (${why})`;
  const description =
    task === "regression"
      ? `csv ${source}: ${count} rows, ${inputDim} features, regression on ${labelName}${note}`
      : `csv ${source}: ${count} rows, ${inputDim} features, ${keys.length} classes in ${labelName}${note}`;
  if (task === "regression") {
    return assembleDataset(
      { task, count: n, inputDim, x, y: y!, outputDim: 1 },
      { ...common, description },
    );
  }
  const identity = keys.every((key, i) => key === i);
  return assembleDataset(
    { task, count: n, inputDim, x, labels: labels!, classes: keys.length },
    { ...common, description, ...(identity ? {} : { classNames: keys.map(String) }) },
  );
}

/** "a number", or "a decimal number" for a hex, binary or octal literal. */
function notNumber(raw: string): string {
  return Number.isFinite(Number(raw.trim())) ? "a decimal number" : "a number";
}
