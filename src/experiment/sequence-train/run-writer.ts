import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../config.ts";
import { toJson } from "../json-numbers.ts";
import { checkRunDirFree, RUN_FILES, writeFileAtomic } from "../train/run-dir.ts";
import { acquireRunLock, type RunLock } from "../train/run-lock.ts";
import type { SequenceRecord, SequenceRunConfig, SequenceSummary } from "./types.ts";

/** Where a sequence run writes as it goes (a directory in Node; memory in tests or workers). */
export interface SequenceRunSink {
  writeConfig(config: SequenceRunConfig): void;
  appendRecord(record: SequenceRecord): void;
  writeSummary(summary: SequenceSummary): void;
  close(): void;
}

/**
 * The MLP's RunDirWriter contract for recurrent and transformer runs: the directory is refused
 * when it holds a run, `.gradscope.lock` is taken before anything is written (and the check
 * repeated under it), metrics.jsonl is appended line by line with synchronous writes, and
 * config.json and summary.json are replaced atomically. RunDirWriter itself is typed for the
 * MLP's config and records, so the same primitives are composed here for these shapes.
 */
export class SequenceRunWriter implements SequenceRunSink {
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

  writeConfig(config: SequenceRunConfig): void {
    writeFileAtomic(join(this.dir, RUN_FILES.config), `${toJson(config, 2)}\n`);
  }

  appendRecord(record: SequenceRecord): void {
    if (this.fd === null) this.fd = openSync(join(this.dir, RUN_FILES.metrics), "a");
    writeSync(this.fd, `${toJson(record)}\n`);
  }

  writeSummary(summary: SequenceSummary): void {
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

/** A sink that keeps everything in memory (compare without --out, tests). */
export class MemorySequenceSink implements SequenceRunSink {
  config: SequenceRunConfig | null = null;
  readonly records: SequenceRecord[] = [];
  summary: SequenceSummary | null = null;
  writeConfig(config: SequenceRunConfig): void {
    this.config = config;
  }
  appendRecord(record: SequenceRecord): void {
    this.records.push(record);
  }
  writeSummary(summary: SequenceSummary): void {
    this.summary = summary;
  }
  close(): void {}
}
