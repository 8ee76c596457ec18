import { diagnose } from "../../diagnose/diagnose.ts";
import type { Diagnosis } from "../../diagnose/types.ts";
import type { TrainConfig } from "../config.ts";
import type { TrainRecord, TrainSummary } from "./recorder.ts";

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
