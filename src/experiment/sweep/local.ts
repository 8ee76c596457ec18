/**
 * Running a sweep on this machine: the points not yet in results.jsonl go to the worker pool
 * (`--jobs N`), and each record is appended the moment its point finishes.
 */
import { runJobs } from "../pool/pool.ts";
import { DETERMINISTIC_ERRORS, failedOutcome, type PointJob, SWEEP_POINT_TASK } from "./point.ts";
import { recordOf, type SweepDir, type SweepRecord } from "./results.ts";
import type { SweepPlan, SweepPoint } from "./spec.ts";

export interface SweepProgress {
  /** Points done (including those done before this run). */
  done: number;
  total: number;
  /** Points finished by this run, and the time since it started. */
  doneThisRun: number;
  elapsedMs: number;
  failed: number;
}

export interface RunSweepOptions {
  jobs?: number;
  signal?: AbortSignal;
  onRecord?: (record: SweepRecord, progress: SweepProgress) => void;
}

export interface SweepRunResult {
  total: number;
  /** Done before this run started (skipped). */
  skipped: number;
  ran: number;
  failed: number;
  /** Points left (interrupted or never started). */
  remaining: number;
  elapsedMs: number;
}

/** Points of `points` that `dir` has no done record of. */
export function pendingPoints(points: readonly SweepPoint[], dir: SweepDir): SweepPoint[] {
  return points.filter((p) => !dir.has(p.hash));
}

export class ProgressCounter {
  private readonly start = performance.now();
  done: number;
  doneThisRun = 0;
  failed = 0;
  constructor(
    readonly total: number,
    already: number,
  ) {
    this.done = already;
  }
  take(record: SweepRecord): SweepProgress {
    this.done++;
    this.doneThisRun++;
    if (record.status === "failed") this.failed++;
    return this.snapshot();
  }
  snapshot(): SweepProgress {
    return {
      done: this.done,
      total: this.total,
      doneThisRun: this.doneThisRun,
      elapsedMs: performance.now() - this.start,
      failed: this.failed,
    };
  }
}

/** Run the missing points of `points` locally; returns when all ran or the signal aborted. */
export async function runSweepLocal(
  plan: SweepPlan,
  points: readonly SweepPoint[],
  dir: SweepDir,
  options: RunSweepOptions = {},
): Promise<SweepRunResult> {
  const start = performance.now();
  const pending = pendingPoints(points, dir);
  const skipped = points.length - pending.length;
  const counter = new ProgressCounter(points.length, skipped);
  const inputs: PointJob[] = pending.map((p) => ({ mode: plan.spec.mode, config: p.config }));
  let remaining = pending.length;
  await runJobs(SWEEP_POINT_TASK, inputs, {
    ...(options.jobs === undefined ? {} : { jobs: options.jobs }),
    ...(options.signal ? { signal: options.signal } : {}),
    onSettled: (i, r) => {
      if (!r.ok && r.error.name === "AbortError") return;
      if (r.ok && r.value.status === "interrupted") return;
      // a job that threw: a bad config is the point's finding; anything else (a worker that
      // died) is recorded as failed too, and tried again by the next run
      const message = r.ok
        ? ""
        : `${DETERMINISTIC_ERRORS.includes(r.error.name) ? "" : `${r.error.name}: `}${r.error.message}`;
      const record = recordOf(
        pending[i]!,
        plan.spec.mode,
        r.ok ? r.value : failedOutcome(message),
        "local",
      );
      dir.append(record);
      remaining--;
      options.onRecord?.(record, counter.take(record));
    },
  });
  const c = counter.snapshot();
  return {
    total: points.length,
    skipped,
    ran: c.doneThisRun,
    failed: c.failed,
    remaining,
    elapsedMs: performance.now() - start,
  };
}
