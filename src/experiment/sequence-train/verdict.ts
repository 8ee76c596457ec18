import type { DType } from "../../core/dtype.ts";
import type { FlowPoint } from "../../verdict/flow-measures.ts";
import { judgeFlow } from "../../verdict/flow-verdict.ts";
import type { JudgedStep, RunExplosion, RunJudgment } from "../../verdict/run-verdict.ts";
import { RunVerdictTracker } from "../../verdict/tracker.ts";
import { blockPoint } from "../transformer/probe.ts";
import type { SequenceExplosion, SequenceRecord } from "./types.ts";

/**
 * The verdict of a recurrent or transformer run: each recorded step's time steps or blocks
 * are FlowPoints judged by judgeFlow (unit "time step" / "block"), and the run by judgeRun
 * through the RunVerdictTracker, so train, diagnose, report and compare say the same.
 */

/** The measure points of a record: time steps (recurrent) or blocks (transformer). */
export function recordPoints(record: SequenceRecord): FlowPoint[] {
  if (record.blocks) return record.blocks.map(blockPoint);
  return (record.timeSteps ?? []).map((s) => ({
    index: s.t,
    signal: s.hiddenMeanSq,
    gradMeanSq: s.gradHiddenMeanSq,
    gradNorm: s.gradHiddenNorm,
    nonfinite: s.nonfinite,
    underflow: s.underflow,
    ...(record.recurrentWeightNorm === undefined ? {} : { weightNorm: record.recurrentWeightNorm }),
  }));
}

export function judgeRecord(record: SequenceRecord, dtype: DType): JudgedStep {
  const points = recordPoints(record);
  const flow = judgeFlow(points, { dtype, unit: record.blocks ? "block" : "time step" });
  const finite =
    Number.isFinite(record.loss) &&
    Number.isFinite(record.gradNorm) &&
    points.every((p) => p.nonfinite === 0);
  return { step: record.step, flow, gradNorm: record.gradNorm, finite, loss: record.loss };
}

function runExplosion(e: SequenceExplosion | null): RunExplosion | null {
  return e ? { step: e.step, layer: null, where: e.where } : null;
}

/** Judges records as they arrive (O(1) memory) for the summary written while training. */
export class SequenceVerdict {
  private readonly tracker = new RunVerdictTracker();
  constructor(private readonly dtype: DType) {}
  observe(record: SequenceRecord): void {
    this.tracker.observe(judgeRecord(record, this.dtype));
  }
  judgment(explosion: SequenceExplosion | null): RunJudgment {
    return this.tracker.judgment(runExplosion(explosion));
  }
}

/** judgeRun over a run directory's records (diagnose, report, compare). */
export function judgeSequenceRun(
  records: readonly SequenceRecord[],
  dtype: DType,
  explosion: SequenceExplosion | null,
): RunJudgment {
  const v = new SequenceVerdict(dtype);
  for (const r of [...records].sort((a, b) => a.step - b.step)) v.observe(r);
  return v.judgment(explosion);
}
