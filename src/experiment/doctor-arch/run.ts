/**
 * One training run of `doctor --arch`: a recurrent or transformer run config at one seed and
 * learning rate, trained by the same loop as `gradscope train --arch` (so `train` with the
 * printed flags repeats it), reduced to plain data that crosses threads.
 */
import type { Verdict } from "../../verdict/flow-verdict.ts";
import type { SeedOutcome } from "../doctor/paired.ts";
import { defineTask, type JobContext } from "../pool/index.ts";
import { type SequenceRunSink, SequenceRunWriter } from "../sequence-train/run-writer.ts";
import { trainSequenceRun } from "../sequence-train/train.ts";
import type {
  SequenceRecord,
  SequenceRunConfig,
  SequenceStatus,
  SequenceSummary,
} from "../sequence-train/types.ts";
import { judgeRecord } from "../sequence-train/verdict.ts";

export type ArchSeedOutcome = SeedOutcome<SequenceStatus>;

export interface ArchRunInput {
  /** The resolved config to train (remedy, learning rate, seed and steps applied). */
  config: SequenceRunConfig;
  /** Run directory (config.json, metrics.jsonl, summary.json), or null. */
  runDir: string | null;
}

export interface ArchRunOutput {
  seed: ArchSeedOutcome;
  /** The flow verdict of the first recorded step (at initialization) and its sentence. */
  initVerdict: Verdict | null;
  initMessage: string | null;
  /** The run's verdict (judgeRun over every record, as `train` and `diagnose`). */
  runVerdict: Verdict | null;
  runMessage: string | null;
  /** The task as the run describes it (chance and the input-blind loss are read from it). */
  task: SequenceSummary["task"];
  explosion: string | null;
  stepsDone: number;
  elapsedMs: number;
}

/**
 * The steps whose minibatch losses make a run's final training loss (what a learning rate is
 * kept by): the last tenth of the run, at least one step. One minibatch is too noisy to choose
 * a rate on; the test set chooses nothing.
 */
export const TRAIN_LOSS_FRACTION = 0.1;

/** Forwards to a run directory when there is one; keeps only the first record. */
class FirstRecordSink implements SequenceRunSink {
  first: SequenceRecord | null = null;
  constructor(private readonly inner: SequenceRunSink | null) {}
  writeConfig(config: SequenceRunConfig): void {
    this.inner?.writeConfig(config);
  }
  appendRecord(record: SequenceRecord): void {
    this.first ??= record;
    this.inner?.appendRecord(record);
  }
  writeSummary(summary: SequenceSummary): void {
    this.inner?.writeSummary(summary);
  }
  close(): void {
    this.inner?.close();
  }
}

/** A pool task: train one configuration at one seed and rate, and return plain data. */
export async function archDoctorRunJob(
  input: ArchRunInput,
  { signal }: JobContext,
): Promise<ArchRunOutput> {
  const { config } = input;
  const sink = new FirstRecordSink(input.runDir ? new SequenceRunWriter(input.runDir) : null);
  const tail = Math.max(1, Math.round(TRAIN_LOSS_FRACTION * config.steps));
  let tailSum = 0;
  let tailCount = 0;
  const summary = await trainSequenceRun(
    { ...config, out: input.runDir },
    {
      sink,
      signal,
      onProgress: (p) => {
        if (p.step > config.steps - tail) {
          tailSum += p.loss;
          tailCount++;
        }
      },
    },
  );
  const init = sink.first ? judgeRecord(sink.first, config.dtype).flow : null;
  return {
    seed: {
      seed: config.seed,
      status: summary.status,
      trainLoss: summary.status === "completed" && tailCount > 0 ? tailSum / tailCount : null,
      trainAcc: null,
      testLoss: summary.testLoss,
      testAcc: summary.testAcc,
      finalLoss: summary.finalLoss,
      initialLoss: summary.initialLoss,
    },
    initVerdict: init?.verdict ?? null,
    initMessage: init?.message ?? null,
    runVerdict: summary.verdict,
    runMessage: summary.verdictMessage,
    task: summary.task,
    explosion: summary.explosion?.message ?? null,
    stepsDone: summary.stepsDone,
    elapsedMs: summary.elapsedMs,
  };
}

export const ARCH_DOCTOR_RUN_TASK = defineTask<ArchRunInput, ArchRunOutput>(
  import.meta.url,
  "archDoctorRunJob",
);
