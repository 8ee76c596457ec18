import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../config.ts";
import {
  CHUNK_BYTES,
  checkRegularFile,
  FileReadError,
  forEachLine,
  readSmallFile,
} from "../file-read.ts";
import { toJson } from "../json-numbers.ts";
import {
  type Checkpoint,
  checkpointOption,
  readCheckpoint,
  temporaryName,
  writeFileDurable,
} from "./checkpoint.ts";
import type { RunSink, TrainRecord, TrainSummary } from "./recorder.ts";
import { MAX_RUN_JSON_BYTES, RUN_FILES, readRunDir } from "./run-dir.ts";
import { acquireRunLock, type RunLock } from "./run-lock.ts";
import type { ResolvedTrainConfig } from "./train-config.ts";
import { type TrainOptions, type TrainResult, train } from "./trainer.ts";

/** Default checkpoint interval of the CLI, in steps (evaluation steps are checkpointed too). */
export const DEFAULT_CHECKPOINT_EVERY = 1000;

/**
 * Cut metrics.jsonl of `dir` back to the records of steps <= `step` (the checkpoint's), so
 * the steps taken after the checkpoint are not written twice when the run goes on. The kept
 * lines stay byte for byte; a torn last line is dropped. Written atomically (temporary file,
 * fsync and rename). Returns the number of records kept and dropped.
 *
 * Streamed in two passes over the file, never read whole: the first parses each line's step
 * and notes the byte ranges to keep, the second copies those ranges into the new file. Memory
 * is one chunk, one line and the list of kept ranges (one range when the steps are in order).
 */
export function truncateMetrics(dir: string, step: number): { kept: number; dropped: number } {
  const path = join(dir, RUN_FILES.metrics);
  if (!existsSync(path)) return { kept: 0, dropped: 0 };
  let size: number;
  try {
    size = checkRegularFile(path, RUN_FILES.metrics);
  } catch (err) {
    if (err instanceof FileReadError) throw new ConfigError(err.message);
    throw err;
  }
  // [start, end) byte ranges of kept lines; consecutive kept lines share one range
  const ranges: number[] = [];
  let kept = 0;
  let dropped = 0;
  forEachLine(
    path,
    (line, info) => {
      if (line.trim() === "") return;
      let s: unknown;
      try {
        s = (JSON.parse(line) as { step?: unknown }).step;
      } catch (err) {
        if (!info.terminated) {
          dropped++; // cut short by a killed process
          return;
        }
        throw new ConfigError(`${path} line ${info.number} is damaged: ${(err as Error).message}`);
      }
      if (typeof s !== "number") throw new ConfigError(`${path} line ${info.number} has no step`);
      if (s > step) {
        dropped++;
        return;
      }
      kept++;
      const n = ranges.length;
      if (n > 0 && ranges[n - 1] === info.offset - 1) ranges[n - 1] = info.offset + info.bytes;
      else ranges.push(info.offset, info.offset + info.bytes);
    },
    { limitBytes: size },
  );
  if (dropped > 0) copyRangesDurable(path, ranges);
  return { kept, dropped };
}

/** Write the byte ranges of `path` (each followed by "\n") to a new file that replaces it. */
function copyRangesDurable(path: string, ranges: readonly number[]): void {
  const tmp = temporaryName(path);
  const src = openSync(path, "r");
  let out: number | null = null;
  try {
    out = openSync(tmp, "w");
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    const newline = Buffer.from("\n");
    for (let r = 0; r < ranges.length; r += 2) {
      let pos = ranges[r]!;
      const end = ranges[r + 1]!;
      while (pos < end) {
        const n = readSync(src, buf, 0, Math.min(CHUNK_BYTES, end - pos), pos);
        if (n === 0) throw new ConfigError(`${path} changed while it was being cut back`);
        writeAll(out, buf, n);
        pos += n;
      }
      writeAll(out, newline, 1);
    }
    fsyncSync(out);
  } catch (err) {
    if (out !== null) closeSync(out);
    out = null;
    rmSync(tmp, { force: true });
    throw err;
  } finally {
    if (out !== null) closeSync(out);
    closeSync(src);
  }
  renameSync(tmp, path);
}

function writeAll(fd: number, buf: Buffer, length: number): void {
  let done = 0;
  while (done < length) done += writeSync(fd, buf, done, length - done);
}

/** A RunSink that continues an existing run directory: appends metrics, rewrites the summary. */
export class ResumeRunDirWriter implements RunSink {
  private fd: number | null = null;
  /** `lock`: the run directory's lock, held by the caller and given back by close(). */
  constructor(
    readonly dir: string,
    private readonly lock: RunLock | null = null,
  ) {}

  writeConfig(_config: ResolvedTrainConfig): void {
    // config.json is the run's own and already in place.
  }

  appendRecord(record: TrainRecord): void {
    if (this.fd === null) this.fd = openSync(join(this.dir, RUN_FILES.metrics), "a");
    writeSync(this.fd, `${toJson(record)}\n`);
  }

  writeSummary(summary: TrainSummary): void {
    writeFileDurable(join(this.dir, RUN_FILES.summary), `${toJson(summary, 2)}\n`);
  }

  close(): void {
    try {
      if (this.fd !== null) {
        closeSync(this.fd);
        this.fd = null;
      }
    } finally {
      this.lock?.release();
    }
  }
}

export interface ResumeOptions
  extends Omit<TrainOptions, "runDir" | "sink" | "resumeState" | "checkpoint"> {
  /** Checkpoint every this many steps while going on (default DEFAULT_CHECKPOINT_EVERY). */
  checkpointEvery?: number;
}

