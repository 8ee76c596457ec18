import type { LayerMetrics } from "../probe/layer-metrics.ts";
import { diagnose } from "./diagnose.ts";
import type { Diagnosis, DiagnosisConfig } from "./types.ts";

/**
 * The parts of a probe result the diagnosis reads. experiment's ProbeResult (runProbe) has
 * this shape; it is spelled out here so diagnose/ does not depend on experiment/.
 */
export interface ProbeLike {
  config: DiagnosisConfig;
  layers: LayerMetrics[];
  summary?: { loss?: number };
}

/** Diagnose one probe (a single snapshot at step 0). */
export function diagnoseProbe(result: ProbeLike): Diagnosis {
  const loss = result.summary?.loss;
  return diagnose({
    config: result.config,
    snapshots: [{ step: 0, layers: result.layers, ...(loss !== undefined ? { loss } : {}) }],
  });
}
