import type { TrainRecord } from "../experiment/train/recorder.ts";
import type { TrainProgress } from "../experiment/train/trainer.ts";
import { logSparkline } from "./format/bars.ts";
import { formatMetric } from "./format/numbers.ts";
import type { Output } from "./output.ts";

/** `[#####-----]` for a fraction in [0, 1]. */
export function renderBar(fraction: number, width = 24): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return `[${"#".repeat(full)}${"-".repeat(width - full)}]`;
}

/** At most `max` values, evenly sampled (first and last kept), for a sparkline that fits. */
export function sampleEvenly(values: readonly number[], max: number): number[] {
  if (values.length <= max) return [...values];
  const out: number[] = [];
  for (let i = 0; i < max; i++) {
    out.push(values[Math.round((i * (values.length - 1)) / (max - 1))]!);
  }
  return out;
}

export interface TrainProgressOptions {
  /** Prefix of every line, e.g. "train". */
  label?: string;
  /** Minimum time between redraws of the TTY bar (default 100 ms). */
  redrawMs?: number;
  /** Without a TTY: a line at least this often (default 5000 ms)... */
  plainEveryMs?: number;
  /** ...and whenever another tenth of the steps is done. */
  plainFraction?: number;
  /** Longest gradient sparkline (default 40 layers; deeper networks are sampled). */
  sparkWidth?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
}

/**
 * Training progress on stderr: on a terminal a bar redrawn in place (throttled), otherwise
 * plain lines every tenth of the run or every few seconds. Each shows the step, loss, the last
 * test accuracy and a live per-layer sparkline of log10 |dL/dW| (input -> output) from the
 * latest recorded step, so a gradient that vanishes or explodes is visible while it happens.
 */
export class TrainProgressReporter {
  private readonly label: string;
  private readonly redrawMs: number;
  private readonly plainEveryMs: number;
  private readonly plainFraction: number;
  private readonly sparkWidth: number;
  private readonly now: () => number;
  private spark = "";
  private gradRange = "";
  private lastDraw = Number.NEGATIVE_INFINITY;
  private nextFraction: number;
  private drawn = false;

  constructor(
    private readonly output: Output,
    options: TrainProgressOptions = {},
  ) {
    this.label = options.label ?? "train";
    this.redrawMs = options.redrawMs ?? 100;
    this.plainEveryMs = options.plainEveryMs ?? 5000;
    this.plainFraction = options.plainFraction ?? 0.1;
    this.sparkWidth = options.sparkWidth ?? 40;
    this.now = options.now ?? (() => globalThis.performance.now());
    this.nextFraction = this.plainFraction;
  }

  /** Take the per-layer gradient norms of a recorded step for the sparkline. */
  record(record: TrainRecord): void {
    const norms = record.layers.map((m) => m.gradWeightNorm);
    this.spark = logSparkline(sampleEvenly(norms, this.sparkWidth));
    const first = norms[0];
    const last = norms[norms.length - 1];
    this.gradRange =
      first === undefined || last === undefined
        ? ""
        : ` (${formatMetric(first)} .. ${formatMetric(last)})`;
  }

  /** Show progress (throttled); the last step always draws. */
  update(p: Readonly<TrainProgress>): void {
    const t = this.now();
    const fraction = p.steps > 0 ? p.step / p.steps : 1;
    const final = p.step >= p.steps;
    if (this.output.isTTY) {
      if (!final && t - this.lastDraw < this.redrawMs) return;
      this.lastDraw = t;
      this.drawn = true;
      this.output.err(`\r\x1b[2K${renderBar(fraction)} ${this.line(p)}`);
      return;
    }
    const due = fraction >= this.nextFraction || t - this.lastDraw >= this.plainEveryMs || final;
    if (!due) return;
    while (this.nextFraction <= fraction) this.nextFraction += this.plainFraction;
    this.lastDraw = t;
    this.output.err(`${this.label}: ${this.line(p)}\n`);
  }

  /** End the bar's line (TTY), so what follows starts on a fresh line. */
  finish(): void {
    if (this.output.isTTY && this.drawn) this.output.err("\n");
    this.drawn = false;
  }

  private line(p: Readonly<TrainProgress>): string {
    const pct = p.steps > 0 ? Math.floor((100 * p.step) / p.steps) : 100;
    const parts = [`step ${p.step}/${p.steps} (${pct}%)`, `loss ${formatMetric(p.loss)}`];
    if (p.testAcc !== null) parts.push(`test acc ${formatMetric(p.testAcc)}`);
    else if (p.testLoss !== null) parts.push(`test loss ${formatMetric(p.testLoss)}`);
    if (p.clippedSteps > 0) parts.push(`clipped ${p.clippedSteps}`);
    if (this.spark !== "") parts.push(`|dW| ${this.spark}${this.gradRange}`);
    parts.push(`${(p.elapsedMs / 1000).toFixed(1)} s`);
    return parts.join("  ");
  }
}

/**
 * Ctrl-C during a run: the first one finishes the progress line, says the run is being
 * written, and aborts `signal` (the run then writes its checkpoint and summary); a second
 * Ctrl-C gets Node's default and quits at once. `dispose` removes the handler.
 */
export function interruptOnCtrlC(
  output: Output,
  progress: { finish(): void } | null,
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = (): void => {
    progress?.finish();
    output.err("gradscope: interrupted; writing the run (Ctrl-C again quits at once)\n");
    controller.abort();
  };
  process.once("SIGINT", onSigint);
  return { signal: controller.signal, dispose: () => process.removeListener("SIGINT", onSigint) };
}
