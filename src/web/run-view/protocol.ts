import type { RowChoice } from "./figure-data.ts";
import type { ModuleGroup, ModuleInfo } from "./modules.ts";

/** Messages between the Run view (page) and its worker (run-worker.ts). */

/** Where the run comes from: the server's fixed run route, or files the user dropped. */
export type RunSource =
  | { kind: "url" /** Absolute URL of the run route, ending in "/". */; base: string }
  | { kind: "files"; metrics: File; config: File | null; summary: File | null };

export type RunFigureRequest =
  | { kind: "loss" | "gradNorm"; width: number }
  | { kind: "heatmap" | "updates"; width: number; rows: RowChoice }
  | { kind: "histograms"; width: number; module: number; hist: "grad" | "act" };

export type ToRunWorker =
  | { type: "load"; loadId: number; source: RunSource }
  | { type: "figure"; loadId: number; id: number; request: RunFigureRequest }
  | { type: "diagnose"; loadId: number };

export interface RunOverview {
  /** The run directory's name (served) or the metrics file's name. */
  name: string;
  /** As `gradscope diagnose` says it: "gradscope train, depth 10, ..." / "imported from ...". */
  origin: string;
  records: number;
  firstStep: number | null;
  lastStep: number | null;
  /** summary.json's status, when there is one. */
  status: string | null;
  modules: ModuleInfo[];
  groups: ModuleGroup[];
  hasHist: boolean;
  hasUpdateRatio: boolean;
  hasGradNorm: boolean;
  lossSpikes: number;
  gradSpikes: number;
  firstNonFiniteStep: number | null;
  /** Lines skipped because they were not records (a torn last line is not counted). */
  badLines: number;
  firstBadLine: string | null;
  /** Which files were read. */
  files: string[];
  /** Time to read and parse everything, in the worker. */
  parseMs: number;
}

export interface RunDiagnosisMessage {
  verdict: string;
  verdictMessage: string;
  lines: string[];
  ms: number;
}

export type FromRunWorker =
  | { type: "progress"; loadId: number; records: number; bytes: number; total: number | null }
  | { type: "loaded"; loadId: number; overview: RunOverview }
  | { type: "failed"; loadId: number; message: string }
  | { type: "diagnosis"; loadId: number; result: RunDiagnosisMessage }
  | { type: "figure"; id: number; svg: string; ms: number }
  | { type: "figureError"; id: number; message: string };
