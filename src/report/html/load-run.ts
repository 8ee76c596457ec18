import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../experiment/config.ts";
import { FileReadError, readSmallFile } from "../../experiment/file-read.ts";
import { type ImportedRunConfig, isImportedConfig } from "../../experiment/run-diagnosis.ts";
import type { TrainRecord, TrainSummary } from "../../experiment/train/recorder.ts";
import {
  MAX_RUN_JSON_BYTES,
  nonFiniteReviver,
  RUN_FILES,
  readRunDir,
} from "../../experiment/train/run-dir.ts";
import type { ResolvedTrainConfig } from "../../experiment/train/train-config.ts";
import { depthOf } from "../figures-for/train.ts";

/**
 * Reading a run directory for a report (Node-only), with one clear sentence for every way it
 * can be unusable: not there, not a directory, summary.json or config.json missing or not
 * JSON or not the right shape, a metrics.jsonl line that is not JSON. A last metrics line cut
 * short by a killed process is skipped (as readRunDir does) and noted.
 */

/** A run directory that cannot be reported on; the message is one line for the user. */
export class RunDirError extends Error {
  override readonly name = "RunDirError";
}

export interface LoadedRun {
  /** Ours, or a run recorded from the user's own model (python/gradscope_hook.py). */
  config: ResolvedTrainConfig | ImportedRunConfig;
  records: TrainRecord[];
  summary: TrainSummary;
  /** Plain-text notes for the report (e.g. the skipped torn line). */
  notes: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function readJson(dir: string, file: string): unknown {
  const path = join(dir, file);
  if (!existsSync(path)) {
    throw new RunDirError(
      `${dir} has no ${file}: not a gradscope run directory (gradscope train --out DIR writes one)`,
    );
  }
  let text: string;
  try {
    text = readSmallFile(path, file, MAX_RUN_JSON_BYTES);
  } catch (err) {
    if (err instanceof FileReadError) throw new RunDirError(err.message);
    throw new RunDirError(
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  try {
    return JSON.parse(text, nonFiniteReviver);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new RunDirError(`${path} is not valid JSON (${why})`);
  }
}

function checkConfig(
  path: string,
  c: unknown,
): asserts c is ResolvedTrainConfig | ImportedRunConfig {
  if (!isObject(c)) throw new RunDirError(`${path} must hold a JSON object (the run's config)`);
  if (isImportedConfig(c)) {
    c.modules.forEach((m, i) => {
      if (!isObject(m) || m["layer"] !== i + 1 || typeof m["path"] !== "string") {
        throw new RunDirError(`${path}: module ${i + 1} must have layer ${i + 1} and a path`);
      }
    });
    return;
  }
  for (const key of ["depth", "width", "steps"]) {
    const v = c[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      throw new RunDirError(
        `${path}: '${key}' must be a positive integer (got ${JSON.stringify(v)})`,
      );
    }
  }
  for (const key of ["activation", "init", "dataset", "optimizer"]) {
    if (typeof c[key] !== "string") {
      throw new RunDirError(`${path}: '${key}' must be a string (got ${JSON.stringify(c[key])})`);
    }
  }
}

function checkSummary(path: string, s: unknown): asserts s is TrainSummary {
  if (!isObject(s)) throw new RunDirError(`${path} must hold a JSON object (the run's summary)`);
  if (typeof s["status"] !== "string") {
    throw new RunDirError(
      `${path}: 'status' must be a string (got ${JSON.stringify(s["status"])})`,
    );
  }
  if (typeof s["message"] !== "string") {
    throw new RunDirError(
      `${path}: 'message' must be a string (got ${JSON.stringify(s["message"])})`,
    );
  }
  // an imported run does not know its planned step count: steps may be null
  for (const key of ["steps", "stepsDone", "recordedSteps"]) {
    if (typeof s[key] !== "number" && !(key === "steps" && s[key] === null)) {
      throw new RunDirError(`${path}: '${key}' must be a number (got ${JSON.stringify(s[key])})`);
    }
  }
}

function checkRecords(path: string, records: readonly unknown[], depth: number): void {
  records.forEach((r, i) => {
    const where = `${path}, record ${i + 1}`;
    if (!isObject(r) || typeof r["step"] !== "number" || !Array.isArray(r["layers"])) {
      throw new RunDirError(`${where}: expected {step, layers: [...], ...}`);
    }
    const layers = r["layers"] as unknown[];
    if (layers.length !== depth) {
      throw new RunDirError(
        `${where} (step ${r["step"]}) has ${layers.length} layers but config.json says depth ${depth}`,
      );
    }
    layers.forEach((m, l) => {
      if (!isObject(m) || m["layer"] !== l + 1 || typeof m["gradWeightNorm"] !== "number") {
        throw new RunDirError(`${where} (step ${r["step"]}): layer ${l + 1} is malformed`);
      }
    });
  });
}

/** Read and check a run directory; throws RunDirError with a one-line reason. */
export function loadRunForReport(dir: string): LoadedRun {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RunDirError(
      code === "ENOENT" ? `${dir} does not exist` : `cannot read ${dir}: ${code ?? String(err)}`,
    );
  }
  if (!isDir) {
    throw new RunDirError(
      `${dir} is not a directory: give the run directory that holds summary.json`,
    );
  }
  const summary = readJson(dir, RUN_FILES.summary);
  checkSummary(join(dir, RUN_FILES.summary), summary);
  const config = readJson(dir, RUN_FILES.config);
  checkConfig(join(dir, RUN_FILES.config), config);
  const metricsPath = join(dir, RUN_FILES.metrics);
  const notes: string[] = [];
  let records: TrainRecord[] = [];
  if (!existsSync(metricsPath)) {
    if (summary.recordedSteps > 0) {
      throw new RunDirError(
        `${dir} has no ${RUN_FILES.metrics} although summary.json counts ${summary.recordedSteps} recorded steps`,
      );
    }
    notes.push(`${RUN_FILES.metrics} is missing: the run recorded no step.`);
  } else {
    let run: ReturnType<typeof readRunDir>;
    try {
      run = readRunDir(dir);
    } catch (err) {
      if (err instanceof ConfigError) throw new RunDirError(err.message); // not a regular file
      // readRunDir names the file and line: "<path> line N: SyntaxError: ..."
      const why = err instanceof Error ? err.message : String(err);
      throw new RunDirError(
        `${why.replace(/^Error: /, "")} (a corrupt line; only a cut-short last line is tolerated)`,
      );
    }
    records = run.records;
    if (run.tornLastLine) {
      notes.push(
        `The last line of ${RUN_FILES.metrics} was cut short (the run was killed while writing it) and is left out.`,
      );
    }
    if (run.thinned !== null) {
      notes.push(
        `${RUN_FILES.metrics} holds ${run.thinned.total} recorded steps; to keep memory bounded the report uses every ${run.thinned.stride}th of them, the last and the first with NaN/Inf (${run.thinned.kept} in all).`,
      );
    }
    checkRecords(metricsPath, records, depthOf(config));
    // The summary is rewritten after the lines it counts are appended, so fewer lines than it
    // counts means lost data (one fewer is a write cut short by a full disk or a kill).
    if (run.recordCount < summary.recordedSteps - 1) {
      throw new RunDirError(
        `${metricsPath} holds ${run.recordCount} recorded steps but summary.json counts ${summary.recordedSteps}: the file was truncated or replaced`,
      );
    }
  }
  return { config, records, summary, notes };
}
