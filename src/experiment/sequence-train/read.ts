import { ARCH_NAMES } from "../arch-options.ts";
import { readRunDir } from "../train/run-dir.ts";
import type { SequenceRecord, SequenceRunConfig, SequenceSummary } from "./types.ts";

/** A config.json written by `train --arch` (its `arch` names a recurrent net or a transformer). */
export function isSequenceRunConfig(config: unknown): config is SequenceRunConfig {
  if (typeof config !== "object" || config === null) return false;
  const arch = (config as { arch?: unknown }).arch;
  return (
    typeof arch === "string" &&
    arch !== "mlp" &&
    (ARCH_NAMES as readonly string[]).includes(arch) &&
    typeof (config as { task?: unknown }).task === "string"
  );
}

export interface SequenceRunData {
  config: SequenceRunConfig;
  records: SequenceRecord[];
  summary: SequenceSummary | null;
}

/**
 * A sequence run directory read back (readRunDir's rules: a torn last line skipped, a stale
 * "running" is "interrupted"), or null when config.json is not a sequence run's.
 */
export function readSequenceRun(dir: string): SequenceRunData | null {
  const run = readRunDir(dir);
  const config: unknown = run.config;
  if (!isSequenceRunConfig(config)) return null;
  // readRunDir types lines as the MLP's records; these directories hold SequenceRecords
  const records = run.records as unknown as SequenceRecord[];
  const summary = run.summary as unknown as SequenceSummary | null;
  return { config, records, summary };
}
