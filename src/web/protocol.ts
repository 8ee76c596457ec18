import type { GemmBackend } from "../core/kernels/gemm.ts";
import type { DecisionGrid } from "../experiment/decision-grid.ts";
import type { TrainRecord } from "../experiment/train/recorder.ts";
import type { ResolvedTrainConfig } from "../experiment/train/train-config.ts";
import type { GradientTheory } from "../report/figures-for/theory.ts";
import type { LabInput } from "./lab-options.ts";
import type { ActivationSample, BoundaryPoint, ProbeView, RunStatus } from "./lab-run.ts";

/**
 * Messages between the page and the training worker (worker.ts). Every message after `init`
 * carries the run id it belongs to, so answers about an abandoned run are ignored; commands
 * carry an increasing `seq`, echoed in progress messages, so stale answers are recognized.
 */
export type ToWorker =
  /** Build a run (probe at init + trainer); answers "ready" or "error". */
  | { type: "init"; runId: number; input: LabInput }
  /** Train continuously until paused or finished. */
  | { type: "play"; runId: number; seq: number }
  | { type: "pause"; runId: number; seq: number }
  /** Take `count` steps, then stop. */
  | { type: "step"; runId: number; seq: number; count: number };

export interface ReadyMessage {
  type: "ready";
  runId: number;
  config: ResolvedTrainConfig;
  datasetDescription: string;
  probe: ProbeView;
  status: RunStatus;
  /** Milliseconds the probe and setup took. */
  setupMs: number;
  /** The matrix kernel the worker runs on (WebAssembly SIMD unless the browser lacks it). */
  gemm: GemmBackend;
  /**
   * Training points of a 2-D classification set (null: no decision boundary to draw). The
   * untrained network's grid follows in a progress message.
   */
  boundaryPoints: BoundaryPoint[] | null;
}

export interface ProgressMessage {
  type: "progress";
  runId: number;
  /** Recorded steps since the last message (in order; while playing, about 100 ms of them). */
  records: TrainRecord[];
  status: RunStatus;
  /** True while the worker keeps stepping on its own. */
  playing: boolean;
  /**
   * The `seq` of the last play / pause / step command the worker had handled when it sent
   * this. A message sent before the page's latest command (e.g. a decision grid finishing
   * just as Play is pressed) says `playing: false` about a state the page has already left.
   */
  seq: number;
  /** Steps per second over the last second of playing (null before it is known). */
  stepsPerSecond: number | null;
  /** Activations of a few layers (sent at most twice a second, and when stopping). */
  activations: ActivationSample[] | null;
  /**
   * The decision grid after step `step`: at init, at most every few hundred ms while
   * playing (and at most 15% of the worker's time), and when stopping. Such a message also
   * carries the records not sent yet.
   */
  boundary?: { step: number; grid: DecisionGrid };
  /** Once, with the record of step 1: the mean-field shape of the run's gradients at init. */
  trainTheory?: GradientTheory | null;
  /**
   * The diagnosis of the run so far (doctor's rules), sent when the run explodes, finishes or
   * is paused with a problem; null when it is healthy.
   */
  fix?: DoctorFix | null;
}

/** What doctor says of a run, with the remedy it ranks first for the main finding. */
export interface DoctorFix {
  /** "exploded": the run blew up; "problem": a finding of warning or critical severity. */
  trigger: "exploded" | "problem";
  headline: string;
  finding: string | null;
  remedy: {
    id: string;
    label: string;
    why: string;
    configChange: Record<string, unknown>;
    trainChange?: { lr?: number; lrScale?: number; clip?: string; clipThreshold?: number };
  } | null;
  /** The step the diagnosis saw last. */
  step: number;
}

export interface ErrorMessage {
  type: "error";
  runId: number;
  message: string;
  /** False for an unexpected failure (a bug), true for a configuration problem. */
  known: boolean;
}

export type FromWorker = ReadyMessage | ProgressMessage | ErrorMessage;
