import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  rmdirSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { ConfigError } from "../config.ts";
import { checkRegularFile, FileReadError, forEachLine, readSmallFile } from "../file-read.ts";
import { toJson } from "../json-numbers.ts";
import { temporaryName } from "./checkpoint.ts";
import type { TrainRecord, TrainSummary } from "./recorder.ts";
import { acquireRunLock, type RunLock, runDirInUse } from "./run-lock.ts";
import type { ResolvedTrainConfig } from "./train-config.ts";

/** The files of a run directory (DESIGN.md "Run directory"). */
export const RUN_FILES = {
  config: "config.json",
  metrics: "metrics.jsonl",
  summary: "summary.json",
} as const;

/** Write `text` to `path` atomically: a temporary file in the same directory, then rename. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = temporaryName(path);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Throws a ConfigError when `dir` already holds (part of) a run; creates nothing. */
export function checkRunDirFree(dir: string): void {
  for (const file of Object.values(RUN_FILES)) {
    if (existsSync(join(dir, file))) {
      const hint = existsSync(join(dir, RUN_FILES.config))
        ? ` (continue it with 'gradscope train --resume ${dir}')`
        : "";
      throw new ConfigError(
        `run directory ${dir} already holds a run${hint}: choose another --out or remove it`,
      );
    }
  }
}

/**
 * Claim a fresh default run directory `base` (runs/<time>-<hash>): created with mkdir, which
 * fails when the name exists, so two runs started in the same second with the same config get
 * `base` and `base-2` rather than one directory. Returns the directory claimed.
 */
