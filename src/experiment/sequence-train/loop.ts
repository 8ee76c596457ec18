import type { Param } from "../../core/layers/layer.ts";
import {
  clipGlobalNorm,
  createOptimizer,
  gradNorm,
  learningRate,
  type Schedule,
} from "../../core/optim/index.ts";
import type { SequenceRunSink } from "./run-writer.ts";
import type {
  SequenceRecord,
  SequenceRunConfig,
  SequenceStatus,
  SequenceSummary,
} from "./types.ts";
import { SequenceVerdict } from "./verdict.ts";

/** A model and its task as the training loop drives them (recurrent-model.ts, transformer-model.ts). */
export interface SequenceModel {
  params: Param[];
  task: SequenceSummary["task"];
  /** Forward and backward on the next training minibatch; returns its loss. */
  forwardBackward(): number;
  /** The per-time-step or per-block fields of a record, after forwardBackward. */
  measure(): Pick<SequenceRecord, "timeSteps" | "recurrentWeightNorm" | "blocks">;
  /** Where NaN/Inf first shows in the last pass, in words, or null when nowhere. */
  nonFiniteWhere(): string | null;
  /** Mean loss (and accuracy, classification) on `testSize` test examples. */
  evaluate(testSize: number): { loss: number; accuracy: number | null };
}

export interface SequenceProgress {
  step: number;
  steps: number;
  loss: number;
  lr: number;
  gradNorm: number;
  clippedSteps: number;
  testLoss: number | null;
  testAcc: number | null;
  elapsedMs: number;
}

export interface SequenceLoopOptions {
  sink: SequenceRunSink;
  /** Aborting stops after the current step; the run is written with status "interrupted". */
  signal?: AbortSignal;
  onRecord?: (record: SequenceRecord) => void;
  onProgress?: (progress: Readonly<SequenceProgress>) => void;
  /** Rewrite summary.json at least this often while running (default 5000 ms). */
  summaryEveryMs?: number;
  /** Give the event loop a turn this often, so Ctrl-C and UIs are served (default 20 ms). */
  yieldEveryMs?: number;
}

