/**
 * A small pool of worker threads for independent jobs (a probe of one configuration, a
 * training run of one variant). Results come back in input order; a job that throws gives
 * `{ ok: false, error }` for itself alone. Each job must be seeded by its input only, so the
 * numbers do not depend on how many workers ran them (see pool.test.ts).
 */
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import type { FromWorker, ToWorker } from "./protocol.ts";
import { snapshotRuntime } from "./runtime.ts";
import { spawnPoolWorker } from "./spawn.ts";
import { callTask, type JobResult, jobError, type Task } from "./task.ts";

/** Default worker count: the cores Node may use, at most two (what the benchmarks measured). */
export function defaultJobs(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

/** `--jobs N`: a whole number from 1 to 64. */
export function parseJobs(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new RangeError(`--jobs must be a whole number from 1 to 64 (got '${text}')`);
  }
  return n;
}

export interface RunJobsOptions<O> {
  /** Worker threads (default defaultJobs()); 1 runs every job in this thread, no worker. */
  jobs?: number;
  /** Aborting stops the sweep: running jobs see their signal, unstarted ones fail "aborted". */
  signal?: AbortSignal;
  onStart?: (index: number) => void;
  onSettled?: (index: number, result: JobResult<O>) => void;
}

/** After an abort, running jobs get this long to return before their workers are terminated. */
const ABORT_GRACE_MS = 2000;

const abortedError = (): JobResult<never> => ({
  ok: false,
  error: { name: "AbortError", message: "aborted before it started" },
});

/** Run `task` on every input; one result per input, in input order. Never rejects for a job. */
export async function runJobs<I, O>(
  task: Task<I, O>,
  inputs: readonly I[],
  options: RunJobsOptions<O> = {},
): Promise<JobResult<O>[]> {
  const jobs = Math.min(options.jobs ?? defaultJobs(), inputs.length);
  if (jobs <= 1) return runInProcess(task, inputs, options);
  const pool = new WorkerPool(jobs);
  try {
    return await pool.run(task, inputs, options);
  } finally {
    await pool.close();
  }
}

async function runInProcess<I, O>(
  task: Task<I, O>,
  inputs: readonly I[],
  options: RunJobsOptions<O>,
): Promise<JobResult<O>[]> {
  const signal = options.signal ?? new AbortController().signal;
  const results: JobResult<O>[] = [];
  for (let i = 0; i < inputs.length; i++) {
    let result: JobResult<O>;
    if (signal.aborted) result = abortedError();
    else {
      options.onStart?.(i);
      try {
        result = { ok: true, value: await callTask(task, inputs[i]!, { signal }) };
      } catch (err) {
        result = { ok: false, error: jobError(err) };
      }
    }
    results.push(result);
    options.onSettled?.(i, result);
  }
  return results;
}

interface Slot {
  worker: Worker;
  /** Index of the job it runs, or -1 when idle. */
  job: number;
}

