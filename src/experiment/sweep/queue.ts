/**
 * The distributed backend: BullMQ on Redis. `submitSweep` adds the missing points as jobs
 * whose id is the point's hash (adding an id that exists adds nothing, so re-submitting never
 * duplicates a point), then waits, appending each finished job's result to results.jsonl
 * once. `runQueueWorker` processes jobs: each point runs in a sandboxed child process
 * (processor.ts), so a point that crashes fails that job, not the worker; failed jobs retry
 * with exponential backoff; a worker killed with -9 stops renewing its jobs' locks, and the
 * stalled-job check of any live worker puts them back in the queue.
 */
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import { type Job, Queue, Worker } from "bullmq";
import { ProgressCounter, type SweepProgress, type SweepRunResult } from "./local.ts";
import { DETERMINISTIC_ERRORS, failedOutcome, type PointJob, type PointOutcome } from "./point.ts";
import type { RedisTarget } from "./redis-url.ts";
import { recordOf, type SweepDir, type SweepRecord } from "./results.ts";
import { jobIdOf, type SweepPlan, type SweepPoint } from "./spec.ts";

/** One queue for every sweep: a point is the same job whichever sweep asks for it. */
export const QUEUE_NAME = "gradscope-sweep";

/** Attempts per job (the first and two retries), 2 s, 4 s apart. */
export const JOB_ATTEMPTS = 3;
export const BACKOFF_MS = 2000;
/** Finished jobs stay in Redis a week, so a sweep re-run later still collects them. */
const KEEP_SECONDS = 7 * 24 * 3600;

function connectionOf(target: RedisTarget): Record<string, unknown> {
  // workers block on Redis: ioredis must not give up on a command (BullMQ requires null)
  return { ...target, maxRetriesPerRequest: null };
}

/** What the queue gives back for a job: the point's outcome plus where it ran. */
export interface QueueResult extends PointOutcome {
  ranOn: string;
}

export interface SubmitOptions {
  /** Wait for the points and write their records (default true). */
  wait?: boolean;
  signal?: AbortSignal;
  /** How often to look at the outstanding jobs (default 500 ms). */
  pollMs?: number;
  onSubmitted?: (added: number, alreadyQueued: number) => void;
  onRecord?: (record: SweepRecord, progress: SweepProgress) => void;
}

export interface SubmitResult extends SweepRunResult {
  /** Jobs this call added, and points already in the queue (from an earlier submit). */
  added: number;
  alreadyQueued: number;
}

function outcomeOfJob(job: Job): QueueResult | null {
  const v = job.returnvalue as unknown;
  if (v === null || v === undefined) return null;
  return (typeof v === "string" ? JSON.parse(v) : v) as QueueResult;
}

/**
 * Submit the points of `points` that `dir` has no record of, keyed by hash, and (unless
 * `wait` is false) wait for them, appending each record once as its job finishes.
 */
