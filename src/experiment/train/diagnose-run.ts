import { join } from "node:path";
import { diagnose } from "../../diagnose/diagnose.ts";
import type { Diagnosis } from "../../diagnose/types.ts";
import type { TrainConfig } from "../config.ts";
import { toJson } from "../json-numbers.ts";
import type { TrainRecord, TrainSummary } from "./recorder.ts";
import { RUN_FILES, readRunDir, writeFileAtomic } from "./run-dir.ts";

/** Diagnose a training run from its recorded steps (the table of rules in src/diagnose). */
export function diagnoseTraining(
  config: TrainConfig,
  records: readonly TrainRecord[],
  summary: Pick<TrainSummary, "explosion"> | null,
): Diagnosis {
  return diagnose({
    config,
    snapshots: records.map((r) => ({
      step: r.step,
      layers: r.layers,
      loss: r.loss,
      gradNorm: r.gradNorm,
    })),
    lossHistory: records.map((r) => ({ step: r.step, loss: r.loss })),
    training: {
      ...(config.lr !== null ? { lr: config.lr } : {}),
      clip: config.clip,
      clipThreshold: config.clipThreshold,
      optimizer: config.optimizer,
    },
    explosion: summary?.explosion ?? null,
  });
}

/**
 * Diagnose the run in `dir` and store the result as `diagnosis` in its summary.json
 * (replaced atomically, so the directory stays readable if this is interrupted).
 */
export function diagnoseRunDir(dir: string): Diagnosis | null {
  const run = readRunDir(dir);
  if (!run.config || !run.summary) return null;
  const diagnosis = diagnoseTraining(run.config, run.records, run.summary);
  const path = join(dir, RUN_FILES.summary);
  writeFileAtomic(
    path,
    `${toJson({ ...run.summary, verdict: diagnosis.verdict, verdictMessage: diagnosis.verdictMessage, diagnosis }, 2)}\n`,
  );
  return diagnosis;
}