/**
 * Long-lived workers for several batches (the benchmark reuses one to time warm sweeps).
 * Call close() when done: workers are unref'd only while idle, so a forgotten pool does not
 * keep the process alive, but close() frees them at once.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly started: Promise<void>[] = [];
  private closed = false;
  private busy = false;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError("pool size must be >= 1");
    const runtime = snapshotRuntime();
    for (let i = 0; i < size; i++) this.slots.push({ worker: this.spawn(runtime), job: -1 });
  }

  private spawn(runtime = snapshotRuntime()): Worker {
    const worker = spawnPoolWorker(runtime);
    worker.unref();
    // an 'error' with no listener would be thrown in this thread; run() reports it per job
    worker.on("error", () => {});
    // listen from the start: a "ready" sent before ready() is called must not be missed
    const started = new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromWorker): void => {
        if (m.type !== "ready") return;
        worker.off("message", onMessage);
        worker.off("error", reject);
        worker.off("exit", onExit);
        resolve();
      };
      const onExit = (code: number): void =>
        reject(new Error(`a pool worker exited with code ${code} while starting`));
      worker.on("message", onMessage);
      worker.once("error", reject);
      worker.once("exit", onExit);
    });
    started.catch(() => {}); // only ready() reports it; a replacement worker's failure is the job's
    this.started.push(started);
    return worker;
  }

  /** Resolves once every worker has loaded (for timing the sweep apart from start-up). */
  async ready(): Promise<void> {
    await Promise.all(this.started.slice(0, this.size));
  }

  run<I, O>(
    task: Task<I, O>,
    inputs: readonly I[],
    options: Omit<RunJobsOptions<O>, "jobs"> = {},
  ): Promise<JobResult<O>[]> {
    if (this.closed) return Promise.reject(new Error("the worker pool is closed"));
    if (this.busy) return Promise.reject(new Error("the worker pool is already running a batch"));
    this.busy = true;
    const results = new Array<JobResult<O> | undefined>(inputs.length);
    let next = 0;
    let settled = 0;
    return new Promise<JobResult<O>[]>((resolve) => {
      const cleanups: (() => void)[] = [];
      let graceTimer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        if (graceTimer) clearTimeout(graceTimer);
        for (const c of cleanups) c();
        for (const slot of this.slots) slot.worker.unref();
        this.busy = false;
        resolve(results as JobResult<O>[]);
      };
      const settle = (index: number, result: JobResult<O>): void => {
        if (results[index] !== undefined) return;
        results[index] = result;
        settled++;
        options.onSettled?.(index, result);
        if (settled === inputs.length) finish();
      };
      const aborted = (): boolean => options.signal?.aborted === true;
      const feed = (slot: Slot): void => {
        slot.job = -1;
        if (aborted()) {
          while (next < inputs.length) settle(next++, abortedError());
          return;
        }
        if (next >= inputs.length) return;
        const index = next++;
        slot.job = index;
        options.onStart?.(index);
        const message: ToWorker = {
          type: "run",
          id: index,
          module: task.module,
          name: task.name,
          input: inputs[index],
        };
        try {
          slot.worker.postMessage(message);
        } catch (err) {
          // the input itself cannot be cloned: that job's error, the worker stays free
          settle(index, { ok: false, error: jobError(err) });
          feed(slot);
        }
      };
      const attach = (slot: Slot): void => {
        const onMessage = (m: FromWorker): void => {
          if (m.type !== "done" || m.id !== slot.job) return;
          const index = slot.job;
          settle(index, m.ok ? { ok: true, value: m.value as O } : { ok: false, error: m.error });
          feed(slot);
        };
        let crash: Error | undefined;
        const onError = (err: Error): void => {
          crash = err;
        };
        const onExit = (code: number): void => {
          const index = slot.job;
          detach();
          if (index >= 0) {
            const message = crash ? crash.message : `worker exited with code ${code}`;
            settle(index, { ok: false, error: { name: crash?.name ?? "Error", message } });
          }
          if (this.closed) return;
          // replace the dead worker: for the remaining jobs, or idle for the next batch
          slot.worker = this.spawn();
          slot.job = -1;
          if (settled === inputs.length || aborted()) return;
          slot.worker.ref();
          attach(slot);
          feed(slot);
        };
        const detach = (): void => {
          slot.worker.off("message", onMessage);
          slot.worker.off("error", onError);
          slot.worker.off("exit", onExit);
        };
        slot.worker.on("message", onMessage);
        slot.worker.on("error", onError);
        slot.worker.on("exit", onExit);
        cleanups.push(detach);
      };
      if (inputs.length === 0) {
        finish();
        return;
      }
      const onAbort = (): void => {
        for (const slot of this.slots) {
          if (slot.job >= 0) slot.worker.postMessage({ type: "abort" } satisfies ToWorker);
        }
        while (next < inputs.length) settle(next++, abortedError());
        // a job that ignores its signal is cut off: terminating makes it fail "exited"
        graceTimer = setTimeout(() => {
          for (const slot of this.slots) if (slot.job >= 0) void slot.worker.terminate();
        }, ABORT_GRACE_MS);
        graceTimer.unref();
      };
      if (options.signal) {
        const signal = options.signal;
        signal.addEventListener("abort", onAbort, { once: true });
        cleanups.push(() => signal.removeEventListener("abort", onAbort));
      }
      for (const slot of this.slots) {
        slot.worker.ref();
        attach(slot);
        feed(slot);
      }
    });
  }

  /** Terminate every worker (running jobs are cut off). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}
