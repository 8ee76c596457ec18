import { type JudgedStep, judgeRun, type RunExplosion, type RunJudgment } from "./run-verdict.ts";

/**
 * The run verdict of a stream of recorded steps in O(1) memory: judgeRun reads only the first
 * finite step, the one with the largest global gradient norm, the last finite step and the
 * first non-finite step, so keeping those four gives the same judgment as keeping them all.
 * For pages and imported runs that thin or stream their history.
 */
export class RunVerdictTracker {
  private first: JudgedStep | null = null;
  private top: JudgedStep | null = null;
  private last: JudgedStep | null = null;
  private nonFiniteStep: number | null = null;

  /** Steps must arrive in increasing step order. */
  observe(step: JudgedStep): void {
    if (!step.finite) {
      if (this.nonFiniteStep === null) this.nonFiniteStep = step.step;
      return;
    }
    if (this.first === null) this.first = step;
    const g = step.gradNorm;
    if (
      g !== undefined &&
      Number.isFinite(g) &&
      (this.top === null || g > (this.top.gradNorm ?? Number.NEGATIVE_INFINITY)) &&
      step !== this.first
    ) {
      this.top = step;
    }
    this.last = step;
  }

  judgment(explosion: RunExplosion | null = null): RunJudgment {
    const steps = [this.first, this.top, this.last].filter(
      (s, i, all): s is JudgedStep => s !== null && all.indexOf(s) === i,
    );
    return judgeRun({ steps, nonFiniteStep: this.nonFiniteStep, explosion });
  }

  clear(): void {
    this.first = null;
    this.top = null;
    this.last = null;
    this.nonFiniteStep = null;
  }
}
