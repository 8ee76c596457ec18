import { describe, expect, it } from "vitest";
import { doctor, treatmentsFor } from "./doctor.ts";
import { toJson } from "./json-numbers.ts";

describe("doctor", () => {
  it("diagnoses a deep sigmoid network as vanishing; ReLU/He, batch norm and residual beat no change on loss AND accuracy", async () => {
    // The seed story of issue 3: 20 x 64 sigmoid, standard-uniform init, spirals, sgd lr 0.1.
    // maxTreatments 4 = relu-he, batch-norm, their pair, residual (5 runs, ~10 s on one core).
    const report = await doctor(
      { depth: 20, width: 64, activation: "sigmoid", init: "standard-uniform", dataset: "spirals" },
      { budget: 300, maxTreatments: 4 },
    );
    const vanishing = report.diagnosis.findings.find((f) => f.id === "vanishing");
    expect(vanishing?.severity).toBe("critical");
    expect(report.baseline.initialGradRatio!).toBeLessThan(1e-12);
    // "barely learns": chance is 1/3 on 3 classes and ln 3 = 1.099
    expect(report.baseline.testAcc!).toBeLessThan(0.4);
    expect(report.baseline.testLoss!).toBeGreaterThan(1.05);
    const byId = (id: string) =>
      report.treatments.find((t) => t.remedyIds.length === 1 && t.remedyIds[0] === id);
    const baseLoss = report.baseline.testLoss!;
    const baseAcc = report.baseline.testAcc!;
    for (const id of ["relu-he", "batch-norm", "residual"]) {
      const t = byId(id);
      expect(t, id).toBeDefined();
      expect(t!.verdict, id).toBe("better");
      expect(t!.improves, id).toBe(true);
      // Both measures, with margins that a regression would break: the residual net
      // reaches ~0.81 / 60%, ReLU+He ~0.53 / 78%, batch norm ~0.09 / 99%.
      expect(t!.outcome.testLoss!, id).toBeLessThan(baseLoss - 0.2);
      expect(t!.lossGain, id).toBeGreaterThan(0.2);
      expect(t!.outcome.testAcc!, id).toBeGreaterThan(baseAcc + 0.2);
      expect(t!.accuracyGain!, id).toBeGreaterThan(0.2);
      // Gradient flow through depth is measurably more even at initialization.
      expect(t!.flowGain, id).toBeGreaterThan(10);
    }
    // residual connections were applied with branch scale 1/depth
    expect(byId("residual")!.changes).toEqual({ residual: true, branchScale: 0.05 });
    // Batch norm is judged on statistics recomputed from its final weights; the stale running
    // averages gave a test loss worse than no change (the last session's "mixed" result).
    const bn = byId("batch-norm")!;
    expect(bn.recalibrated?.layers).toBe(20);
    expect(bn.recalibrated!.before.testLoss!).toBeGreaterThan(baseLoss);
    expect(bn.outcome.testLoss!).toBeLessThan(0.5 * bn.recalibrated!.before.testLoss!);
    // Wins come first, in rank order, and every win is above the first non-win.
    const firstNot = report.treatments.findIndex((t) => !t.improves);
    if (firstNot >= 0)
      expect(report.treatments.slice(firstNot).every((t) => !t.improves)).toBe(true);
    expect(report.treatments.every((t) => t.verdict !== "mixed")).toBe(true);
    expect(report.headline).toMatch(/Best measured remedy/);
  }, 180_000);

  it("rescues an exploding network with gradient clipping", async () => {
    const report = await doctor(
      { depth: 30, init: "normal", weightVar: 4, loss: "mse", lr: 1, dataset: "spirals" },
      { budget: 150, maxTreatments: 3 },
    );
    expect(report.baseline.status).toBe("exploded");
    expect(report.diagnosis.findings[0]?.id).toBe("non-finite");
    const clip = report.treatments.find((t) => t.remedyIds.includes("gradient-clipping"));
    expect(clip?.outcome.status).toBe("completed");
    expect(clip?.improves).toBe(true);
    expect(report.treatments[0]!.improves).toBe(true);
  }, 180_000);

  it("builds single remedies plus the best compatible pair", () => {
    const remedy = (id: string, change: Record<string, unknown>, rank: number) => ({
      id,
      label: id,
      why: "",
      configChange: change,
      rank,
    });
    const list = treatmentsFor(
      {
        healthy: false,
        headline: "",
        findings: [
          {
            id: "vanishing",
            severity: "critical",
            title: "",
            layers: [],
            steps: [],
            evidence: [],
            cause: "",
            remedies: [
              remedy("relu-he", { activation: "relu", init: "he-normal" }, 1),
              remedy("batch-norm", { batchNorm: true }, 2),
              remedy("residual", { residual: true, branchScale: 0.05 }, 3),
            ],
          },
        ],
      } as never,
      6,
    );
    expect(list.map((t) => t.ids.join("+"))).toEqual([
      "relu-he",
      "batch-norm",
      "relu-he+batch-norm",
      "residual",
    ]);
    expect(list[2]!.changes).toEqual({ activation: "relu", init: "he-normal", batchNorm: true });
  });

  it("pairs only remedies that make a valid network together", () => {
    const remedy = (id: string, change: Record<string, unknown>, rank: number) => ({
      id,
      label: id,
      why: "",
      configChange: change,
      rank,
    });
    const diagnosis = {
      healthy: false,
      headline: "",
      findings: [
        {
          id: "exploding",
          severity: "critical",
          title: "",
          layers: [],
          steps: [],
          evidence: [],
          cause: "",
          remedies: [
            remedy("batch-norm", { batchNorm: true }, 1),
            remedy("layer-norm", { layerNorm: true }, 2),
          ],
        },
      ],
    } as never;
    const bothNorms = (c: Record<string, unknown>) => !(c.batchNorm && c.layerNorm);
    expect(treatmentsFor(diagnosis, 6, bothNorms).map((t) => t.ids.join("+"))).toEqual([
      "batch-norm",
      "layer-norm",
    ]);
    // without the check the invalid pair is proposed (what crashed doctor before)
    expect(treatmentsFor(diagnosis, 6).map((t) => t.ids.join("+"))).toContain(
      "batch-norm+layer-norm",
    );
  });
});

describe("doctor --jobs", () => {
  /** The report with every elapsed time removed (the only field that may differ). */
  const withoutTimes = (value: unknown): unknown =>
    JSON.parse(toJson(value), (key, v: unknown) => (key === "elapsedMs" ? undefined : v));

  it("gives the same report, number for number, with 1 and 2 jobs", async () => {
    // Vanishing at a tiny budget: the remedies include batch norm, whose recalibration must
    // run inside the job (it needs the trained network).
    const input = {
      depth: 10,
      width: 16,
      activation: "sigmoid",
      init: "standard-uniform",
      dataset: "spirals",
    } as const;
    const labels: string[][] = [[], []];
    const run = (jobs: number) =>
      doctor(input, {
        budget: 30,
        maxTreatments: 3,
        jobs,
        onRun: (label, result) => labels[jobs - 1]!.push(`${label}:${result.records.length}`),
      });
    const one = await run(1);
    const two = await run(2);
    expect(one.treatments.length).toBe(3);
    expect(one.treatments.some((t) => t.recalibrated !== null)).toBe(true);
    expect(new Set(one.treatments.map((t) => t.outcome.finalLoss)).size).toBe(3);
    expect(labels[1]).toEqual(labels[0]);
    expect(labels[0]![0]).toMatch(/^no change:\d+$/);
    expect(withoutTimes(two)).toStrictEqual(withoutTimes(one));
  }, 180_000);
});
