/**
 * The training worker: owns one LabRun at a time and steps it in slices of a few
 * milliseconds, so the page's thread never computes and pause/step answer at once. Between
 * slices it evaluates the decision grid of 2-D datasets, also in slices, while training waits
 * (the grid must see one network).
 */
import { gemmBackend } from "../core/kernels/gemm.ts";
import type { GridEvaluation } from "../experiment/decision-grid.ts";
import { diagnoseTraining } from "../experiment/train/diagnose-training.ts";
import type { TrainRecord } from "../experiment/train/recorder.ts";
import { RunHistory } from "./history.ts";
import { type ActivationSample, describeLabError, LabRun } from "./lab-run.ts";
import type { DoctorFix, FromWorker, ProgressMessage, ToWorker } from "./protocol.ts";
import { enableWebWasmThreads } from "./wasm-threads.ts";

interface WorkerScope {
  postMessage(message: FromWorker): void;
  addEventListener(type: "message", listener: (event: { data: ToWorker }) => void): void;
}
const scope = globalThis as unknown as WorkerScope;

// a helper thread for the matrix products where the page is cross-origin isolated
enableWebWasmThreads();

/** Work between two progress messages (ms): short enough for pause to answer at once. */
const SLICE_MS = 35;
/**
 * While playing, progress goes to the page at most this often (ms), the records of several
 * slices together: every message costs the page's thread its decoding and bookkeeping.
 * Stopping, pausing and the end of a run are sent at once.
 */
const PROGRESS_EVERY_MS = 100;
/** Activations are sampled at most this often while playing (ms). */
const ACTIVATIONS_EVERY_MS = 500;
/** The decision grid is evaluated at most this often while playing (ms)... */
const BOUNDARY_EVERY_MS = 400;
/** ...and takes at most this share of the worker's time (its cost sets a longer spacing). */
const BOUNDARY_SHARE = 0.15;

let run: LabRun | null = null;
let runId = -1;
let playing = false;
/** The seq of the last play / pause / step command handled (echoed in progress messages). */
let commandSeq = 0;
let pendingSteps = 0;
let scheduled = false;
let lastRecord: TrainRecord | null = null;
let lastActivations = 0;
/** The latest activation sample, resent while the layers' buffers hold a grid's pass. */
let lastSample: ActivationSample[] | null = null;
/** True when a grid evaluation ran after the latest training step (buffers are the grid's). */
let gridSinceStep = false;
/** The grid being evaluated (training waits for it), and the step it belongs to. */
let gridJob: GridEvaluation | null = null;
let gridJobStep = -1;
/** Step of the latest grid started, when it started, and the spacing its cost allows. */
let boundaryStep = -1;
let lastBoundary = 0;
let boundaryEvery = BOUNDARY_EVERY_MS;
/** Steps/second window. */
let windowStart = 0;
let windowSteps = 0;
let rate: number | null = null;
/** The recorded steps (thinned), for doctor's diagnosis when the run stops. */
let history = new RunHistory(600);
/** The step the last diagnosis saw (one diagnosis per stop). */
let diagnosedStep = -1;
/** Records not yet sent (while playing, slices are sent together), and when we last sent. */
let outbox: TrainRecord[] = [];
let lastProgress = 0;
/** The mean-field shape of step 1, waiting to go out with its record. */
let pendingTheory: ProgressMessage["trainTheory"];

/** Doctor's diagnosis of the run so far: null when healthy. */
function doctorFix(r: LabRun): DoctorFix | null {
  const step = r.trainer.stepsDone;
  if (history.records.length === 0) return null;
  diagnosedStep = step;
  const d = diagnoseTraining(r.config, history.records, { explosion: r.trainer.explosion });
  const exploded = r.trainer.explosion !== null;
  if (d.healthy && !exploded) return null;
  const finding = d.findings.find((f) => f.remedies.length > 0) ?? d.findings[0] ?? null;
  const top = finding?.remedies[0] ?? null;
  return {
    trigger: exploded ? "exploded" : "problem",
    headline: d.headline,
    finding: finding?.id ?? null,
    remedy: top
      ? {
          id: top.id,
          label: top.label,
          why: top.why,
          configChange: { ...top.configChange },
          ...(top.trainChange ? { trainChange: { ...top.trainChange } } : {}),
        }
      : null,
    step,
  };
}

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

