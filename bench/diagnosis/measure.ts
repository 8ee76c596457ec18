/**
 * What the benchmark measures for one case (the verdict and diagnosis gradscope gives), beside
 * its label, and the tables made from many cases. Shared by run.ts and
 * test/diagnosis-benchmark.test.ts.
 */
import { contradictions } from "../../src/diagnose/consistency.ts";
import { diagnoseProbe } from "../../src/diagnose/diagnose-probe.ts";
import type { Diagnosis } from "../../src/diagnose/types.ts";
import { resolveProbeConfig } from "../../src/experiment/config.ts";
import { runProbe } from "../../src/experiment/probe-run.ts";
import { diagnoseTraining } from "../../src/experiment/train/diagnose-run.ts";
import type { TrainRecord } from "../../src/experiment/train/recorder.ts";
import { train } from "../../src/experiment/train/trainer.ts";
import type { InitCase, TrainCase } from "./cases.ts";
import {
  EXPECTED_PRIMARY,
  type InitLabel,
  type Label,
  labelInit,
  type MonteCarloOptions,
  type TrainingLabel,
} from "./labels.ts";

export interface CaseResult {
  id: string;
  kind: "init" | "train";
  group: string;
  /** The label and the finding it names. */
  label: Label;
  expectedPrimary: string | null;
  /** How the label was made (the rule, or "long run"). */
  rule: string;
  /** gradscope's verdict (the one shown) and its diagnosis' primary finding. */
  verdict: string;
  primary: string | null;
  /** The diagnosis' own verdict (must equal the shown one). */
  diagnosisVerdict: string;
  headline: string;
  message: string;
  contradictions: string[];
  verdictAgrees: boolean;
  primaryAgrees: boolean;
  /** Predicted and measured numbers (init cases) or run numbers (training cases). */
  numbers: Record<string, number | string | null>;
  ms: number;
}

const fmt = (v: number): string =>
  !Number.isFinite(v) ? String(v) : v === 0 ? "0" : v.toExponential(2);

function finish(
  base: Omit<CaseResult, "verdictAgrees" | "primaryAgrees" | "contradictions" | "expectedPrimary">,
  d: Diagnosis,
  shown: string,
): CaseResult {
  const expectedPrimary = EXPECTED_PRIMARY[base.label];
  return {
    ...base,
    expectedPrimary,
    contradictions: contradictions(d, shown as Diagnosis["verdict"]),
    verdictAgrees: base.label === base.verdict,
    primaryAgrees: expectedPrimary === base.primary,
  };
}

/** Probe an initialization case, diagnose it, and lay the mean-field label beside. */
export function runInitCase(c: InitCase, mc: MonteCarloOptions = {}): CaseResult {
  const t0 = performance.now();
  const label: InitLabel = labelInit(c, mc);
  const result = runProbe(resolveProbeConfig({ ...c.net }));
  const d = diagnoseProbe(result);
  const s = result.summary;
  return finish(
    {
      id: c.id,
      kind: "init",
      group: c.group,
      label: label.label,
      rule: label.rule,
      verdict: s.verdict,
      primary: d.primary,
      diagnosisVerdict: d.verdict,
      headline: d.headline,
      message: s.message,
      numbers: {
        predSpan: label.span,
        predWindowedSpan: label.windowedSpan,
        measSpan: s.gradientSpan,
        predSignal: label.signalRatio,
        measSignal: s.signalRatio,
        predFactor: label.factor,
        measFactor: s.perLayerFactor,
        predConditions: label.conditions.join(",") || "none",
        measConditions: s.conditions.join(",") || "none",
      },
      ms: performance.now() - t0,
    },
    d,
    s.verdict,
  );
}

/** E[(dL/dz)^2] of layer 2 (1 below depth 3) over that of layer L, in one record. */
export function recordSpan(r: TrainRecord): number {
  const L = r.layers.length;
  const from = L >= 3 ? 2 : 1;
  return r.layers[from - 1]!.gradPreactMeanSq / r.layers[L - 1]!.gradPreactMeanSq;
}

