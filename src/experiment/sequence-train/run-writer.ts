import { RunDirWriter } from "../train/run-dir.ts";
import type { SequenceRecord, SequenceRunConfig, SequenceSummary } from "./types.ts";

/** Where a sequence run writes as it goes (a directory in Node; memory in tests or workers). */
export interface SequenceRunSink {
  writeConfig(config: SequenceRunConfig): void;
  appendRecord(record: SequenceRecord): void;
  writeSummary(summary: SequenceSummary): void;
  close(): void;
}

/**
 * The MLP's RunDirWriter for recurrent and transformer runs: the same contract (a directory
 * holding a run is refused, `.gradscope.lock` taken first, metrics.jsonl appended line by
 * line, config.json and summary.json replaced atomically), typed for these shapes.
 */
export class SequenceRunWriter
  extends RunDirWriter<SequenceRunConfig, SequenceRecord, SequenceSummary>
  implements SequenceRunSink {}

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
