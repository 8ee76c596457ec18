/**
 * The pool's worker thread: applies the parent's kernel settings (so results match the
 * in-process run bit for bit), then runs one job at a time as the parent sends them.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { FromWorker, ToWorker } from "./protocol.ts";
import { applyRuntime, type RuntimeSnapshot } from "./runtime.ts";
import { callTask, jobError, type Task } from "./task.ts";

const port = parentPort;
if (!port) throw new Error("pool/worker.ts must run in a worker thread");
applyRuntime(workerData as RuntimeSnapshot);

let controller = new AbortController();

port.on("message", (message: ToWorker) => {
  if (message.type === "abort") {
    controller.abort();
    return;
  }
  if (controller.signal.aborted) controller = new AbortController();
  const task: Task<unknown, unknown> = { module: message.module, name: message.name };
  void callTask(task, message.input, { signal: controller.signal }).then(
    (value) => {
      try {
        port.postMessage({ type: "done", id: message.id, ok: true, value } satisfies FromWorker);
      } catch (err) {
        // e.g. a result holding a function: report it as this job's error
        port.postMessage({
          type: "done",
          id: message.id,
          ok: false,
          error: jobError(err),
        } satisfies FromWorker);
      }
    },
    (err: unknown) => {
      port.postMessage({
        type: "done",
        id: message.id,
        ok: false,
        error: jobError(err),
      } satisfies FromWorker);
    },
  );
});
port.postMessage({ type: "ready" } satisfies FromWorker);
