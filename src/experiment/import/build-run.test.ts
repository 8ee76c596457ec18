import { describe, expect, it } from "vitest";
import { diagnoseRunContents, type ImportedRunConfig } from "../run-diagnosis.ts";
import type { TrainRecord } from "../train/recorder.ts";
import { buildRun, compareModulePaths, ImportError } from "./build-run.ts";
import { RunCollector } from "./collect.ts";
import type { RawHistogram } from "./events.ts";

/** A TF1 histogram of the given entries (exact sums). */
function histo(xs: number[]): RawHistogram {
  return {
    min: Math.min(...xs),
    max: Math.max(...xs),
    num: xs.length,
    sum: xs.reduce((s, x) => s + x, 0),
    sumSquares: xs.reduce((s, x) => s + x * x, 0),
    bucketLimit: [Math.max(...xs)],
    bucket: [xs.length],
  };
}

function collector(
  steps: number[],
  gradScale: (layer: number, step: number) => number,
  loss: Map<number, number>,
): RunCollector {
  const c = new RunCollector();
  for (const step of steps) {
    for (const layer of [1, 2, 10]) {
      const g = gradScale(layer, step);
      c.add({
        step,
        summary: {
          value: [
            { tag: `net.${layer}.weight`, histo: histo([1, -1, 1, -1]) },
            { tag: `grad/net.${layer}.weight`, histo: histo([g, -g, g, -g]) },
            { tag: `grad/net.${layer}.bias`, histo: histo([g, g]) },
            { tag: `net.${layer}.bias`, histo: histo([0, 0]) },
          ],
        },
      });
    }
  }
  for (const [step, v] of loss)
    c.add({ step, summary: { value: [{ tag: "train/loss", simpleValue: v }] } });
  c.add({ step: 1, summary: { value: [{ tag: "activations/net.1", histo: histo([1]) }] } });
  return c;
}

const options = { logdir: "logs", eventFiles: 1 };

describe("building a run from TensorBoard data", () => {
  it("writes the hook's shape: modules in natural order, norms from sums of squares, nulls for what TensorBoard lacks", () => {
    const c = collector(
      [1, 2],
      (l) => 10 ** -l,
      new Map([
        [1, 2],
        [2, 1.5],
      ]),
    );
    const run = buildRun(c, options);
    expect(run.config.source).toBe("tensorboard");
    expect(run.config.modules.map((m) => m.path)).toEqual(["net.1", "net.2", "net.10"]);
    expect(run.config.tensorboard).toMatchObject({
      lossTag: "train/loss",
      histograms: "exact",
      unmappedTags: 1,
    });
    const r = run.records[0]!;
    expect(r).toMatchObject({ step: 1, loss: 2, lr: null });
    const l1 = r.layers[0]!;
    expect(l1).toMatchObject({
      layer: 1,
      path: "net.1",
      weight: "weight",
      q: null,
      gradPreactMeanSq: null,
      updateRatio: null,
      saturated: null,
      dead: null,
      nonfinite: 0,
    });
    expect(l1["gradWeightNorm"]).toBeCloseTo(0.2, 12); // 4 entries of 0.1
    expect(l1["weightNorm"]).toBeCloseTo(2, 12);
    expect(l1["gradToWeight"]).toBeCloseTo(0.1, 12);
    expect(l1["gradBiasNorm"]).toBeCloseTo(0.1 * Math.SQRT2, 12);
    expect(Object.keys(l1["histograms"] as object)).toEqual(["weight", "bias"]);
    // global norm: every logged parameter's gradient
    const expected = Math.sqrt(
      [1, 2, 10].reduce((s, l) => s + 4 * 10 ** (-2 * l) + 2 * 10 ** (-2 * l), 0),
    );
    expect(r.gradNorm).toBeCloseTo(expected, 12);
    expect(run.summary).toMatchObject({
      status: "completed",
      recordedSteps: 2,
      initialLoss: 2,
      finalLoss: 1.5,
      explosion: null,
    });
  });

  it("sorts module paths with numbers as numbers", () => {
    expect(["l.10", "l.2", "l.1"].sort(compareModulePaths)).toEqual(["l.1", "l.2", "l.10"]);
  });

  it("reports a non-finite loss on a step without histograms as the explosion; diagnose says exploded at that step", () => {
    const c = collector(
      [1, 2, 3],
      () => 0.1,
      new Map([
        [1, 1],
        [2, 1],
        [3, 1],
        [4, Number.NaN],
      ]),
    );
    const run = buildRun(c, options);
    expect(run.summary.status).toBe("exploded");
    expect(run.summary.explosion).toMatchObject({ step: 4, layer: null, what: "loss" });
    const { diagnosis } = diagnoseRunContents(
      run.config as unknown as ImportedRunConfig,
      run.records as unknown as TrainRecord[],
      run.summary as never,
    );
    expect(diagnosis.verdict).toBe("exploded");
    expect(diagnosis.verdictMessage).toContain("NaN/Inf at step 4 in the loss");
  });

  it("a step whose loss was not logged has no loss, not a NaN one", () => {
    const c = collector([1, 2, 3], () => 0.1, new Map([[1, 1]]));
    const run = buildRun(c, options);
    expect(run.records.map((r) => r.loss)).toEqual([1, undefined, undefined]);
    const { diagnosis } = diagnoseRunContents(
      run.config as unknown as ImportedRunConfig,
      run.records as unknown as TrainRecord[],
      run.summary as never,
    );
    expect(diagnosis.verdict).toBe("not-judged");
    expect(diagnosis.verdictMessage).toMatch(/^not-judged: the run has no per-layer dL\/dz/);
  });

  it("refuses a log without gradient histograms, and an unknown --loss-tag", () => {
    const c = new RunCollector();
    c.add({ step: 1, summary: { value: [{ tag: "loss", simpleValue: 1 }] } });
    expect(() => buildRun(c, options)).toThrow(ImportError);
    expect(() => buildRun(c, options)).toThrow(/no gradient histograms found .*only scalars: loss/);
    const ok = collector([1], () => 0.1, new Map([[1, 1]]));
    expect(() => buildRun(ok, { ...options, lossTag: "nope" })).toThrow(
      /--loss-tag 'nope' is not a scalar tag/,
    );
  });
});
