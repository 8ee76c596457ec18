import { describe, expect, it } from "vitest";
import { compare } from "./compare.ts";
import { doctor, EXPLODING_LR_FACTORS, LR_FACTORS, treatmentsFor } from "./doctor.ts";
import { toJson } from "./json-numbers.ts";

describe("doctor", () => {
  it("seed story: every remedy at 3 paired seeds and 3 rates; ReLU + He is judged at a stable rate", async () => {
    // The seed story of issue 3: 20 x 64 sigmoid, standard-uniform init, spirals, sgd lr 0.1.
    // maxTreatments 2 = relu-he and batch-norm: 3 arms x 3 rates x 3 seeds = 27 runs, plus 3
    // more seeds for no change and any remedy whose verdict the first 3 leave to the noise.
    const report = await doctor(
      { depth: 20, width: 64, activation: "sigmoid", init: "standard-uniform", dataset: "spirals" },
      { budget: 300, maxTreatments: 2, jobs: 2 },
    );
    expect(report.seeds.slice(0, 3)).toEqual([0, 1, 2]);
    expect(report.steps).toBe(300);
    expect(report.runs).toBe(
      27 +
        report.moreSeeds.length * (1 + report.treatments.filter((t) => t.seeds.length > 3).length),
    );
    // the configuration as given is diagnosed at every seed: vanishing in all three
    expect(report.findingsSeen.find((f) => f.id === "vanishing")).toEqual({
      id: "vanishing",
      seeds: 3,
      of: 3,
      acted: true,
    });
    expect(report.lrFactors).toEqual([...LR_FACTORS]);
    expect(report.kernels).toMatch(/^(native|wasm-simd|typescript)/);
    const vanishing = report.diagnosis.findings.find((f) => f.id === "vanishing");
    expect(vanishing?.severity).toBe("critical");
    expect(report.baseline.initialGradRatio!).toBeLessThan(1e-12);
    // "barely learns": at chance (the most common class, ~36%) in every seed and at every rate
    const base = report.baselineRun;
    expect(report.chance.accuracy!).toBeGreaterThan(1 / 3);
    expect(base.learned).toBe(false);
    expect(base.seeds.map((s) => s.seed).slice(0, 3)).toEqual([0, 1, 2]);
    for (const s of base.seeds) expect(s.testAcc!).toBeLessThan(0.4);
    expect(base.lrTried.map((r) => r.lr)).toEqual([0.1, 0.03333, 0.01]);
    const byId = (id: string) =>
      report.treatments.find((t) => t.remedyIds.length === 1 && t.remedyIds[0] === id)!;
    for (const id of ["relu-he", "batch-norm"]) {
      const t = byId(id);
      expect(t.verdict, id).toBe("better");
      expect(t.rank, id).toBe(1);
      expect(t.learned, id).toBe(true);
      expect(t.seeds.length, id).toBeGreaterThanOrEqual(3);
      // every seed gains (paired), and the mean gain clears 7 points and the noise
      expect(
        t.accuracyGains!.every((g) => g > 0.4),
        id,
      ).toBe(true);
      expect(t.accuracyGain!, id).toBeGreaterThan(0.5);
      expect(t.accuracyGain!, id).toBeGreaterThan(t.noise.accuracy!);
      expect(t.spread.testAcc!.min, id).toBeGreaterThan(0.8);
      expect(t.lossGain, id).toBeGreaterThan(0.5);
      expect(t.flowGain, id).toBeGreaterThan(10);
    }
    // ReLU + He at lr 0.1 is at the edge of stability (35% in some seeds, 96% in others): its
    // mean training loss over the seeds keeps a lower rate.
    const relu = byId("relu-he");
    expect(relu.lr).toBeLessThan(0.1);
    const atOwn = relu.lrTried.find((r) => r.lr === 0.1)!;
    expect(atOwn.trainLoss).toBeGreaterThan(relu.lrTried.find((r) => r.lr === relu.lr)!.trainLoss);
    // Batch norm is judged on statistics recomputed from its final weights (first seed).
    const bn = byId("batch-norm");
    expect(bn.recalibrated?.layers).toBe(20);
    // equal within the noise: listed in the diagnosis's order
    expect(report.treatments.map((t) => t.remedyIds.join("+"))).toEqual(["relu-he", "batch-norm"]);
    expect(report.headline).toMatch(
      /Best measured remedy: ReLU with He initialization at lr 0\.0\d+ \(test accuracy 9\d\.\d% \(\d+\.\d-\d+\.\d%\) vs 3\d\.\d% with no change, \d seeds\); as good within the noise: batch normalization/,
    );
  }, 300_000);

  it("exploding: the learning rate joins the search; critical init at a lower rate learns", async () => {
    // issue 13: each single remedy still explodes at lr 1; critical init with a 10x lower rate
    // learns. A narrower net than the CLI example (width 32, 150 steps) to stay fast.
    const report = await doctor(
      { depth: 30, width: 32, init: "normal", weightVar: 4, loss: "mse", lr: 1, dataset: "blobs" },
      { budget: 150, maxTreatments: 3, jobs: 2 },
    );
    // no change blows up at lr 1 in the diagnosis run: the sweep goes down to x1/30
    expect(
      report.diagnosis.findings.some((f) => f.id === "exploding" || f.id === "non-finite"),
    ).toBe(true);
    expect(report.lrFactors).toEqual([...EXPLODING_LR_FACTORS]);
    const atOne = report.baselineRun.lrTried.find((r) => r.lr === 1)!;
    expect(atOne.broke).toBe(3);
    // "a 10x lower learning rate" alone is no change at lr 0.1, which the sweep trains anyway
    expect(report.covered).toContain("a 10x lower learning rate");
    const critical = report.treatments.find((t) => t.remedyIds[0] === "critical-init")!;
    expect(critical.lrTried.find((r) => r.lr === 1)!.broke).toBe(3);
    expect(critical.lr).toBeLessThan(1);
    expect(critical.verdict).toBe("better");
    expect(critical.spread.testAcc!.min).toBeGreaterThan(0.95);
    // the top remedy learns (rank 1, above chance in every seed)
    const top = report.treatments[0]!;
    expect(top.improves).toBe(true);
    expect(top.learned).toBe(true);
    expect(top.spread.testAcc!.mean).toBeGreaterThan(0.95);
    expect(report.headline).toMatch(/Best measured remedy: /);
  }, 300_000);

  it("says when nothing learned above chance, and what was tried", async () => {
    // 20 steps at lr 0.001: no remedy has time to learn anything
    const report = await doctor(
      {
        depth: 10,
        width: 16,
        activation: "sigmoid",
        init: "standard-uniform",
        dataset: "spirals",
        lr: 0.001,
      },
      { budget: 20, maxTreatments: 2, seeds: 2, lrFactors: [1] },
    );
    expect(report.learnedAny).toBe(false);
    expect(report.treatments.every((t) => !t.improves)).toBe(true);
    expect(report.headline).toMatch(
      /Nothing learned above chance \(chance accuracy 3\d\.\d%\) in 20 steps\. Tried: no change, ReLU with He initialization, batch normalization, each at lr 0\.001 with 2 seeds/,
    );
  }, 120_000);

  it("trains the same run as compare at the same steps and seed (numbers identical)", async () => {
    // vanishing: the first remedy is ReLU + He, a network change swept over the rates
    const base = {
      depth: 8,
      width: 32,
      activation: "sigmoid",
      init: "standard-uniform",
      dataset: "moons",
    } as const;
    const report = await doctor(base, {
      budget: 40,
      seeds: 2,
      moreSeeds: 0,
      lrFactors: [1, 0.5],
      maxTreatments: 1,
    });
    expect(report.treatments[0]!.remedyIds).toEqual(["relu-he"]);
    const steps = report.steps;
    const t = report.treatments[0]!;
    const c = await compare(
      { ...base, steps },
      [
        { label: "no change, seed 1", changes: { seed: 1 } },
        { label: "remedy, seed 1, half rate", changes: { ...t.changes, seed: 1, lr: 0.05 } },
      ],
      { jobs: 1 },
    );
    expect(c.steps).toBe(40);
    const doctorBase = report.baselineRun.lrTried.find((r) => r.lr === 0.1)!.seeds[1]!;
    const doctorT = t.lrTried.find((r) => r.lr === 0.05)!.seeds[1]!;
    expect(doctorBase.seed).toBe(1);
    expect([c.outcomes[0]!.testAcc, c.outcomes[0]!.testLoss]).toEqual([
      doctorBase.testAcc,
      doctorBase.testLoss,
    ]);
    expect([c.outcomes[1]!.testAcc, c.outcomes[1]!.testLoss]).toEqual([
      doctorT.testAcc,
      doctorT.testLoss,
    ]);
    expect(c.outcomes[1]!.finalLoss).toBe(doctorT.finalLoss);
  }, 120_000);

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
    // Vanishing at a tiny budget: the remedies include batch norm, whose recalibration runs
    // inside the job (it needs the trained network).
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
        seeds: 2,
        moreSeeds: 0,
        lrFactors: [1, 0.5],
        jobs,
        onRun: (label, result) => labels[jobs - 1]!.push(`${label}:${result.records.length}`),
      });
    const one = await run(1);
    const two = await run(2);
    expect(one.treatments.length).toBe(3);
    expect(one.runs).toBe(16);
    expect(one.treatments.some((t) => t.recalibrated !== null)).toBe(true);
    expect(new Set(one.treatments.map((t) => t.outcome.finalLoss)).size).toBe(3);
    expect(labels[1]).toEqual(labels[0]);
    expect(labels[0]![0]).toMatch(/^no change:\d+$/);
    expect(withoutTimes(two)).toStrictEqual(withoutTimes(one));
  }, 180_000);
});
