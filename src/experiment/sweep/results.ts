/**
 * A sweep directory: sweep.json (the spec, its axes and size) and results.jsonl (one JSON
 * record per finished point and seed, appended as points finish with one synchronous write,
 * so a killed sweep loses at most the points in flight and at worst a torn last line, which
 * the next run cuts off). One writer at a time holds the directory's lock.
 */
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { ConfigError, type ProbeConfig, type TrainConfig } from "../config.ts";
import { toJson } from "../json-numbers.ts";
import { nonFiniteReviver, writeFileAtomic } from "../train/run-dir.ts";
import { acquireRunLock, type RunLock } from "../train/run-lock.ts";
import type { PointOutcome } from "./point.ts";
import {
  type SweepPlan,
  type SweepPoint,
  type SweepSpec,
  type SweepValue,
  specIdentity,
} from "./spec.ts";

export const SWEEP_FILES = { spec: "sweep.json", results: "results.jsonl" } as const;

/** One line of results.jsonl. */
export interface SweepRecord extends PointOutcome {
  index: number;
  hash: string;
  seed: number;
  mode: string;
  changes: Record<string, SweepValue>;
  config: TrainConfig | ProbeConfig;
  /** Where it ran: "local", or the queue worker's host and pid. */
  ranOn?: string;
}

/** sweep.json. */
export interface SweepFile {
  version: 1;
  spec: SweepSpec;
  axes: string[];
  /** Points (point x seed records) in the whole sweep. */
  points: number;
  /** Present in a shard's directory. */
  shard?: { index: number; count: number };
}

export function recordOf(
  point: SweepPoint,
  mode: string,
  outcome: PointOutcome,
  ranOn?: string,
): SweepRecord {
  return {
    index: point.index,
    hash: point.hash,
    seed: point.seed,
    mode,
    changes: point.changes,
    config: point.config,
    ...outcome,
    ...(ranOn === undefined ? {} : { ranOn }),
  };
}

/** Whether a record counts as done (a failed point is tried again on the next run). */
export function isDone(r: SweepRecord): boolean {
  return r.status !== "failed" && r.status !== "interrupted";
}

/**
 * Read results.jsonl: the last record of each hash wins, except that a done record is never
 * replaced by a failed one. A torn last line (a killed writer) is skipped; `tornAt` is the
 * byte offset where the complete lines end.
 */
export function readResults(dir: string): {
  records: Map<string, SweepRecord>;
  validBytes: number;
} {
  const path = join(dir, SWEEP_FILES.results);
  const records = new Map<string, SweepRecord>();
  if (!existsSync(path)) return { records, validBytes: 0 };
  const text = readFileSync(path, "utf8");
  const end = text.lastIndexOf("\n") + 1;
  const lines = text.slice(0, end).split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let r: SweepRecord;
    try {
      r = JSON.parse(line, nonFiniteReviver) as SweepRecord;
    } catch (err) {
      throw new ConfigError(`${path} line ${i + 1} is not JSON: ${(err as Error).message}`);
    }
    const old = records.get(r.hash);
    if (old && isDone(old) && !isDone(r)) return;
    records.set(r.hash, r);
  });
  return { records, validBytes: Buffer.byteLength(text.slice(0, end)) };
}

