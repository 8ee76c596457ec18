import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadDatasetAsync } from "../../experiment/datasets/index.ts";
import { isImportedConfig } from "../../experiment/run-diagnosis.ts";
import { datasetOptions } from "../../experiment/train/train-config.ts";
import type { ActivationLayer } from "../figures/activation-histograms.ts";
import { initialActivationLayers, inputMeanSquare } from "../figures-for/activations.ts";
import type { NamedFigure } from "../figures-for/common.ts";
import { trainFigures } from "../figures-for/train.ts";
import { nodeDocument } from "../node-dom.ts";
import { type FigureFiles, renderFigureFiles } from "../render-node.ts";
import { type LoadedRun, loadRunForReport, RunDirError } from "./load-run.ts";
import { renderRunReport } from "./run-report.ts";

/**
 * `gradscope report RUN_DIR` (Node-only): read the run directory, rebuild the network at
 * initialization for the activation histograms (a run directory stores no raw activations;
 * config.json's seed gives back the same initial weights and first minibatch, so the
 * histograms are those of step 1; skipped with a note when the data cannot be loaded, e.g. a
 * moved CSV), draw the figures, write them as RUN_DIR/figures/NAME.svg and .png, and write
 * RUN_DIR/report.html with every figure inlined as SVG.
 */

export interface ReportProgress {
  /** What is being done, e.g. "figures/loss-curves.png". */
  stage: string;
  /** Stages finished so far and in all. */
  done: number;
  total: number;
}

export interface WriteReportOptions {
  onProgress?: (p: ReportProgress) => void;
  /** Rebuild the initial network for the activation histograms (default true). */
  activations?: boolean;
  /** Written into the footer, e.g. "gradscope 0.1.0". */
  generator?: string;
}

export interface WrittenReport {
  /** Path of report.html. */
  report: string;
  figures: (FigureFiles & { name: string })[];
  notes: string[];
  /** Milliseconds per phase and in all. */
  timings: {
    load: number;
    activations: number;
    figures: number;
    files: number;
    html: number;
    total: number;
  };
}

async function initialActivations(
  run: LoadedRun,
): Promise<{ layers: ActivationLayer[] | null; inputMeanSq: number; note: string | null }> {
  const config = run.config;
  if (run.records.length === 0 || isImportedConfig(config)) {
    return { layers: null, inputMeanSq: 1, note: null };
  }
  try {
    const dataset = await loadDatasetAsync(config.dataset, datasetOptions(config));
    return {
      layers: initialActivationLayers(config, dataset),
      inputMeanSq: inputMeanSquare(dataset),
      note: null,
    };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      layers: null,
      inputMeanSq: 1,
      note: `Activation histograms left out: rebuilding the initial network needs the run's data, which could not be loaded (${why}).`,
    };
  }
}

function why(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
}

export async function writeRunReport(
  dir: string,
  options: WriteReportOptions = {},
): Promise<WrittenReport> {
  const now = () => globalThis.performance.now();
  const t0 = now();
  const progress = (stage: string, done: number, total: number) =>
    options.onProgress?.({ stage, done, total });
  progress("reading the run directory", 0, 1);
  const run = loadRunForReport(dir);
  const t1 = now();
  const notes = [...run.notes];
  let activations: ActivationLayer[] | null = null;
  let inputMeanSq = 1;
  if (isImportedConfig(run.config)) {
    notes.push(
      "An imported run: its model is not one gradscope can rebuild, so the figures come from the recorded metrics alone (no activation histograms at initialization).",
    );
  } else if (options.activations !== false) {
    progress("rebuilding the network at initialization", 0, 1);
    const a = await initialActivations(run);
    activations = a.layers;
    inputMeanSq = a.inputMeanSq;
    if (a.note) notes.push(a.note);
  }
  const t2 = now();
  progress("drawing the figures", 0, 1);
  const figures: NamedFigure[] = trainFigures(run, {
    document: nodeDocument(),
    activations,
    inputMeanSq,
  });
  const t3 = now();
  const figureDir = join(dir, "figures");
  const written: (FigureFiles & { name: string })[] = [];
  const total = figures.length + 1;
  for (const [i, f] of figures.entries()) {
    progress(`figures/${f.name}.png`, i, total);
    try {
      written.push({ name: f.name, ...(await renderFigureFiles(f.svg, figureDir, f.name)) });
    } catch (err) {
      throw new RunDirError(`cannot write ${join(figureDir, f.name)}.svg/.png: ${why(err)}`);
    }
  }
  const t4 = now();
  progress("report.html", figures.length, total);
  const html = renderRunReport({
    dir,
    config: run.config,
    records: run.records,
    summary: run.summary,
    figures,
    notes,
    files: figures.flatMap((f) => [`figures/${f.name}.svg`, `figures/${f.name}.png`]),
    ...(options.generator ? { generator: options.generator } : {}),
  });
  const report = join(dir, "report.html");
  const tmp = `${report}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, html);
    renameSync(tmp, report);
  } catch (err) {
    throw new RunDirError(`cannot write ${report}: ${why(err)}`);
  }
  const t5 = now();
  progress("done", total, total);
  return {
    report,
    figures: written,
    notes,
    timings: {
      load: t1 - t0,
      activations: t2 - t1,
      figures: t3 - t2,
      files: t4 - t3,
      html: t5 - t4,
      total: t5 - t0,
    },
  };
}
