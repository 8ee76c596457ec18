/**
 * The acceptance test: on the adding problem at T = 100, an LSTM gets far below the
 * MSE 1/6 of always predicting 1 within a small budget, while a vanilla tanh RNN with the
 * same width, init, optimizer, clipping and budget stays at the baseline, its gradient at
 * step 1 vanished against step T.
 */
import { describe, expect, it } from "vitest";
import { addingProblem, copyTask } from "./tasks.ts";
import {
  DEFAULT_RECURRENT_TRAIN,
  type RecurrentTrainConfig,
  trainRecurrent,
} from "./train-recurrent.ts";

const budget: RecurrentTrainConfig = {
  ...DEFAULT_RECURRENT_TRAIN,
  width: 16,
  batch: 32,
  lr: 0.01,
  clip: 1,
  steps: 1000,
  recordEvery: 100,
  dtype: "f32",
};

/** Mean of the last k losses. */
const recent = (losses: number[], k = 50): number =>
  losses.slice(-k).reduce((s, v) => s + v, 0) / Math.min(k, losses.length);

describe("training on the adding problem at T = 100", () => {
  it("LSTM solves it where a vanilla tanh RNN fails (1000 steps of 32, width 16, Adam 0.01, clip 1)", () => {
    const task = addingProblem(100);
    const t0 = performance.now();
    const seen: number[] = [];
    const lstm = trainRecurrent({ ...budget, arch: "lstm" }, task, {
      // once solved, stop early to keep the test short
      onStep: ({ loss }) => {
        seen.push(loss);
        return seen.length >= 100 && recent(seen) < 0.005 ? "stop" : undefined;
      },
    });
    const t1 = performance.now();
    const rnn = trainRecurrent({ ...budget, arch: "rnn", activation: "tanh" }, task);
    const t2 = performance.now();
    if (process.env.GRADSCOPE_TRAIN_REPORT) {
      console.log(
        JSON.stringify({
          lstm: { steps: lstm.losses.length, test: lstm.test.loss, seconds: (t1 - t0) / 1000 },
          rnn: { steps: rnn.losses.length, test: rnn.test.loss, seconds: (t2 - t1) / 1000 },
          rnnFirstOverLast: rnn.records.map((r) => r.gradHiddenNorm[0]! / r.gradHiddenNorm[99]!),
        }),
      );
    }
    expect(lstm.explodedAt).toBeNull();
    expect(lstm.test.loss).toBeLessThan(task.baselineLoss / 10);
    expect(rnn.test.loss).toBeGreaterThan(task.baselineLoss * 0.8);
    // the RNN's gradient from step T reaches step 1 vanished (per-time-step record)
    const last = rnn.records.at(-1)!.gradHiddenNorm;
    expect(last).toHaveLength(100);
    expect(last[0]! / last[99]!).toBeLessThan(1e-3);
  }, 150_000); // ~25 s alone; headroom for a loaded 2-core machine
});

describe("trainRecurrent", () => {
  it("reports every step, records per-time-step norms, and is deterministic", () => {
    const task = copyTask(10, 4);
    const config = { ...budget, arch: "gru" as const, steps: 30, recordEvery: 10, testSize: 64 };
    const seen: number[] = [];
    const a = trainRecurrent(config, task, {
      onStep: ({ step }) => {
        seen.push(step);
        return undefined;
      },
    });
    const b = trainRecurrent(config, task);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(a.losses).toEqual(b.losses);
    expect(a.records.map((r) => r.step)).toEqual([1, 10, 20, 30]);
    expect(a.records[0]!.gradHiddenNorm).toHaveLength(10);
    expect(a.test.accuracy).not.toBeNull();
  });

  it("stops at the first non-finite loss and says when", () => {
    const task = addingProblem(20);
    const r = trainRecurrent(
      {
        ...budget,
        arch: "rnn",
        activation: "identity",
        recurrentGain: 3,
        clip: null,
        lr: 1,
        steps: 50,
        testSize: 32,
      },
      task,
    );
    expect(r.explodedAt).not.toBeNull();
    expect(r.losses).toHaveLength(r.explodedAt!);
  });
});
