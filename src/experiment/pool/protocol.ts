import type { JobError } from "./task.ts";

/** Messages from the pool to a worker. */
export type ToWorker =
  | { type: "run"; id: number; module: string; name: string; input: unknown }
  | { type: "abort" };

/** Messages from a worker to the pool. */
export type FromWorker =
  | { type: "ready" }
  | { type: "done"; id: number; ok: true; value: unknown }
  | { type: "done"; id: number; ok: false; error: JobError };
