/**
 * The training worker: owns one LabRun at a time and steps it in slices of a few
 * milliseconds, so the page's thread never computes and pause/step answer at once.
 */
import { gemmBackend } from "../core/kernels/gemm.ts";
import type { TrainRecord } from "../experiment/train/recorder.ts";
import { describeLabError, LabRun } from "./lab-run.ts";
import type { FromWorker, ProgressMessage, ToWorker } from "./protocol.ts";

interface WorkerScope {
  postMessage(message: FromWorker): void;
  addEventListener(type: "message", listener: (event: { data: ToWorker }) => void): void;
}
const scope = globalThis as unknown as WorkerScope;

/** Work between two progress messages (ms): short enough for pause to answer at once. */
const SLICE_MS = 35;
/** Activations are sampled at most this often while playing (ms). */
const ACTIVATIONS_EVERY_MS = 500;

let run: LabRun | null = null;
let runId = -1;
let playing = false;
let pendingSteps = 0;
let scheduled = false;
let lastRecord: TrainRecord | null = null;
let lastActivations = 0;
/** Steps/second window. */
let windowStart = 0;
let windowSteps = 0;
let rate: number | null = null;

function send(message: FromWorker): void {
  scope.postMessage(message);
}

function fail(id: number, err: unknown): void {
  const { message, known } = describeLabError(err);
  send({ type: "error", runId: id, message, known });
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setTimeout(pump, 0);
}

function progress(records: TrainRecord[], forceActivations: boolean): ProgressMessage {
  const r = run!;
  const now = performance.now();
  let activations = null;
  if (forceActivations || now - lastActivations >= ACTIVATIONS_EVERY_MS) {
    activations = r.activations(lastRecord);
    lastActivations = now;
  }
  return {
    type: "progress",
    runId,
    records,
    status: r.status(),
    playing,
    stepsPerSecond: rate,
    activations,
  };
}

function pump(): void {
  scheduled = false;
  const r = run;
  if (!r || (!playing && pendingSteps === 0)) return;
  try {
    const before = r.trainer.stepsDone;
    const max = playing ? Number.POSITIVE_INFINITY : pendingSteps;
    const records = r.run(max, SLICE_MS);
    const done = r.trainer.stepsDone - before;
    if (!playing) pendingSteps = Math.max(0, pendingSteps - done);
    if (records.length > 0) lastRecord = records[records.length - 1]!;
    const first = records[0]?.step === 1 ? records[0] : null;
    const now = performance.now();
    if (playing) {
      windowSteps += done;
      const elapsed = now - windowStart;
      // A first estimate after a quarter second, then one per second of playing.
      if (elapsed >= 1000 || (rate === null && elapsed >= 250)) {
        rate = (windowSteps * 1000) / elapsed;
      }
      if (elapsed >= 1000) {
        windowStart = now;
        windowSteps = 0;
      }
    }
    if (r.trainer.finished) {
      playing = false;
      pendingSteps = 0;
    }
    const stopping = !playing && pendingSteps === 0;
    const message = progress(records, stopping);
    if (first) message.trainTheory = r.trainTheory(first);
    send(message);
    if (!stopping) schedule();
  } catch (err) {
    playing = false;
    pendingSteps = 0;
    fail(runId, err);
  }
}

function init(id: number, input: ToWorker & { type: "init" }): void {
  runId = id;
  run = null;
  playing = false;
  pendingSteps = 0;
  lastRecord = null;
  rate = null;
  const start = performance.now();
  try {
    const r = new LabRun(input.input);
    run = r;
    send({
      type: "ready",
      runId: id,
      config: r.config,
      datasetDescription: r.dataset.description,
      probe: r.probe,
      status: r.status(),
      setupMs: performance.now() - start,
      gemm: gemmBackend(),
    });
  } catch (err) {
    fail(id, err);
  }
}

scope.addEventListener("message", (event) => {
  const msg = event.data;
  if (msg.type === "init") {
    init(msg.runId, msg);
    return;
  }
  if (msg.runId !== runId || !run) return;
  switch (msg.type) {
    case "play":
      if (!run.trainer.finished && !playing) {
        playing = true;
        windowStart = performance.now();
        windowSteps = 0;
        schedule();
      }
      break;
    case "pause":
      playing = false;
      pendingSteps = 0;
      send(progress([], true));
      break;
    case "step":
      if (!playing && !run.trainer.finished) {
        pendingSteps += Math.max(1, Math.floor(msg.count));
        schedule();
      }
      break;
  }
});