/** Train a training case for its budget, diagnose the run, lay the long run's label beside. */
export async function runTrainCase(c: TrainCase, label: TrainingLabel | null): Promise<CaseResult> {
  const t0 = performance.now();
  const r = await train({ ...c.config, steps: c.budget, out: null });
  const d = diagnoseTraining(r.config, r.records, r.summary);
  const shown = r.summary.verdict ?? d.verdict;
  const norms = r.records.map((x) => x.gradNorm).filter((v) => Number.isFinite(v));
  const first = r.records[0];
  const long = label?.runs[0];
  return finish(
    {
      id: c.id,
      kind: "train",
      group: c.group,
      label: label?.label ?? "healthy",
      rule: label ? `long run (${long?.steps} steps)` : "MISSING LABEL",
      verdict: shown,
      primary: d.primary,
      diagnosisVerdict: d.verdict,
      headline: d.headline,
      message: d.verdictMessage,
      numbers: {
        budget: c.budget,
        status: r.summary.status,
        testAcc: r.summary.testAcc,
        testLoss: r.summary.testLoss,
        initSpan: first ? recordSpan(first) : null,
        finalSpan: r.records.length > 0 ? recordSpan(r.records[r.records.length - 1]!) : null,
        growth: norms.length > 0 ? Math.max(...norms) / norms[0]! : null,
        longStatus: long?.status ?? null,
        longTestAcc: long?.testAcc ?? null,
        longTestLoss: long?.testLoss ?? null,
        longGrowth: long?.growth ?? null,
        longLearned: long ? String(long.learned) : null,
        chance: long?.chance ?? null,
        seedDependent: label ? String(label.seedDependent) : null,
      },
      ms: performance.now() - t0,
    },
    d,
    shown,
  );
}

// ---------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------

export interface Confusion {
  rows: string[];
  cols: string[];
  /** counts[row][col]: label row, measured col. */
  counts: Record<string, Record<string, number>>;
  agree: number;
  total: number;
}

export function confusion(pairs: readonly { label: string; measured: string }[]): Confusion {
  const rows = [...new Set(pairs.map((p) => p.label))].sort();
  const cols = [...new Set([...rows, ...pairs.map((p) => p.measured)])].sort();
  const counts: Record<string, Record<string, number>> = {};
  for (const r of rows) counts[r] = Object.fromEntries(cols.map((c) => [c, 0]));
  let agree = 0;
  for (const p of pairs) {
    counts[p.label]![p.measured]! += 1;
    if (p.label === p.measured) agree++;
  }
  return { rows, cols, counts, agree, total: pairs.length };
}

export function verdictConfusion(results: readonly CaseResult[]): Confusion {
  return confusion(results.map((r) => ({ label: r.label, measured: r.verdict })));
}

export function primaryConfusion(results: readonly CaseResult[]): Confusion {
  return confusion(
    results.map((r) => ({ label: r.expectedPrimary ?? "none", measured: r.primary ?? "none" })),
  );
}

/** A confusion matrix as a markdown table (rows: label, columns: measured). */
export function formatConfusion(c: Confusion, corner: string): string {
  const head = `| ${corner} | ${c.cols.join(" | ")} |`;
  const sep = `|---|${c.cols.map(() => "---:").join("|")}|`;
  const lines = c.rows.map(
    (r) =>
      `| ${r} | ${c.cols.map((col) => (r === col ? `**${c.counts[r]![col]}**` : String(c.counts[r]![col]))).join(" | ")} |`,
  );
  return [head, sep, ...lines].join("\n");
}

export function agreement(c: Confusion): number {
  return c.total > 0 ? c.agree / c.total : Number.NaN;
}

/** One line per number for a disagreement. */
export function describeNumbers(r: CaseResult): string {
  const n = r.numbers;
  if (r.kind === "init") {
    return `predicted span ${fmt(n.predSpan as number)} (windowed ${fmt(n.predWindowedSpan as number)}), measured ${fmt(n.measSpan as number)}; predicted q ratio ${fmt(n.predSignal as number)}, measured ${fmt(n.measSignal as number)}; per-layer factor predicted ${fmt(n.predFactor as number)}, measured ${fmt(n.measFactor as number)}`;
  }
  const num = (v: unknown) => (typeof v === "number" ? fmt(v) : String(v));
  return `budget ${n.budget} steps: ${n.status}, test acc ${num(n.testAcc)}, test loss ${num(n.testLoss)}, init span ${num(n.initSpan)}, final span ${num(n.finalSpan)}, grad-norm growth ${num(n.growth)}; long run: ${n.longStatus}, test acc ${num(n.longTestAcc)}, test loss ${num(n.longTestLoss)}, growth ${num(n.longGrowth)}, learned ${n.longLearned} (chance ${num(n.chance)}), seed-dependent ${n.seedDependent}`;
}