/** A progress message with every record not sent yet. */
function progress(forceActivations: boolean): ProgressMessage {
  const r = run!;
  const now = performance.now();
  const records = outbox;
  outbox = [];
  lastProgress = now;
  let activations = null;
  if (forceActivations || now - lastActivations >= ACTIVATIONS_EVERY_MS) {
    // After a grid evaluation the buffers hold grid points, not training data.
    activations = gridSinceStep && lastSample ? lastSample : r.activations(lastRecord);
    lastSample = activations;
    lastActivations = now;
  }
  const message: ProgressMessage = {
    type: "progress",
    runId,
    records,
    status: r.status(),
    playing,
    seq: commandSeq,
    stepsPerSecond: rate,
    activations,
  };
  if (pendingTheory !== undefined) {
    message.trainTheory = pendingTheory;
    pendingTheory = undefined;
  }
  return message;
}

/** Start evaluating the decision grid of the current step, if it is due (or `now`). */
function maybeStartGrid(r: LabRun, force: boolean): void {
  const step = r.trainer.stepsDone;
  if (!r.boundaryBounds || gridJob || step === boundaryStep) return;
  if (!force && performance.now() - lastBoundary < boundaryEvery) return;
  // Sample activations first: the grid's forward passes overwrite the layers' buffers.
  if (!gridSinceStep) lastSample = r.activations(lastRecord);
  gridJob = r.startDecisionGrid();
  gridJobStep = step;
  boundaryStep = step;
  lastBoundary = performance.now();
  gridSinceStep = true;
}

/** One slice of the grid evaluation; sends the grid when it is done. */
function advanceGrid(job: GridEvaluation): void {
  if (!job.advance(SLICE_MS)) return;
  gridJob = null;
  boundaryEvery = Math.max(BOUNDARY_EVERY_MS, job.elapsedMs / BOUNDARY_SHARE);
  const message = progress(false);
  message.boundary = { step: gridJobStep, grid: job.result() };
  send(message);
}

function pump(): void {
  scheduled = false;
  const r = run;
  if (!r || (!playing && pendingSteps === 0 && !gridJob)) return;
  try {
    if (gridJob) {
      advanceGrid(gridJob);
      if (gridJob || playing || pendingSteps > 0) schedule();
      return;
    }
    const before = r.trainer.stepsDone;
    const max = playing ? Number.POSITIVE_INFINITY : pendingSteps;
    const records = r.run(max, SLICE_MS);
    const done = r.trainer.stepsDone - before;
    if (done > 0) gridSinceStep = false;
    if (!playing) pendingSteps = Math.max(0, pendingSteps - done);
    if (records.length > 0) {
      lastRecord = records[records.length - 1]!;
      history.add(records);
      outbox.push(...records);
    }
    const first = records[0]?.step === 1 ? records[0] : null;
    if (first) pendingTheory = r.trainTheory(first);
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
    if (stopping || now - lastProgress >= PROGRESS_EVERY_MS) {
      const message = progress(stopping);
      if (stopping && diagnosedStep !== r.trainer.stepsDone) message.fix = doctorFix(r);
      send(message);
    }
    maybeStartGrid(r, stopping);
    if (!stopping || gridJob) schedule();
  } catch (err) {
    playing = false;
    pendingSteps = 0;
    gridJob = null;
    fail(runId, err);
  }
}

function init(id: number, input: ToWorker & { type: "init" }): void {
  runId = id;
  run = null;
  playing = false;
  pendingSteps = 0;
  lastRecord = null;
  lastSample = null;
  gridSinceStep = false;
  gridJob = null;
  boundaryStep = -1;
  lastBoundary = 0;
  boundaryEvery = BOUNDARY_EVERY_MS;
  rate = null;
  history = new RunHistory(600);
  diagnosedStep = -1;
  outbox = [];
  lastProgress = 0;
  pendingTheory = undefined;
  const start = performance.now();
  try {
    const r = new LabRun(input.input);
    run = r;
    history.dtype = r.config.dtype;
    send({
      type: "ready",
      runId: id,
      config: r.config,
      datasetDescription: r.dataset.description,
      probe: r.probe,
      status: r.status(),
      setupMs: performance.now() - start,
      gemm: gemmBackend(),
      boundaryPoints: r.boundaryPoints(),
    });
    // The histograms of the untrained network at once, its regions in slices.
    send(progress(true));
    maybeStartGrid(r, true);
    if (gridJob) schedule();
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
  commandSeq = msg.seq;
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
      {
        const message = progress(true);
        if (diagnosedStep !== run.trainer.stepsDone) message.fix = doctorFix(run);
        send(message);
      }
      // The regions of the step it stopped at.
      maybeStartGrid(run, true);
      if (gridJob) schedule();
      break;
    case "step":
      if (!playing && !run.trainer.finished) {
        pendingSteps += Math.max(1, Math.floor(msg.count));
        schedule();
      }
      break;
  }
});