export function readSweepFile(dir: string): SweepFile | null {
  const path = join(dir, SWEEP_FILES.spec);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as SweepFile;
  } catch (err) {
    throw new ConfigError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Whether `dir` looks like a sweep directory. */
export function isSweepDir(dir: string): boolean {
  return existsSync(join(dir, SWEEP_FILES.spec)) || existsSync(join(dir, SWEEP_FILES.results));
}

/**
 * The writer of a sweep directory: takes its lock, writes sweep.json (or checks that the one
 * there describes the same sweep), reads what is done and appends records.
 */
export class SweepDir {
  readonly dir: string;
  readonly done: Map<string, SweepRecord>;
  private fd: number;
  private readonly lock: RunLock;

  constructor(dir: string, plan: SweepPlan, shard?: { index: number; count: number }) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    this.lock = acquireRunLock(dir, "sweep");
    try {
      const file: SweepFile = {
        version: 1,
        spec: plan.spec,
        axes: plan.axes,
        points: plan.points.length,
        ...(shard ? { shard } : {}),
      };
      const old = readSweepFile(dir);
      if (old === null) writeFileAtomic(join(dir, SWEEP_FILES.spec), `${toJson(file, 2)}\n`);
      else if (specIdentity(old.spec) !== specIdentity(plan.spec)) {
        throw new ConfigError(
          `${dir} holds another sweep (its sweep.json differs from this spec): choose another --out`,
        );
      }
      const { records, validBytes } = readResults(dir);
      this.done = records;
      this.fd = openSync(join(dir, SWEEP_FILES.results), "a+");
      // cut a torn last line (a writer killed mid-write) before appending after it
      if (statSync(join(dir, SWEEP_FILES.results)).size > validBytes)
        ftruncateSync(this.fd, validBytes);
    } catch (err) {
      this.lock.release();
      throw err;
    }
  }

  /** Whether the point (by hash) has a done record. */
  has(hash: string): boolean {
    const r = this.done.get(hash);
    return r !== undefined && isDone(r);
  }

  append(record: SweepRecord): void {
    if (record.status === "interrupted") return; // not done: run again next time
    writeSync(this.fd, `${toJson(record)}\n`);
    this.done.set(record.hash, record);
  }

  close(): void {
    try {
      closeSync(this.fd);
    } finally {
      this.lock.release();
    }
  }
}

/** The shard directories under `dir/shards/`. */
export function shardDirs(dir: string): string[] {
  const root = join(dir, "shards");
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(root, d.name))
    .sort();
}

export function shardDirOf(dir: string, shard: { index: number; count: number }): string {
  return join(dir, "shards", `${shard.index}-of-${shard.count}`);
}

/** Records of a sweep directory in point order (index, then seed). */
export function sortedRecords(records: Iterable<SweepRecord>): SweepRecord[] {
  return [...records].sort((a, b) => a.index - b.index || a.seed - b.seed);
}

/**
 * Join shard directories (and any other sweep directories of the same spec) into `dir`:
 * sweep.json without a shard, results.jsonl with one record per point in point order (a done
 * record wins over a failed one). Returns the number of records and of points still missing.
 */
export function mergeSweeps(
  dir: string,
  sources: readonly string[],
): { records: number; missing: number; sources: number } {
  if (sources.length === 0)
    throw new ConfigError(
      `nothing to merge: no ${join(dir, "shards")}/* and no sweep directories given`,
    );
  let spec: SweepFile | null = readSweepFile(dir);
  const merged = new Map<string, SweepRecord>();
  const take = (r: SweepRecord): void => {
    const old = merged.get(r.hash);
    if (old && isDone(old) && !isDone(r)) return;
    merged.set(r.hash, r);
  };
  if (existsSync(join(dir, SWEEP_FILES.results)))
    for (const r of readResults(dir).records.values()) take(r);
  for (const src of sources) {
    const s = readSweepFile(src);
    if (s === null)
      throw new ConfigError(`${src} is not a sweep directory (no ${SWEEP_FILES.spec})`);
    if (spec === null) spec = s;
    else if (specIdentity(spec.spec) !== specIdentity(s.spec)) {
      throw new ConfigError(`${src} is another sweep (its spec differs): cannot merge`);
    }
    for (const r of readResults(src).records.values()) take(r);
  }
  const { shard: _shard, ...whole } = spec!;
  mkdirSync(dir, { recursive: true });
  const lock = acquireRunLock(dir, "sweep merge");
  try {
    writeFileAtomic(join(dir, SWEEP_FILES.spec), `${toJson(whole, 2)}\n`);
    const lines = sortedRecords(merged.values()).map((r) => `${toJson(r)}\n`);
    writeFileAtomic(join(dir, SWEEP_FILES.results), lines.join(""));
  } finally {
    lock.release();
  }
  const done = [...merged.values()].filter(isDone).length;
  return { records: merged.size, missing: whole.points - done, sources: sources.length };
}
