/** Learning-rate schedules by kind, as configs name them. */
export const SCHEDULE_KINDS = ["constant", "step", "cosine", "warmup"] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

/**
 * A learning-rate schedule as plain data. Steps count optimizer steps from 0 (the step about
 * to be taken).
 * - constant: lr = baseLr.
 * - step: lr = baseLr * gamma^floor(step / stepSize) (torch StepLR).
 * - cosine: lr = minLr + (baseLr - minLr) (1 + cos(pi t / totalSteps)) / 2 with
 *   t = min(step, totalSteps) (torch CosineAnnealingLR's closed form, held at minLr after
 *   totalSteps instead of rising again).
 * - warmup: lr = baseLr (step + 1) / warmupSteps for step < warmupSteps (the first step uses
 *   baseLr / warmupSteps, step warmupSteps - 1 reaches baseLr), then `after`: "constant"
 *   (default) keeps baseLr, "cosine" anneals from baseLr to minLr over the remaining
 *   totalSteps - warmupSteps steps.
 */
export type Schedule =
  | { readonly kind: "constant" }
  | { readonly kind: "step"; readonly stepSize: number; readonly gamma: number }
  | { readonly kind: "cosine"; readonly totalSteps: number; readonly minLr?: number }
  | {
      readonly kind: "warmup";
      readonly warmupSteps: number;
      readonly after?: "constant" | "cosine";
      /** Required when after = "cosine": the step count at which lr reaches minLr. */
      readonly totalSteps?: number;
      readonly minLr?: number;
    };

/**
 * The learning rate for optimizer step `step` (an integer >= 0) under `schedule`. Pure: the
 * same arguments always give the same number. Throws RangeError on invalid parameters.
 *
 * @example
 * learningRate({ kind: "cosine", totalSteps: 1000, minLr: 1e-5 }, 1e-3, 500) // ~5.05e-4
 */
export function learningRate(schedule: Schedule, baseLr: number, step: number): number {
  if (!(Number.isFinite(baseLr) && baseLr >= 0)) {
    throw new RangeError(`base learning rate must be finite and >= 0, got ${baseLr}`);
  }
  if (!(Number.isInteger(step) && step >= 0)) {
    throw new RangeError(`step must be an integer >= 0, got ${step}`);
  }
  switch (schedule.kind) {
    case "constant":
      return baseLr;
    case "step": {
      positiveInteger("stepSize", schedule.stepSize);
      if (!(Number.isFinite(schedule.gamma) && schedule.gamma > 0)) {
        throw new RangeError(`gamma must be finite and > 0, got ${schedule.gamma}`);
      }
      return baseLr * schedule.gamma ** Math.floor(step / schedule.stepSize);
    }
    case "cosine": {
      positiveInteger("totalSteps", schedule.totalSteps);
      return cosine(baseLr, minLrOf(schedule.minLr), step, schedule.totalSteps);
    }
    case "warmup": {
      const w = schedule.warmupSteps;
      if (!(Number.isInteger(w) && w >= 0)) {
        throw new RangeError(`warmupSteps must be an integer >= 0, got ${w}`);
      }
      const after = schedule.after ?? "constant";
      if (after !== "constant" && after !== "cosine") {
        throw new RangeError(`warmup: after must be "constant" or "cosine", got ${String(after)}`);
      }
      let total = 0;
      if (after === "cosine") {
        total = schedule.totalSteps ?? Number.NaN;
        if (!(Number.isInteger(total) && total >= w)) {
          throw new RangeError(
            `warmup after: "cosine" needs totalSteps >= warmupSteps, got ${total}`,
          );
        }
      }
      if (step < w) return (baseLr * (step + 1)) / w;
      if (after === "constant") return baseLr;
      const minLr = minLrOf(schedule.minLr);
      return total === w ? minLr : cosine(baseLr, minLr, step - w, total - w);
    }
    default:
      throw new RangeError(
        `unknown schedule kind "${String((schedule as { kind: unknown }).kind)}"; ` +
          `expected one of ${SCHEDULE_KINDS.join(", ")}`,
      );
  }
}

function cosine(baseLr: number, minLr: number, step: number, total: number): number {
  const t = Math.min(step, total);
  return minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * t) / total))) / 2;
}

function minLrOf(minLr: number | undefined): number {
  const v = minLr ?? 0;
  if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`minLr must be >= 0, got ${v}`);
  return v;
}

function positiveInteger(name: string, v: number): void {
  if (!(Number.isInteger(v) && v > 0)) {
    throw new RangeError(`${name} must be a positive integer, got ${v}`);
  }
}
