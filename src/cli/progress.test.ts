import { describe, expect, it } from "vitest";
import type { TrainRecord } from "../experiment/train/recorder.ts";
import type { TrainProgress } from "../experiment/train/trainer.ts";
import { renderBar, sampleEvenly, TrainProgressReporter } from "./progress.ts";
import { captureOutput } from "./test-output.ts";

function progress(step: number, steps: number, elapsedMs: number): TrainProgress {
  return {
    step,
    steps,
    epoch: 1,
    loss: 0.5,
    lr: 0.1,
    gradNorm: 1,
    clippedSteps: 0,
    trainLoss: null,
    trainAcc: null,
    testLoss: 0.7,
    testAcc: 0.8,
    elapsedMs,
  };
}

function record(norms: number[]): TrainRecord {
  return {
    step: 1,
    epoch: 1,
    loss: 1,
    lr: 0.1,
    clipped: 0,
    gradNorm: 1,
    layers: norms.map((g, i) => ({ layer: i + 1, gradWeightNorm: g }) as TrainRecord["layers"][0]),
  };
}

describe("progress", () => {
  it("renders bars and samples long series", () => {
    expect(renderBar(0.5, 10)).toBe("[#####-----]");
    expect(renderBar(2, 4)).toBe("[####]");
    expect(renderBar(Number.NaN, 4)).toBe("[----]");
    expect(sampleEvenly([1, 2, 3, 4, 5, 6, 7, 8, 9], 3)).toEqual([1, 5, 9]);
  });

  it("without a TTY prints a line per tenth of the run (or every few seconds)", () => {
    const out = captureOutput();
    let t = 0;
    const p = new TrainProgressReporter(out, { now: () => t });
    p.record(record([1e-6, 1e-3, 1]));
    for (let s = 1; s <= 100; s++) {
      t = s;
      p.update(progress(s, 100, s));
    }
    const lines = out.stderr().trimEnd().split("\n");
    expect(lines).toHaveLength(11); // step 1, then 10, 20, ..., 100
    expect(lines[0]).toMatch(/^train: step 1\/100 \(1%\)/);
    expect(lines[10]).toBe(
      "train: step 100/100 (100%)  loss 0.500  test acc 0.800  |dW| ▁▅█ (1.00e-6 .. 1.00)  0.1 s",
    );
    // a slow run also reports every 5 s
    const slow = captureOutput();
    const q = new TrainProgressReporter(slow, { now: () => t });
    for (let s = 1; s <= 20; s++) {
      t = s * 1000;
      q.update(progress(s, 1000, t));
    }
    expect(
      slow
        .stderr()
        .trimEnd()
        .split("\n")
        .map((l) => l.split("  ")[0]),
    ).toEqual([
      "train: step 1/1000 (0%)",
      "train: step 6/1000 (0%)",
      "train: step 11/1000 (1%)",
      "train: step 16/1000 (1%)",
    ]);
  });

  it("on a TTY redraws one line in place, throttled, and ends it with a newline", () => {
    const out = { ...captureOutput(), isTTY: true };
    let err = "";
    out.err = (s: string) => {
      err += s;
    };
    let t = 0;
    const p = new TrainProgressReporter(out, { now: () => t, redrawMs: 100 });
    for (let s = 1; s <= 50; s++) {
      t = s * 10;
      p.update(progress(s, 50, t));
    }
    p.finish();
    const draws = err.split("\r\x1b[2K").filter(Boolean);
    expect(draws.length).toBe(6); // t = 10, 110, 210, 310, 410 and the final step
    expect(draws[draws.length - 1]).toMatch(/^\[#{24}\] step 50\/50 \(100%\).*\n$/);
    expect(err.split("\n")).toHaveLength(2);
  });
});
