import { formatFindings, formatNotMeasurable } from "../../cli/format/findings.ts";
import type { Diagnosis } from "../../diagnose/types.ts";
import { diagnoseRunContents, type ImportedRunConfig } from "../../experiment/run-diagnosis.ts";
import type { AnyRunConfig, RunStore, RunSummary } from "./run-store.ts";

/**
 * The Run view's verdict and findings: `diagnoseRunContents`, the function behind
 * `gradscope diagnose`, over every record, written with the CLI's own formatter, so the page
 * and the terminal say the same words. DOM-free.
 */

/** Without config.json the modules are judged as an imported run's (no mean-field claims). */
export function configForDiagnosis(store: RunStore): AnyRunConfig {
  if (store.config !== null) return store.config;
  const fallback: ImportedRunConfig = {
    source: "metrics.jsonl",
    modules: store.modules.map((m) => ({
      layer: m.layer,
      path: m.name,
      type: m.type ?? "unknown",
    })),
  };
  return fallback;
}

export interface RunDiagnosisText {
  verdict: string;
  verdictMessage: string;
  /** The lines `gradscope diagnose` prints after its header: findings and what is not measurable. */
  lines: string[];
  diagnosis: Diagnosis;
}

export function diagnoseStore(store: RunStore, summary: RunSummary | null): RunDiagnosisText {
  const { diagnosis } = diagnoseRunContents(configForDiagnosis(store), store.records, {
    explosion: summary?.explosion ?? null,
  });
  const lines = formatFindings(diagnosis);
  lines.push(...formatNotMeasurable(diagnosis));
  return {
    verdict: diagnosis.verdict,
    verdictMessage: diagnosis.verdictMessage,
    lines,
    diagnosis,
  };
}