export function scheduleOfRun(c: SequenceRunConfig): Schedule {
  switch (c.schedule) {
    case "constant":
      return { kind: "constant" };
    case "step":
      return { kind: "step", stepSize: c.stepSize ?? 1, gamma: c.gamma };
    case "cosine":
      return { kind: "cosine", totalSteps: c.steps, minLr: c.minLr };
    case "warmup":
      return { kind: "warmup", warmupSteps: c.warmupSteps ?? 0 };
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The training loop of recurrent and transformer runs, as the MLP's trainer does it: each step
 * one minibatch forward and backward, the global gradient norm (clipped when asked), the
 * optimizer step at the schedule's rate; every recordEvery steps (and the first and last) a
 * record of every time step or block, measured on that minibatch before the update; the test
 * set every evalEvery steps and at the end. A NaN/Inf loss or gradient stops the run
 * (status exploded, the step recorded); an abort stops it as interrupted.
 */
export async function runSequenceLoop(
  config: SequenceRunConfig,
  model: SequenceModel,
  options: SequenceLoopOptions,
): Promise<SequenceSummary> {
  const { sink } = options;
  const t0 = globalThis.performance.now();
  const elapsed = () => globalThis.performance.now() - t0;
  const optimizer = createOptimizer(config.optimizer);
  const schedule = scheduleOfRun(config);
  const verdict = new SequenceVerdict(config.dtype);
  const summary: SequenceSummary = {
    status: "running",
    arch: config.arch,
    task: model.task,
    steps: config.steps,
    stepsDone: 0,
    initialLoss: null,
    finalLoss: null,
    finalLr: null,
    evalStep: null,
    testLoss: null,
    testAcc: null,
    clippedSteps: 0,
    recordedSteps: 0,
    explosion: null,
    verdict: null,
    verdictMessage: null,
    elapsedMs: 0,
    message: "running",
  };
  const finish = (status: SequenceStatus, message: string): SequenceSummary => {
    const j = verdict.judgment(summary.explosion);
    Object.assign(summary, {
      status,
      message,
      verdict: j.verdict,
      verdictMessage: j.message,
      elapsedMs: elapsed(),
    });
    sink.writeSummary(summary);
    return summary;
  };
  sink.writeConfig(config);
  sink.writeSummary(summary);
  let lastSummary = elapsed();
  let lastYield = elapsed();
  try {
    for (let step = 1; step <= config.steps; step++) {
      if (options.signal?.aborted) {
        return finish(
          "interrupted",
          `interrupted after ${summary.stepsDone} of ${config.steps} steps`,
        );
      }
      const lr = learningRate(schedule, config.lr, step - 1);
      const loss = model.forwardBackward();
      const record = step === 1 || step % config.recordEvery === 0 || step === config.steps;
      const evaluate =
        step === config.steps || (config.evalEvery > 0 && step % config.evalEvery === 0);
      // measured before clipping and the update: what backpropagation delivered
      const measured = record || evaluate ? model.measure() : null;
      let norm: number;
      let clipped = false;
      if (config.clip === "global-norm") {
        const c = clipGlobalNorm(model.params, config.clipThreshold);
        norm = c.norm;
        clipped = c.clipped;
      } else norm = gradNorm(model.params);
      if (clipped) summary.clippedSteps++;
      summary.stepsDone = step;
      summary.initialLoss ??= loss;
      summary.finalLoss = loss;
      summary.finalLr = lr;
      const exploded = !Number.isFinite(loss) || !Number.isFinite(norm);
      if (exploded) {
        const where = Number.isFinite(loss)
          ? (model.nonFiniteWhere() ?? "the global gradient norm")
          : (model.nonFiniteWhere() ?? "the loss");
        summary.explosion = {
          step,
          where,
          loss,
          message: `exploded at step ${step}: first NaN/Inf in ${where}`,
        };
      } else {
        optimizer.step(model.params, lr);
      }
      if (measured || exploded) {
        const line: SequenceRecord = {
          step,
          loss,
          lr,
          clipped: summary.clippedSteps,
          gradNorm: norm,
          ...(measured ?? model.measure()),
        };
        if (evaluate && !exploded) {
          const test = model.evaluate(config.testSize);
          line.testLoss = test.loss;
          if (test.accuracy !== null) line.testAcc = test.accuracy;
          summary.evalStep = step;
          summary.testLoss = test.loss;
          summary.testAcc = test.accuracy;
        }
        sink.appendRecord(line);
        summary.recordedSteps++;
        verdict.observe(line);
        options.onRecord?.(line);
      }
      options.onProgress?.({
        step,
        steps: config.steps,
        loss,
        lr,
        gradNorm: norm,
        clippedSteps: summary.clippedSteps,
        testLoss: summary.testLoss,
        testAcc: summary.testAcc,
        elapsedMs: elapsed(),
      });
      if (exploded) return finish("exploded", summary.explosion!.message);
      if (elapsed() - lastSummary >= (options.summaryEveryMs ?? 5000)) {
        summary.elapsedMs = elapsed();
        sink.writeSummary(summary);
        lastSummary = elapsed();
      }
      if (elapsed() - lastYield >= (options.yieldEveryMs ?? 20)) {
        await turn();
        lastYield = elapsed();
      }
    }
    return finish("completed", completedMessage(summary));
  } catch (err) {
    summary.error = err instanceof Error ? err.message : String(err);
    finish("failed", `failed at step ${summary.stepsDone + 1}: ${summary.error}`);
    throw err;
  } finally {
    sink.close();
  }
}

function completedMessage(s: SequenceSummary): string {
  const f = (v: number) => Number(v.toPrecision(3));
  const test =
    s.testLoss === null
      ? ""
      : `; test loss ${f(s.testLoss)}${s.testAcc === null ? "" : `, accuracy ${f(s.testAcc)}`}`;
  const base = s.task.baselineLoss === null ? "" : ` (input-blind loss ${f(s.task.baselineLoss)})`;
  return `completed ${s.stepsDone} steps${test}${base}`;
}
