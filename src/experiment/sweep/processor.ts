/**
 * The queue worker's sandboxed processor: BullMQ forks a child process that imports this
 * module and calls its default export for each job, so a point that crashes (an abort, an
 * out-of-memory kill) ends this child, fails that job (retried with backoff), and leaves
 * the worker running. The child sets up the kernels as the CLI does (src/cli/run.ts), so a
 * point gives the same numbers here as in `gradscope sweep` on this machine.
 */
import { hostname } from "node:os";
import { loadNativeKernels } from "../../native/native-kernels.ts";
import { setupNodeWasm } from "../../wasm-threads/node.ts";
import { DETERMINISTIC_ERRORS, failedOutcome, type PointJob, sweepPointJob } from "./point.ts";
import type { QueueResult } from "./queue.ts";

loadNativeKernels();
setupNodeWasm();

// The worker that forked this child was killed (-9): its jobs go back to the queue when
// their locks expire, so the point in hand is abandoned rather than computed for no one.
if (typeof process.send === "function") process.once("disconnect", () => process.exit(1));

interface SandboxedJobLike {
  data: PointJob;
}

export default async function processSweepPoint(job: SandboxedJobLike): Promise<QueueResult> {
  const ranOn = `${hostname()}:${process.ppid}`;
  const controller = new AbortController();
  try {
    const outcome = await sweepPointJob(job.data, { signal: controller.signal });
    return { ...outcome, ranOn };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    // a bad config fails the same way every time: record it rather than retry it
    if (DETERMINISTIC_ERRORS.includes(e.name)) return { ...failedOutcome(e.message), ranOn };
    throw e;
  }
}
