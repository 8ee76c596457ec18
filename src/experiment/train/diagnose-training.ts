import { diagnose } from "../../diagnose/diagnose.ts";
import type { Diagnosis } from "../../diagnose/types.ts";
import type { TrainConfig } from "../config.ts";
import { runDiagnosisInput } from "../run-diagnosis.ts";
import type { TrainRecord, TrainSummary } from "./recorder.ts";

/** Diagnose a training run from its recorded steps (the table of rules in src/diagnose). */
export function diagnoseTraining(
  config: TrainConfig,
  records: readonly TrainRecord[],
  summary: Pick<TrainSummary, "explosion"> | null,
): Diagnosis {
  return diagnose(runDiagnosisInput(config, records, summary).input);
}