/**
 * The config and checkpoint of a run directory that can be resumed. `checkpoint` is null for
 * a run stopped before its first checkpoint: it is trained again from step 1. Throws a
 * ConfigError when the directory holds no run, a checkpoint of another config, or a run that
 * already finished.
 */
export function loadResumable(runDir: string): {
  config: ResolvedTrainConfig;
  checkpoint: Checkpoint | null;
} {
  const configPath = join(runDir, RUN_FILES.config);
  if (!existsSync(configPath)) {
    throw new ConfigError(`cannot resume ${runDir}: it holds no run (no ${RUN_FILES.config})`);
  }
  let config: ResolvedTrainConfig;
  try {
    config = JSON.parse(
      readSmallFile(configPath, RUN_FILES.config, MAX_RUN_JSON_BYTES),
    ) as ResolvedTrainConfig;
  } catch (err) {
    if (err instanceof FileReadError)
      throw new ConfigError(`cannot resume ${runDir}: ${err.message}`);
    throw new ConfigError(`cannot resume ${runDir}: ${configPath}: ${(err as Error).message}`);
  }
  const arch = (config as { arch?: unknown }).arch;
  if (typeof arch === "string" && arch !== "mlp") {
    // recurrent and transformer runs write no checkpoint yet
    throw new ConfigError(
      `cannot resume ${runDir}: --resume is not available for --arch ${arch} runs yet (train it again into a new --out)`,
    );
  }
  const summaryPath = join(runDir, RUN_FILES.summary);
  if (existsSync(summaryPath)) {
    let status: unknown;
    try {
      const text = readSmallFile(summaryPath, RUN_FILES.summary, MAX_RUN_JSON_BYTES);
      status = (JSON.parse(text) as { status?: unknown }).status;
    } catch (err) {
      if (err instanceof FileReadError)
        throw new ConfigError(`cannot resume ${runDir}: ${err.message}`);
      status = null; // a summary is always written whole; treat a bad one as unknown
    }
    if (status === "completed" || status === "exploded") {
      throw new ConfigError(`cannot resume ${runDir}: the run already ${status}`);
    }
  }
  const checkpointPath = join(runDir, "checkpoint.json");
  if (existsSync(checkpointPath)) {
    try {
      checkRegularFile(checkpointPath, "checkpoint.json"); // a FIFO there would block the read
    } catch (err) {
      if (err instanceof FileReadError)
        throw new ConfigError(`cannot resume ${runDir}: ${err.message}`);
      throw err;
    }
  }
  const checkpoint = readCheckpoint(runDir);
  if (checkpoint !== null && toJson(config) !== toJson(checkpoint.config)) {
    throw new ConfigError(`cannot resume ${runDir}: checkpoint.json is of another config`);
  }
  return { config, checkpoint };
}

/**
 * Continue the run in `runDir` from its checkpoint.json: the trainer is rebuilt from the
 * checkpoint's config, its state restored, metrics.jsonl cut back to the checkpoint's step,
 * and training goes on, appending to the same directory and checkpointing as it goes. The
 * result equals an uninterrupted run with the same config bit for bit (elapsedMs aside).
 * Throws a ConfigError as `loadResumable` does.
 */
export async function resumeTrain(
  runDir: string,
  options: ResumeOptions = {},
): Promise<TrainResult> {
  if (!existsSync(join(runDir, RUN_FILES.config))) loadResumable(runDir); // its one-line error
  const lock = acquireRunLock(runDir, "train --resume");
  let sink: ResumeRunDirWriter;
  let loaded: ReturnType<typeof loadResumable>;
  try {
    loaded = loadResumable(runDir); // under the lock: the files cannot change from here on
    sink = new ResumeRunDirWriter(runDir, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
  const { config, checkpoint } = loaded;
  const { checkpointEvery, ...rest } = options;
  const every = checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  const writeCheckpoint = checkpointOption(runDir, every);
  try {
    truncateMetrics(runDir, checkpoint ? checkpoint.state.stepsDone : 0);
  } catch (err) {
    sink.close();
    throw err;
  }
  const priorRecords = readRunDir(runDir).records;
  let result: TrainResult;
  let stepped = false; // errors before the first step come from the restored state
  const onProgress = rest.onProgress;
  try {
    result = await train(config, {
      ...rest,
      onProgress: (p) => {
        stepped = true;
        onProgress?.(p);
      },
      priorRecords,
      sink,
      ...(checkpoint ? { resumeState: checkpoint.state } : {}),
      checkpoint: writeCheckpoint,
    });
  } catch (err) {
    sink.close(); // idempotent: train closes it itself once it has started
    throw resumeError(err, runDir, checkpoint !== null && !stepped);
  }
  return { ...result, runDir };
}

/**
 * A checkpoint that decodes but does not fit the network it names (a tensor missing or of
 * another size, a sampler order that is no permutation, an RNG state of the wrong shape, an
 * array where a number belongs: a hand-edited or damaged file) makes Trainer.importState, or
 * the first step from the restored state, throw a RangeError or TypeError; resuming reports it
 * as the ConfigError of a damaged checkpoint (one line, exit 2). `restoring`: the error came
 * before the first step finished. Other errors pass through. Found by fuzzing the checkpoint
 * reader (test/fuzz).
 */
export function resumeError(err: unknown, runDir: string, restoring: boolean): unknown {
  const fromState = err instanceof RangeError && /^(checkpoint|sampler|rng)\b/.test(err.message);
  if (fromState || (restoring && (err instanceof RangeError || err instanceof TypeError))) {
    const why = (err as Error).message;
    return new ConfigError(`cannot resume ${runDir}: checkpoint.json is damaged: ${why}`);
  }
  return err;
}
