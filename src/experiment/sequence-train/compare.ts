import type { ArchName } from "../arch-options.ts";
import type { Variant } from "../compare.ts";
import { ConfigError } from "../config.ts";
import { resolveSequenceRun } from "./options.ts";
import { MemorySequenceSink, type SequenceRunSink, SequenceRunWriter } from "./run-writer.ts";
import { trainSequenceRun } from "./train.ts";
import type { SequenceRecord, SequenceRunConfig, SequenceSummary } from "./types.ts";
import { judgeRecord } from "./verdict.ts";

/** One variant of a sequence comparison, as the table shows it. */
export interface SequenceOutcome {
  label: string;
  arch: SequenceRunConfig["arch"];
  status: SequenceSummary["status"];
  finalLoss: number | null;
  testLoss: number | null;
  testAcc: number | null;
  /** Flow verdict of the first recorded step (initialization) and the run's verdict. */
  initialVerdict: string | null;
  verdict: string | null;
  verdictMessage: string | null;
  explosion: string | null;
  elapsedMs: number;
  runDir: string | null;
}

export interface SequenceComparison {
  /** The task, the same for every variant. */
  task: SequenceSummary["task"] | null;
  steps: number;
  seed: number;
  outcomes: SequenceOutcome[];
  /** Labels by test loss, lowest first (runs without one last). */
  ranking: string[];
  notStarted: string[];
}

export interface SequenceCompareOptions {
  /** Keep each variant's run directory under this directory (DIR/1-label, ...). */
  outDir?: string;
  signal?: AbortSignal;
  onVariant?: (index: number, total: number, label: string, outcome?: SequenceOutcome) => void;
  /** Each variant's records, when it ends (for figures). */
  onRecords?: (index: number, records: readonly SequenceRecord[]) => void;
}

function slug(label: string): string {
  return label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 40);
}

/**
 * Every variant's config, validated before any trains: the base (the user's flags and config
 * file) with the variant's changes; a variant may change the architecture (arch=rnn,lstm,gru)
 * within one family.
 */
export function sequenceVariantConfigs(
  baseArch: ArchName,
  base: Readonly<Record<string, unknown>>,
  variants: readonly Variant[],
): SequenceRunConfig[] {
  const configs = variants.map((v) => {
    const changes = v.changes as Record<string, unknown>;
    const arch = (changes.arch ?? baseArch) as ArchName;
    if (arch === "mlp") {
      throw new ConfigError(
        `variant ${v.label}: an MLP cannot be compared with --arch ${baseArch} here (compare one family at a time)`,
      );
    }
    return resolveSequenceRun(arch, { ...base, ...changes }, "flag");
  });
  const families = new Set(configs.map((c) => (c.arch === "transformer" ? "t" : "r")));
  if (families.size > 1) {
    throw new ConfigError("compare trains one family at a time: recurrent nets or transformers");
  }
  return configs;
}

/**
 * Train every variant on the same task, seed and budget, one after another in this process,
 * and rank them by test loss. Each is judged by the same run verdict as `train`.
 */
export async function compareSequenceRuns(
  variants: readonly Variant[],
  configs: readonly SequenceRunConfig[],
  options: SequenceCompareOptions = {},
): Promise<SequenceComparison> {
  const outcomes: SequenceOutcome[] = [];
  const notStarted: string[] = [];
  let task: SequenceSummary["task"] | null = null;
  for (const [i, config] of configs.entries()) {
    const label = variants[i]!.label;
    if (options.signal?.aborted) {
      notStarted.push(label);
      continue;
    }
    options.onVariant?.(i, configs.length, label);
    const runDir = options.outDir ? `${options.outDir}/${i + 1}-${slug(label)}` : null;
    const memory = new MemorySequenceSink();
    const records: SequenceRecord[] = [];
    const sink: SequenceRunSink = runDir ? new SequenceRunWriter(runDir) : memory;
    const summary = await trainSequenceRun(
      { ...config, out: runDir },
      {
        sink,
        ...(options.signal ? { signal: options.signal } : {}),
        onRecord: (r) => records.push(r),
      },
    );
    task ??= summary.task;
    const first = records[0];
    const outcome: SequenceOutcome = {
      label,
      arch: config.arch,
      status: summary.status,
      finalLoss: summary.finalLoss,
      testLoss: summary.testLoss,
      testAcc: summary.testAcc,
      initialVerdict: first ? judgeRecord(first, config.dtype).flow.verdict : null,
      verdict: summary.verdict,
      verdictMessage: summary.verdictMessage,
      explosion: summary.explosion?.message ?? null,
      elapsedMs: summary.elapsedMs,
      runDir,
    };
    outcomes.push(outcome);
    options.onRecords?.(i, records);
    options.onVariant?.(i, configs.length, label, outcome);
  }
  const score = (o: SequenceOutcome): number =>
    o.testLoss !== null && Number.isFinite(o.testLoss) ? o.testLoss : Number.POSITIVE_INFINITY;
  const ranking = [...outcomes].sort((a, b) => score(a) - score(b)).map((o) => o.label);
  return {
    task,
    steps: configs[0]?.steps ?? 0,
    seed: configs[0]?.seed ?? 0,
    outcomes,
    ranking,
    notStarted,
  };
}
