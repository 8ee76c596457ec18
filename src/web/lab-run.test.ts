import { describe, expect, it } from "vitest";
import { resolveProbeConfig } from "../experiment/config.ts";
import { loadDataset } from "../experiment/datasets/index.ts";
import { runProbe } from "../experiment/probe-run.ts";
import { train } from "../experiment/train/trainer.ts";
import { RunHistory } from "./history.ts";
import { toProbeInput, toTrainInput, validateLabInput } from "./lab-options.ts";
import { LabRun } from "./lab-run.ts";

const small = validateLabInput({
  depth: "6",
  width: "16",
  batch: "32",
  activation: "tanh",
  steps: "40",
  recordEvery: "5",
  seed: "11",
}).input;

describe("LabRun", () => {
  it("evaluates decision regions for 2-D classification data only, without changing training", () => {
    const run = new LabRun(small);
    const points = run.boundaryPoints()!;
    expect(points).toHaveLength(run.dataset.trainX.rows);
    expect(points[3]).toEqual({
      x: run.dataset.trainX.data[6],
      y: run.dataset.trainX.data[7],
      label: run.dataset.labels!.train[3],
    });
    run.run(5);
    const grid = run.decisionGrid()!;
    expect([grid.nx, grid.ny, grid.classes.length, grid.classCount]).toEqual([60, 60, 3600, 3]);
    const twin = new LabRun(small);
    twin.run(5);
    run.run(5);
    twin.run(5);
    expect(run.trainer.lastLoss).toBe(twin.trainer.lastLoss);

    const regression = new LabRun({ ...small, dataset: "teacher" });
    expect(regression.boundaryPoints()).toBeNull();
    expect(regression.decisionGrid()).toBeNull();
  });

  it("probes with the same numbers as runProbe (gradscope probe)", () => {
    const run = new LabRun(small);
    const expected = runProbe(resolveProbeConfig(toProbeInput(small)));
    expect(run.probe.result.layers).toEqual(expected.layers);
    expect(run.probe.result.summary).toEqual(expected.summary);
    expect(run.probe.theory?.layers).toHaveLength(6);
    expect(run.probe.gradientTheory?.gradWeightNorm).toHaveLength(6);
    expect(run.probe.meanField?.phase).toBeDefined();
  });

  it("trains with the same numbers as train() (gradscope train)", async () => {
    const run = new LabRun(small);
    const records = [...run.run(15), ...run.run(100, 1e9)];
    const expected = await train(toTrainInput(small), { keepRecords: true });
    expect(records.map((r) => r.step)).toEqual(expected.records.map((r) => r.step));
    expect(records).toEqual(expected.records);
    expect(run.status()).toMatchObject({ step: 40, finished: true, exploded: false });
    expect(run.config).toEqual(expected.config);
  });

  it("generates the dataset exactly as loadDataset does", () => {
    const run = new LabRun(small);
    const d = loadDataset("spirals", { seed: 11, dtype: "f64", testFraction: 0.2 });
    expect(run.dataset.description).toBe(d.description);
    expect(Array.from(run.dataset.trainX.data)).toEqual(Array.from(d.trainX.data));
  });

  it("samples activations of a few layers and predicts the training shape", () => {
    const run = new LabRun(small);
    const [first] = run.run(1);
    const acts = run.activations(first!, 3);
    expect(acts.map((a) => a.layer)).toEqual([1, 4, 6]);
    expect(acts[0]!.values).toHaveLength(32 * 16);
    const theory = run.trainTheory(first!);
    expect(theory?.gradWeightNorm).toHaveLength(6);
  });

  it("refuses what the lab cannot build, in one line", () => {
    const { input } = validateLabInput({ depth: "100", width: "512", batch: "512", dtype: "f64" });
    expect(() => new LabRun(input, 1024 ** 2)).toThrow(
      /over the 1.0 MiB limit: reduce --width, --depth or --batch$/,
    );
  });
});

describe("RunHistory", () => {
  it("thins long runs, keeping the first and latest records", () => {
    const run = new LabRun(
      validateLabInput({ depth: "3", width: "8", steps: "400", recordEvery: "1" }).input,
    );
    const history = new RunHistory(50);
    const all = run.run(400);
    for (const r of all) history.add([r]);
    expect(history.records.length).toBeLessThanOrEqual(51);
    expect(history.records[0]!.step).toBe(1);
    expect(history.latest!.step).toBe(400);
    expect(history.thinning).toBeGreaterThan(1);
    const steps = history.records.map((r) => r.step);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    const heat = history.heatmap(20);
    expect(heat.steps).toHaveLength(20);
    expect(heat.values[0]).toHaveLength(3);
    expect(history.latestSummary()?.verdict).toBeDefined();
    expect(history.records.filter((r) => r.testLoss !== undefined).map((r) => r.step)).toEqual([
      50, 100, 150, 200, 250, 300, 350, 400,
    ]);
    const loss = history.loss(10);
    expect(loss.steps.length).toBeGreaterThanOrEqual(10);
    expect(loss.testLoss?.some((v) => Number.isFinite(v))).toBe(true);
  });
});
