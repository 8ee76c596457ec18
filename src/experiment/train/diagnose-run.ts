import { join } from "node:path";
import type { Diagnosis } from "../../diagnose/types.ts";
import { toJson } from "../json-numbers.ts";
import { diagnoseTraining } from "./diagnose-training.ts";
import { RUN_FILES, readRunDir, writeFileAtomic } from "./run-dir.ts";

export { diagnoseTraining };

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
