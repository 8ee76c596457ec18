import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmdirSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { ConfigError } from "../config.ts";
import { toJson } from "../json-numbers.ts";
import { temporaryName } from "./checkpoint.ts";
import type { RunSink, TrainRecord, TrainSummary } from "./recorder.ts";
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
export class RunDirWriter implements RunSink {
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

  writeConfig(config: ResolvedTrainConfig): void {
    writeFileAtomic(join(this.dir, RUN_FILES.config), `${toJson(config, 2)}\n`);
  }

  appendRecord(record: TrainRecord): void {
    if (this.fd === null) this.fd = openSync(join(this.dir, RUN_FILES.metrics), "a");
    writeSync(this.fd, `${toJson(record)}\n`);
  }

  writeSummary(summary: TrainSummary): void {
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

/** A run directory read back; missing files give null / []; a torn last line is skipped. */
export interface RunData {
  config: ResolvedTrainConfig | null;
  records: TrainRecord[];
  summary: TrainSummary | null;
}

/**
 * Read a run directory (complete or interrupted). Non-finite numbers come back as numbers.
 * A last metrics line cut short by a killed process is skipped; any other bad line throws.
 */
export function readRunDir(dir: string): RunData {
  const read = (file: string): string | null => {
    const path = join(dir, file);
    return existsSync(path) ? readFileSync(path, "utf8") : null;
  };
  const configText = read(RUN_FILES.config);
  const summaryText = read(RUN_FILES.summary);
  const metricsText = read(RUN_FILES.metrics) ?? "";
  const lines = metricsText.split("\n");
  const records: TrainRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      records.push(JSON.parse(line, nonFiniteReviver) as TrainRecord);
    } catch (err) {
      const last = i === lines.length - 1; // no trailing newline: the write was cut short
      if (!last) throw new Error(`${join(dir, RUN_FILES.metrics)} line ${i + 1}: ${String(err)}`);
    }
  });
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
  return { config, records, summary };
}
