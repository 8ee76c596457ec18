/**
 * One sweep point as a job: train (or probe) one resolved config and keep the final metrics.
 * The same function runs on the local worker pool and in a queue worker's sandbox, and each
 * point is seeded by its config alone, so the numbers do not depend on where it ran.
 */
import type { ProbeConfig, TrainConfig } from "../config.ts";
import { defineTask, type JobContext } from "../pool/task.ts";
import { threadDataset } from "../pool/tasks.ts";
import { runProbe } from "../probe-run.ts";
import { train } from "../train/trainer.ts";
import type { SweepMode } from "./spec.ts";

export interface PointJob {
  mode: SweepMode;
  config: TrainConfig | ProbeConfig;
}

/** The final numbers of a point: train's summary (or the probe's), without the timing. */
export interface PointMetrics {
  /** train: steps, losses, accuracies, explosion; probe: the flow measures. */
  [key: string]: number | string | null;
}

export interface PointOutcome {
  /** completed, exploded, interrupted (never stored) or failed; probe: "probed". */
  status: string;
  metrics: PointMetrics;
  verdict: string | null;
  verdictMessage: string | null;
  /** Why the point failed (status "failed"). */
  error?: string;
  /** Wall time of the point (the only field that differs between identical runs). */
  elapsedMs: number;
}

/** Errors that the same config gives every time: recorded as a failed point, not retried. */
export const DETERMINISTIC_ERRORS: readonly string[] = [
  "ConfigError",
  "DatasetError",
  "RangeError",
];

export async function sweepPointJob(job: PointJob, context: JobContext): Promise<PointOutcome> {
  const start = performance.now();
  if (job.mode === "probe") {
    const r = runProbe(job.config as ProbeConfig);
    const s = r.summary;
    return {
      status: "probed",
      metrics: {
        loss: r.summary.loss,
        severity: s.severity,
        perLayerFactor: s.perLayerFactor,
        gradientSpan: s.gradientSpan,
        gradientDecades: s.gradientDecades,
        firstToLastRatio: s.firstToLastRatio,
        signalRatio: s.signalRatio,
      },
      verdict: s.verdict,
      verdictMessage: s.message,
      elapsedMs: Math.round(performance.now() - start),
    };
  }
  const config = job.config as TrainConfig;
  const result = await train(config, {
    dataset: await threadDataset(config),
    signal: context.signal,
    // the records stay in this thread: the run's verdict is judged on them, then dropped
    keepRecords: true,
  });
  const s = result.summary;
  return {
    status: s.status,
    metrics: {
      steps: s.steps,
      stepsDone: s.stepsDone,
      epochs: s.epochs,
      initialLoss: s.initialLoss,
      finalLoss: s.finalLoss,
      trainLoss: s.trainLoss,
      trainAcc: s.trainAcc,
      testLoss: s.testLoss,
      testAcc: s.testAcc,
      bestTestAcc: s.bestTestAcc,
      bestTestAccStep: s.bestTestAccStep,
      clippedSteps: s.clippedSteps,
      explosion: s.explosion ? s.explosion.message : null,
      initialGradientVerdict: s.gradients.initial?.verdict ?? null,
      finalGradientVerdict: s.gradients.final?.verdict ?? null,
    },
    verdict: s.verdict ?? null,
    verdictMessage: s.verdictMessage ?? null,
    ...(s.error === undefined ? {} : { error: s.error }),
    elapsedMs: Math.round(s.elapsedMs),
  };
}

/** A sweep point on the worker pool. */
export const SWEEP_POINT_TASK = defineTask<PointJob, PointOutcome>(
  import.meta.url,
  "sweepPointJob",
);

/** The outcome of a point whose job threw (a bad config, a dataset that will not load). */
export function failedOutcome(message: string): PointOutcome {
  return {
    status: "failed",
    metrics: {},
    verdict: null,
    verdictMessage: null,
    error: message,
    elapsedMs: 0,
  };
}