export async function submitSweep(
  plan: SweepPlan,
  points: readonly SweepPoint[],
  dir: SweepDir,
  target: RedisTarget,
  options: SubmitOptions = {},
): Promise<SubmitResult> {
  const start = performance.now();
  const pending = points.filter((p) => !dir.has(p.hash));
  const skipped = points.length - pending.length;
  const counter = new ProgressCounter(points.length, skipped);
  const queue = new Queue(QUEUE_NAME, { connection: connectionOf(target) });
  queue.on("error", () => {}); // reconnects are ioredis's; a lost server shows as a stall
  const mode = plan.spec.mode;
  let added = 0;
  let alreadyQueued = 0;
  try {
    await queue.waitUntilReady();
    for (let i = 0; i < pending.length; i += 500) {
      const chunk = pending.slice(i, i + 500);
      const existing = await Promise.all(chunk.map((p) => queue.getJob(jobIdOf(mode, p.hash))));
      const fresh = chunk.filter((_, k) => existing[k] === undefined);
      await queue.addBulk(
        fresh.map((p) => ({
          name: "point",
          data: { mode, config: p.config } satisfies PointJob,
          opts: {
            jobId: jobIdOf(mode, p.hash),
            attempts: JOB_ATTEMPTS,
            backoff: { type: "exponential", delay: BACKOFF_MS },
            removeOnComplete: { age: KEEP_SECONDS },
            removeOnFail: { age: KEEP_SECONDS },
          },
        })),
      );
      added += fresh.length;
      alreadyQueued += chunk.length - fresh.length;
      // a point that failed for good in an earlier submit is tried again now
      await Promise.all(
        existing.map(async (job) => {
          if (job && (await job.getState()) === "failed") await job.retry("failed");
        }),
      );
    }
    options.onSubmitted?.(added, alreadyQueued);
    if (options.wait === false) {
      return {
        total: points.length,
        skipped,
        ran: 0,
        failed: 0,
        remaining: pending.length,
        elapsedMs: performance.now() - start,
        added,
        alreadyQueued,
      };
    }
    const outstanding = new Map(pending.map((p) => [jobIdOf(mode, p.hash), p]));
    const pollMs = options.pollMs ?? 500;
    while (outstanding.size > 0 && !options.signal?.aborted) {
      const ids = [...outstanding.keys()];
      for (let i = 0; i < ids.length && !options.signal?.aborted; i += 200) {
        const chunk = ids.slice(i, i + 200);
        const jobs = await Promise.all(chunk.map((id) => queue.getJob(id)));
        for (let k = 0; k < chunk.length; k++) {
          const id = chunk[k]!;
          const point = outstanding.get(id)!;
          const job = jobs[k];
          if (job === undefined) {
            // removed from Redis (by hand, or kept past its age): submit it again
            await queue.add("point", { mode, config: point.config } satisfies PointJob, {
              jobId: id,
              attempts: JOB_ATTEMPTS,
              backoff: { type: "exponential", delay: BACKOFF_MS },
              removeOnComplete: { age: KEEP_SECONDS },
              removeOnFail: { age: KEEP_SECONDS },
            });
            continue;
          }
          if (!job.finishedOn) continue;
          const state = await job.getState();
          let outcome: QueueResult | null = null;
          if (state === "completed") outcome = outcomeOfJob(job);
          else if (state === "failed") {
            outcome = { ...failedOutcome(job.failedReason || "failed"), ranOn: "queue" };
          }
          if (outcome === null) continue;
          outstanding.delete(id);
          if (dir.has(point.hash)) continue;
          const { ranOn, ...rest } = outcome;
          const record = recordOf(point, mode, rest, ranOn);
          dir.append(record);
          options.onRecord?.(record, counter.take(record));
        }
      }
      if (outstanding.size > 0) await sleep(pollMs, options.signal);
    }
    const c = counter.snapshot();
    return {
      total: points.length,
      skipped,
      ran: c.doneThisRun,
      failed: c.failed,
      remaining: outstanding.size,
      elapsedMs: performance.now() - start,
      added,
      alreadyQueued,
    };
  } finally {
    await queue.close();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

export interface WorkerOptions {
  /** Points processed at once by this worker, each in its own child process (default 1). */
  concurrency?: number;
  /** How long a job's lock lasts without renewal (default 30 s): a killed worker's jobs return after it. */
  lockDurationMs?: number;
  /** How often this worker looks for stalled jobs (default 15 s). */
  stalledIntervalMs?: number;
  signal?: AbortSignal;
  onEvent?: (event: WorkerEvent) => void;
}

export type WorkerEvent =
  | { type: "ready" }
  | { type: "active"; id: string }
  | { type: "completed"; id: string; status: string; elapsedMs: number }
  | { type: "failed"; id: string; error: string; attempt: number; final: boolean }
  | { type: "error"; error: string };

/** The sandboxed processor's file: processor.ts from source, processor.js from dist. */
export function processorFile(): string {
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return fileURLToPath(new URL(`./processor${ext}`, import.meta.url));
}

/**
 * Process sweep points from the queue until the signal aborts; then finish the jobs in hand
 * (a second abort is the caller's to turn into an exit) and close.
 */
export async function runQueueWorker(
  target: RedisTarget,
  options: WorkerOptions = {},
): Promise<void> {
  const lockDuration = options.lockDurationMs ?? 30_000;
  const worker = new Worker(QUEUE_NAME, processorFile(), {
    connection: connectionOf(target),
    concurrency: options.concurrency ?? 1,
    lockDuration,
    stalledInterval: options.stalledIntervalMs ?? Math.max(1000, Math.round(lockDuration / 2)),
    // a job stalls each time its worker dies: that is the queue's business, not the point's
    maxStalledCount: 100,
    autorun: false,
  });
  const emit = options.onEvent ?? (() => {});
  worker.on("active", (job) => emit({ type: "active", id: String(job.id) }));
  worker.on("completed", (job) => {
    const r = outcomeOfJob(job);
    emit({
      type: "completed",
      id: String(job.id),
      status: r?.status ?? "?",
      elapsedMs: r?.elapsedMs ?? 0,
    });
  });
  worker.on("failed", (job, err) => {
    if (!job) return;
    const attempts = job.opts.attempts ?? 1;
    emit({
      type: "failed",
      id: String(job.id),
      error: err.message,
      attempt: job.attemptsMade,
      final: job.attemptsMade >= attempts,
    });
  });
  worker.on("error", (err) => emit({ type: "error", error: err.message }));
  await worker.waitUntilReady();
  emit({ type: "ready" });
  const running = worker.run();
  await new Promise<void>((resolve) => {
    if (options.signal?.aborted) resolve();
    options.signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  await worker.close();
  await running.catch(() => {});
}

/** Where this process runs, for the records a queue worker returns. */
export function workerName(): string {
  return `${hostname()}:${process.pid}`;
}

/** Whether an error of this name is the point's own (not retried by the queue). */
export function isDeterministic(name: string): boolean {
  return DETERMINISTIC_ERRORS.includes(name);
}