export function claimFreshRunDir(base: string): string {
  const parent = dirname(base);
  mkdirSync(parent, { recursive: true });
  for (let n = 1; n < 10_000; n++) {
    const dir = n === 1 ? base : `${base}-${n}`;
    try {
      mkdirSync(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  throw new ConfigError(`cannot find a free run directory name beside ${base}`);
}

/**
 * Writes a run directory as the run goes: config.json once (atomically), metrics.jsonl by
 * appending one line per recorded step with a synchronous write (so a killed process loses at
 * most the line being written), and summary.json by writing a temporary file and renaming it
 * over the old one, so a reader always sees a complete summary. Refuses a directory that
 * already holds a run, so nothing recorded is ever overwritten.
 */
export class RunDirWriter<
  Config = ResolvedTrainConfig,
  Record = TrainRecord,
  Summary = TrainSummary,
> {
  readonly dir: string;
  private fd: number | null = null;
  private readonly lock: RunLock;

  constructor(dir: string) {
    this.dir = dir;
    checkRunDirFree(dir);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new ConfigError(
        `cannot create run directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
    this.lock = acquireRunLock(dir, "train");
    try {
      checkRunDirFree(dir); // again, under the lock: another run may have started in between
    } catch (err) {
      this.lock.release();
      throw err;
    }
  }

  writeConfig(config: Config): void {
    writeFileAtomic(join(this.dir, RUN_FILES.config), `${toJson(config, 2)}\n`);
  }

  appendRecord(record: Record): void {
    if (this.fd === null) this.fd = openSync(join(this.dir, RUN_FILES.metrics), "a");
    writeSync(this.fd, `${toJson(record)}\n`);
  }

  writeSummary(summary: Summary): void {
    writeFileAtomic(join(this.dir, RUN_FILES.summary), `${toJson(summary, 2)}\n`);
  }

  close(): void {
    try {
      if (this.fd !== null) {
        closeSync(this.fd);
        this.fd = null;
      }
    } finally {
      this.lock.release();
    }
  }
}

/** Remove `dir` if it is an empty directory (a claimed name never used); else leave it. */
export function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty or already gone: nothing to tidy
  }
}

/** JSON.parse reviver turning "NaN", "Infinity" and "-Infinity" back into numbers. */
export function nonFiniteReviver(_key: string, value: unknown): unknown {
  if (value === "NaN") return Number.NaN;
  if (value === "Infinity") return Number.POSITIVE_INFINITY;
  if (value === "-Infinity") return Number.NEGATIVE_INFINITY;
  return value;
}

/** Text that nonFiniteReviver turns into a number (a quoted NaN, Infinity or -Infinity). */
const NON_FINITE_TEXT = /"(?:NaN|-?Infinity)"/;

/** A run directory read back; missing files give null / []; a torn last line is skipped. */
export interface RunData {
  config: ResolvedTrainConfig | null;
  /** The recorded steps, in file order (thinned evenly when the file is huge: see `thinned`). */
  records: TrainRecord[];
  summary: TrainSummary | null;
  /** Records in metrics.jsonl (all of them, also when `records` holds a thinned subset). */
  recordCount: number;
  /** True when the last line of metrics.jsonl was cut short (and is left out). */
  tornLastLine: boolean;
  /**
   * Set when metrics.jsonl held more record text than `maxRecordBytes`: `records` then holds
   * every `stride`-th record (counted from the first), the last record and the first records
   * with NaN/Inf, so memory stays bounded whatever the file's size.
   */
  thinned: { stride: number; kept: number; total: number } | null;
}

/** Record text kept in memory by readRunDir before it thins (16 MiB: thousands of steps). */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** config.json and summary.json are small JSON objects; anything larger is not one. */
export const MAX_RUN_JSON_BYTES = 64 * 1024 * 1024;

/** Records with NaN/Inf kept beside the thinned ones (the first of them). */
const PINNED_NONFINITE = 16;

function hasNonFinite(r: TrainRecord): boolean {
  if (!Number.isFinite(r.loss) || !Number.isFinite(r.gradNorm)) return true;
  return Array.isArray(r.layers) && r.layers.some((m) => m !== null && m.nonfinite > 0);
}

/** A run JSON file (config.json, summary.json), checked to be a regular file of sane size. */
function readRunJsonText(dir: string, file: string): string | null {
  const path = join(dir, file);
  if (!existsSync(path)) return null;
  try {
    return readSmallFile(path, file, MAX_RUN_JSON_BYTES);
  } catch (err) {
    if (err instanceof FileReadError) throw new ConfigError(err.message);
    throw err;
  }
}

/**
 * Stream the records of a metrics.jsonl: `onRecord(record, index)` for each parsed line, in
 * order. A last line cut short by a killed process (no newline after it, not JSON) is skipped
 * and reported as `torn`; any other bad line throws `<path> line N: SyntaxError: ...`. Memory:
 * one chunk and one line (chunked reading, see file-read.ts). Refuses a path that is not a
 * regular file.
 */
export function forEachMetricsRecord(
  path: string,
  onRecord: (record: TrainRecord, index: number, bytes: number) => void,
): { records: number; torn: boolean } {
  try {
    checkRegularFile(path, RUN_FILES.metrics);
  } catch (err) {
    if (err instanceof FileReadError) throw new ConfigError(err.message);
    throw err;
  }
  let records = 0;
  let torn = false;
  forEachLine(path, (line, info) => {
    if (line.trim() === "") return;
    let record: TrainRecord;
    try {
      // the reviver costs ~5x the parse: only lines that hold such a string need it
      record = (
        NON_FINITE_TEXT.test(line) ? JSON.parse(line, nonFiniteReviver) : JSON.parse(line)
      ) as TrainRecord;
    } catch (err) {
      if (!info.terminated) {
        torn = true; // no trailing newline: the write was cut short
        return;
      }
      throw new Error(`${path} line ${info.number}: ${String(err)}`);
    }
    onRecord(record, records++, info.bytes);
  });
  return { records, torn };
}

/**
 * Read a run directory (complete or interrupted). Non-finite numbers come back as numbers.
 * A last metrics line cut short by a killed process is skipped; any other bad line throws.
 * metrics.jsonl is streamed (never read into one string), and when its records add up to more
 * than `maxRecordBytes` of text they are thinned evenly (see RunData.thinned), so a run of any
 * length is read in bounded memory. config.json and summary.json must be regular files of at
 * most 64 MiB.
 */
export function readRunDir(dir: string, maxRecordBytes: number = MAX_RECORD_BYTES): RunData {
  const configText = readRunJsonText(dir, RUN_FILES.config);
  const summaryText = readRunJsonText(dir, RUN_FILES.summary);
  const metricsPath = join(dir, RUN_FILES.metrics);
  interface Kept {
    index: number;
    bytes: number;
    pinned: boolean;
    record: TrainRecord;
  }
  let kept: Kept[] = [];
  let keptBytes = 0;
  let stride = 1;
  let pinned = 0;
  let last: Kept | null = null;
  let count = { records: 0, torn: false };
  if (existsSync(metricsPath)) {
    count = forEachMetricsRecord(metricsPath, (record, index, bytes) => {
      const pin = pinned < PINNED_NONFINITE && hasNonFinite(record);
      const entry = { index, bytes, pinned: pin, record };
      last = entry;
      if (!pin && index % stride !== 0) return;
      if (pin) pinned++;
      kept.push(entry);
      keptBytes += bytes;
      while (keptBytes > maxRecordBytes && kept.length > 1) {
        stride *= 2;
        kept = kept.filter((k) => k.pinned || k.index % stride === 0);
        keptBytes = kept.reduce((sum, k) => sum + k.bytes, 0);
        if (stride > 2 ** 40) break;
      }
    });
  }
  const lastEntry = last as Kept | null;
  if (lastEntry !== null && kept[kept.length - 1] !== lastEntry) kept.push(lastEntry);
  const records = kept.map((k) => k.record);
  const config = configText === null ? null : (JSON.parse(configText) as ResolvedTrainConfig);
  let summary =
    summaryText === null ? null : (JSON.parse(summaryText, nonFiniteReviver) as TrainSummary);
  // A gradscope run says "running" only while its writer holds the lock; a writer killed
  // with -9 (or by a full disk) leaves "running" behind, which is then simply not true.
  // Imported runs (a `source` in config.json) are written by tools that take no lock.
  const imported = config !== null && typeof (config as { source?: unknown }).source === "string";
  if (summary?.status === "running" && !imported && runDirInUse(dir) === null) {
    summary = { ...summary, status: "interrupted" };
  }
  return {
    config,
    records,
    summary,
    recordCount: count.records,
    tornLastLine: count.torn,
    thinned: stride > 1 ? { stride, kept: records.length, total: count.records } : null,
  };
}
